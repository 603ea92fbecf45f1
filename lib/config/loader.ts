import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { isSecretAttributeName } from '../aspects/no-secret-literals';
import { PlatformConfigSchema, REMOVED_FIELDS, type PlatformConfig } from './schema';

/** The embedded default config, used when PLATFORM_CONFIG is not set. */
export const DEFAULT_CONFIG_FILE = path.join(__dirname, '..', '..', 'config', 'platform.yaml');

/** Every problem found in a config file, one `file: field: value: fix` line each. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid platform config ${file}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  /** The file the config was read from, as given (relative paths stay relative). */
  readonly file: string;
  readonly config: PlatformConfig;
}

/**
 * Reads the platform config: the file named by PLATFORM_CONFIG, else the
 * embedded default. Throws a ConfigError listing every problem.
 */
export function loadPlatformConfig(env: Readonly<Record<string, string | undefined>> = process.env): LoadedConfig {
  const { file, text } = readConfigFile(env, 'PLATFORM_CONFIG', DEFAULT_CONFIG_FILE, ConfigError);
  return { file, config: parsePlatformConfig(text, file) };
}

/** Parses and validates config text; `file` is only used in messages. */
export function parsePlatformConfig(text: string, file: string): PlatformConfig {
  const raw = parseConfigText(text, file, ConfigError);
  const result = PlatformConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(file, result.error.issues.flatMap((issue) => describeIssue(file, raw, issue)));
  }
  return result.data;
}

/**
 * YAML text as a plain value, for a loader to validate: throws `errorClass`
 * listing every syntax error (with its line), else every string that holds an
 * OpenTofu expression (see {@link expressionProblems}).
 */
export function parseConfigText(
  text: string,
  file: string,
  errorClass: new (file: string, problems: string[]) => ConfigError,
): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new errorClass(
      file,
      doc.errors.map((e) => {
        const where = e.linePos ? `line ${e.linePos[0].line} column ${e.linePos[0].col}` : 'somewhere';
        const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        return `${file}: ${where}: YAML syntax error: ${message}; fix the YAML there`;
      }),
    );
  }
  const raw: unknown = doc.toJS();
  assertNoExpressions(raw, file, errorClass);
  return raw;
}

/** The two ways a Terraform string starts an expression: interpolation and template directive. */
const EXPRESSION_STARTS = ['${', '%{'] as const;

/**
 * Every string of a parsed config file, values and map keys alike, that
 * OpenTofu would evaluate: a `${...}` interpolation or a `%{...}` directive,
 * one `file: field: value: fix` line each.
 *
 * Whatever a config file holds reaches the synthesized JSON as a Terraform
 * string, and OpenTofu evaluates the templates in every one of them at plan
 * (`${file("/etc/passwd")}` reads a file of the machine running tofu); cdktf
 * also reads `${TfToken[...]}` as one of its own tokens, and the guardrails
 * skip any value with `${` as "not known at synth". No field of the platform
 * config or the sites catalog takes an expression, so such a string is
 * refused wherever it is, rather than escaped: every consumer (cdktf, the
 * guardrails, the cloud-init and Helm values built from it) then sees the
 * same literal text the file has.
 */
export function expressionProblems(raw: unknown, file: string): string[] {
  const problems: string[] = [];
  const found = (text: string) => EXPRESSION_STARTS.filter((start) => text.includes(start));
  const visit = (value: unknown, at: readonly PropertyKey[]): void => {
    if (typeof value === 'string') {
      const starts = found(value);
      if (starts.length > 0) problems.push(`${file}: ${formatPath(at)}: ${formatValueAt(at, value)}: ${expressionFix(starts)}`);
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...at, index]));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const starts = found(key);
        if (starts.length > 0) {
          problems.push(`${file}: ${formatPath([...at, key])}: ${formatValueAt(at, key)} (a key): ${expressionFix(starts)}`);
        }
        visit(child, [...at, key]);
      }
    }
  };
  visit(raw, []);
  return problems;
}

function expressionFix(starts: readonly string[]): string {
  return (
    `contains ${starts.join(' and ')}: OpenTofu would evaluate it as an expression (file(), templatefile() read files on the machine running plan); ` +
    'remove it: no field takes an expression, every value is plain text'
  );
}

/** Throws `errorClass` listing every string of `raw` that holds an OpenTofu expression. */
export function assertNoExpressions(
  raw: unknown,
  file: string,
  errorClass: new (file: string, problems: string[]) => ConfigError,
): void {
  const problems = expressionProblems(raw, file);
  if (problems.length > 0) throw new errorClass(file, problems);
}

/**
 * A zod issue as `file: field: value: fix` lines, the one error format of every
 * config file the project reads (platform config, sites catalog).
 */
export function describeIssue(file: string, raw: unknown, issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const at = [...issue.path, key];
      const why = removedFieldReason(at) ?? 'unknown field; remove it or fix its spelling';
      return `${file}: ${formatPath(at)}: ${formatValueAt(at, valueAt(raw, at))}: ${why}`;
    });
  }
  const value = valueAt(raw, issue.path);
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    message =
      value === undefined
        ? `required field is missing; add it (${issue.expected})`
        : issue.expected === 'int' && typeof value === 'number'
          ? 'must be a whole number'
          : `must be ${issue.expected}, not ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value}; change its type`;
  } else if (issue.code === 'invalid_key') {
    // A record key failed its own check: report that check's message, not zod's generic one.
    message = issue.issues[0]?.message ?? message;
  }
  return [`${file}: ${formatPath(issue.path)}: ${formatValueAt(issue.path, value)}: ${message}`];
}

/** Why a field that is no longer in the schema was removed (REMOVED_FIELDS), if it was. */
function removedFieldReason(at: readonly PropertyKey[]): string | undefined {
  const removed = REMOVED_FIELDS.find(
    ({ path }) => path.length === at.length && path.every((key, i) => key === '*' || key === at[i]),
  );
  return removed?.why;
}

/** The raw value at a zod issue path. */
export function valueAt(root: unknown, keys: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of keys) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** `environments.production.agentPools[0].name` */
export function formatPath(keys: readonly PropertyKey[]): string {
  if (keys.length === 0) return '(top level)';
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('');
}

/** A value as shown in an error: JSON, shortened. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * The value at a field, as shown in an error: shortened JSON, or nothing at
 * all below a secret-looking key (`password`, `secretKey`, `token`, ...), so a
 * mistake in a secret does not print the secret.
 */
export function formatValueAt(at: readonly PropertyKey[], value: unknown): string {
  const secret = at.some((key) => typeof key === 'string' && isSecretAttributeName(key));
  return secret ? '(hidden: a secret-looking field)' : formatValue(value);
}

/**
 * The file a config loader reads: the one named by the environment variable,
 * else the embedded default (shown relative to the working directory). A file
 * that cannot be read throws `errorClass` naming the file and the way out.
 */
export function readConfigFile(
  env: Readonly<Record<string, string | undefined>>,
  variable: string,
  defaultFile: string,
  errorClass: new (file: string, problems: string[]) => ConfigError,
): { file: string; text: string } {
  const file = env[variable] || path.relative(process.cwd(), defaultFile) || defaultFile;
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    const shown = path.relative(path.join(__dirname, '..', '..'), defaultFile);
    throw new errorClass(file, [`${file}: ${reason}: point ${variable} at an existing YAML file, or unset it to use ${shown}`]);
  }
}
