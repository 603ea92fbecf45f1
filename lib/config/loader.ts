import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { isSecretAttributeName } from '../aspects/no-secret-literals';
import { secretContentIn } from '../output/secret-scan';
import { PlatformConfigSchema, REMOVED_FIELDS, type PlatformConfig } from './schema';

/** The embedded default config, used when PLATFORM_CONFIG is not set. */
export const DEFAULT_CONFIG_FILE = path.join(__dirname, '..', '..', 'config', 'platform.yaml');

/** The variable that makes the synth print the stack trace of an unexpected error. */
export const DEBUG_VARIABLE = 'PLATFORM_DEBUG';

/** Whether the environment asks for the stack traces of unexpected errors ({@link DEBUG_VARIABLE} set, not 0). */
export function debugRequested(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const value = env[DEBUG_VARIABLE];
  return value !== undefined && value !== '' && value !== '0';
}

/** Every problem found in a config file, one `file: field: value: fix` line each. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`Invalid platform config ${file}:\n  ${problems.join('\n  ')}`, options);
    this.name = 'ConfigError';
  }
}

/** The error a loader throws: ConfigError or a subclass of it. */
export type ConfigErrorClass = new (file: string, problems: string[], options?: ErrorOptions) => ConfigError;

/**
 * Bounds every config document is held to, whatever its schema says: a field
 * without a bound of its own still cannot take a 10,000-character string or a
 * million entries, which would reach user data, Helm values and every plan.
 */
export const DOCUMENT_LIMITS = {
  /** Bytes of one file. The example catalog grown to 5,000 sites is about 1.3 MB. */
  maxFileBytes: 16 * 1024 * 1024,
  /** Characters of any string or key. The longest a field needs is an image reference (a name of 255, a tag of 128, a digest). */
  maxStringLength: 1024,
  /** Entries of any list or map. The sites catalog is the longest list: its stacks are built for thousands of sites. */
  maxEntries: 10_000,
  /** YAML aliases resolved in one document (the yaml package's default): more is the shape of a "billion laughs" document. */
  maxAliasCount: 100,
} as const;

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
  return guarded(file, ConfigError, () => {
    const document = readDocument(text, file, ConfigError, 'config/platform.yaml, the embedded default');
    return validateDocument(document, file, PlatformConfigSchema, ConfigError);
  });
}

/** A problem of a config document: where it is, what is wrong and the fix. */
export interface Problem {
  readonly at: readonly PropertyKey[];
  readonly message: string;
  /** How to show the value, where the parsed value would show it wrong (a number beyond 2^53). */
  readonly shown?: string;
}

/** A parsed YAML document: its plain value, and what parsing already found wrong in it. */
export interface ParsedDocument {
  readonly raw: unknown;
  readonly problems: readonly Problem[];
}

/**
 * YAML text as a plain value, for a loader to validate. Throws `errorClass`
 * for what makes the file unreadable as a whole: syntax errors (with their
 * line), an empty file, aliases that expand without bound. Integers beyond
 * 2^53 are reported as problems (they would silently lose their value).
 *
 * @param example the file to start from, named when the file is empty
 */
export function readDocument(text: string, file: string, errorClass: ConfigErrorClass, example: string): ParsedDocument {
  // Positions from a LineCounter, not prettyErrors: its code frame of a 200,000-character line runs out of memory.
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, intAsBigInt: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    // A parser that ran out of stack reports it at every level it unwinds: once is enough.
    const deep = doc.errors.find((e) => /call stack/i.test(e.message));
    throw new errorClass(
      file,
      (deep ? [deep] : doc.errors).map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        const message = e.message.split('\n')[0];
        if (/call stack/i.test(message)) {
          return `${file}: line ${line} column ${col}: nests deeper than a YAML parser follows; write the value with less nesting`;
        }
        return `${file}: line ${line} column ${col}: YAML syntax error: ${message}; fix the YAML there`;
      }),
    );
  }
  if (doc.contents === null) {
    throw new errorClass(file, [`${file}: the file is empty (no YAML document, or only comments); start from ${example}`]);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: DOCUMENT_LIMITS.maxAliasCount });
  } catch (err) {
    if (err instanceof ReferenceError && /alias count/i.test(err.message)) {
      throw new errorClass(file, [
        `${file}: its YAML aliases (*name) expand to more than ${DOCUMENT_LIMITS.maxAliasCount} copies, the shape of a "billion laughs" attack; ` +
          'write the values out instead of nesting aliases',
      ]);
    }
    throw err;
  }
  const problems: Problem[] = [];
  return { raw: withSafeNumbers(value, [], problems), problems };
}

/** Integers were read as BigInt so that none is rounded unseen: numbers again, each beyond 2^53 a problem. */
function withSafeNumbers(value: unknown, at: readonly PropertyKey[], problems: Problem[]): unknown {
  if (typeof value === 'bigint') {
    const number = Number(value);
    if (!Number.isSafeInteger(number)) problems.push({ at, message: UNSAFE_NUMBER, shown: String(value) });
    return number;
  }
  if (Array.isArray(value)) return value.map((item, index) => withSafeNumbers(item, [...at, index], problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, withSafeNumbers(child, [...at, key], problems)]));
  }
  return value;
}

const UNSAFE_NUMBER = `is beyond 2^53 (${2 ** 53}), where numbers lose their exact value; no field takes a number this large`;

/**
 * Validates a parsed document against `schema` and reports every problem at
 * once, as `file: field: value: fix` lines: the document's own
 * ({@link documentProblems}, and what parsing found) first, then the
 * schema's, except at fields a document problem already names. Throws
 * `errorClass` when there is any.
 */
export function validateDocument<T extends z.ZodType>(
  document: ParsedDocument,
  file: string,
  schema: T,
  errorClass: ConfigErrorClass,
): z.output<T> {
  const { raw } = document;
  const found: Problem[] = [];
  for (const problem of [...document.problems, ...documentProblems(raw)]) {
    if (!found.some((p) => samePath(p.at, problem.at))) found.push(problem);
  }
  const result = schema.safeParse(withheld(raw, found), { error: plainIssueMessage });
  const fromSchema = result.success ? [] : result.error.issues.flatMap((issue) => issueProblems(raw, issue));
  // A field with an expression, a secret or a 10,000-character value is not worth judging further.
  const problems = [...found, ...fromSchema.filter((p) => !found.some((d) => isWithin(p.at, d.at)))];
  if (problems.length > 0 || !result.success) throw new errorClass(file, problems.map((p) => formatProblem(file, raw, p)));
  return result.data;
}

/**
 * Stands for a value the schema must not see: one with a document problem. It
 * fails every field's type, so the schema reports nothing new there (the
 * document problem is the message) and no cross-field check reads it: an
 * expression in `guardrails.allowedRegions` is not an allowed region.
 */
const WITHHELD = Symbol('withheld: a document problem is reported here');

/** `raw` with the value at each problem's field replaced by WITHHELD (a copy; `raw` is not changed). */
function withheld(raw: unknown, problems: readonly Problem[]): unknown {
  if (problems.length === 0) return raw;
  const copy = structuredClone(raw);
  for (const { at } of problems) {
    if (at.length === 0) return WITHHELD;
    const parent = valueAt(copy, at.slice(0, -1));
    if (parent !== null && typeof parent === 'object') (parent as Record<PropertyKey, unknown>)[at[at.length - 1]] = WITHHELD;
  }
  return copy;
}

/** `file: field: value: message`, the value hidden where it may be a secret. */
export function formatProblem(file: string, raw: unknown, problem: Problem): string {
  const shown = problem.shown ?? formatValueAt(problem.at, valueAt(raw, problem.at));
  return `${file}: ${formatPath(problem.at)}: ${shown}: ${problem.message}`;
}

/**
 * Runs a loader so that whatever goes wrong ends as a ConfigError naming the
 * file: a bug or an input nobody foresaw (a stack overflow on absurd
 * nesting) gives one line and a hint, with the original error as its cause
 * (printed with its trace under {@link DEBUG_VARIABLE}).
 */
export function guarded<T>(file: string, errorClass: ConfigErrorClass, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const what = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err);
    throw new errorClass(
      file,
      [
        `${file}: could not be read (${what}); look for very deep nesting or an unusual YAML construct, and report it: ` +
          `${DEBUG_VARIABLE}=1 shows where it happened`,
      ],
      { cause: err },
    );
  }
}

/** The two ways a Terraform string starts an expression: interpolation and template directive. */
const EXPRESSION_STARTS = ['${', '%{'] as const;

/**
 * What is wrong with a parsed config document whatever its schema: every
 * string, value or map key, is plain text (no OpenTofu expression), holds no
 * secret, and has a bounded length; every list and map has a bounded number
 * of entries; every number is exact. One `Problem` per field.
 *
 * Expressions: whatever a config file holds reaches the synthesized JSON as a
 * Terraform string, and OpenTofu evaluates the templates in every one of them
 * at plan (`${file("/etc/passwd")}` reads a file of the machine running tofu);
 * cdktf also reads `${TfToken[...]}` as one of its own tokens, and the
 * guardrails skip any value with `${` as "not known at synth". No field of the
 * platform config or the sites catalog takes an expression, so such a string
 * is refused wherever it is, rather than escaped: every consumer (cdktf, the
 * guardrails, the cloud-init and Helm values built from it) then sees the same
 * literal text the file has.
 *
 * Secrets: the config reaches the nodes' user data (base64, where the output
 * scan cannot see it), their labels and the JSON. No field takes a secret, so
 * a field named like one (`password: ...`, as a label too), a value that is
 * one by its content (a PEM key, a cluster token, an access key id), a
 * `token=...` inside a value (a taint) or a URL with a password is refused,
 * and its value is never shown.
 */
export function documentProblems(raw: unknown): Problem[] {
  const problems: Problem[] = [];
  const visit = (value: unknown, at: readonly PropertyKey[]): void => {
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem !== undefined) problems.push({ at, message: problem });
    } else if (typeof value === 'number') {
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) problems.push({ at, message: UNSAFE_NUMBER });
    } else if (Array.isArray(value)) {
      if (value.length > DOCUMENT_LIMITS.maxEntries) problems.push({ at, message: tooManyEntries(value.length) });
      else value.forEach((item, index) => visit(item, [...at, index]));
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      if (entries.length > DOCUMENT_LIMITS.maxEntries) {
        problems.push({ at, message: tooManyEntries(entries.length) });
        return;
      }
      for (const [key, child] of entries) {
        const starts = expressionStarts(key);
        if (starts.length > 0) {
          problems.push({ at: [...at, key], message: expressionFix(starts), shown: `${formatValueAt(at, key)} (a key)` });
        } else if (key.length > DOCUMENT_LIMITS.maxStringLength) {
          problems.push({ at: [...at, key], message: tooLong(key.length), shown: `${formatValue(key)} (a key)` });
        }
        visit(child, [...at, key]);
        // After the value's own problems: an expression there is named as such.
        if (isSecretKey(key) && (typeof child === 'number' || (typeof child === 'string' && child !== ''))) {
          problems.push({ at: [...at, key], message: secretFix(`a field named ${key}`) });
        }
      }
    }
  };
  visit(raw, []);
  return problems;
}

/**
 * A key that names a secret value: `password`, `secretKey`, `token` (camelCase
 * read as snake_case), but not one that names where a secret is kept
 * (`passwordVariable`, `tokenSecretName`).
 */
function isSecretKey(key: string): boolean {
  const snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return isSecretAttributeName(snake) && !/_(variable|var|env)$/.test(snake);
}

/** What is wrong with one string of a document, whatever field it is in. */
function textProblem(text: string): string | undefined {
  const starts = expressionStarts(text);
  if (starts.length > 0) return expressionFix(starts);
  const secret = secretIn(text);
  if (secret !== undefined) return secretFix(secret);
  if (text.length > DOCUMENT_LIMITS.maxStringLength) return tooLong(text.length);
  return undefined;
}

const expressionStarts = (text: string) => EXPRESSION_STARTS.filter((start) => text.includes(start));

function expressionFix(starts: readonly string[]): string {
  return (
    `contains ${starts.join(' and ')}: OpenTofu would evaluate it as an expression (file(), templatefile() read files on the machine running plan); ` +
    'remove it: no field takes an expression, every value is plain text'
  );
}

function secretFix(what: string): string {
  return (
    `looks like a secret (${what}): the config reaches the nodes' user data, their labels and the synthesized JSON, where base64 hides it from the output scan; ` +
    'keep secrets out of the config: the stacks generate their own, credentials come from the environment'
  );
}

const tooLong = (length: number) =>
  `is ${length.toLocaleString('en-US')} characters long; no field takes more than ${DOCUMENT_LIMITS.maxStringLength.toLocaleString('en-US')}: shorten it`;
const tooManyEntries = (count: number) =>
  `has ${count.toLocaleString('en-US')} entries; no list or map takes more than ${DOCUMENT_LIMITS.maxEntries.toLocaleString('en-US')}: shorten it`;

/** `name=value` or `name: value` at the start of a text (a taint, a pasted setting). */
const ASSIGNMENT = /^\s*([A-Za-z0-9_./-]+)(=|:\s)\s*\S/;
/** A URL carrying a password: scheme://user:password@host. */
const URL_WITH_PASSWORD = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/;

/** What secret a text holds (see documentProblems), or undefined. */
function secretIn(text: string): string | undefined {
  const content = secretContentIn(text);
  if (content !== undefined) return content;
  if (URL_WITH_PASSWORD.test(text)) return 'a URL with a password';
  const assignment = ASSIGNMENT.exec(text);
  if (assignment && isSecretAttributeName(assignment[1].replace(/[-./]/g, '_'))) {
    return `${assignment[1]}${assignment[2].trim() === ':' ? ': ' : '='}...`;
  }
  return undefined;
}

/** Whether a text would be refused as a secret: its value is then never shown in a message. */
export function looksLikeSecret(text: string): boolean {
  return secretIn(text) !== undefined;
}

/**
 * Every string of a parsed config file, values and map keys alike, that
 * OpenTofu would evaluate, one `file: field: value: fix` line each (see
 * {@link documentProblems}).
 */
export function expressionProblems(raw: unknown, file: string): string[] {
  return documentProblems(raw)
    .filter((p) => p.message.startsWith('contains '))
    .map((p) => formatProblem(file, raw, p));
}

/** Throws `errorClass` listing every string of `raw` that holds an OpenTofu expression. */
export function assertNoExpressions(raw: unknown, file: string, errorClass: ConfigErrorClass): void {
  const problems = expressionProblems(raw, file);
  if (problems.length > 0) throw new errorClass(file, problems);
}

/**
 * YAML text as a plain value: throws `errorClass` listing every problem of the
 * document itself (syntax, expressions, secrets, bounds). Loaders use
 * readDocument and validateDocument, which report these with the schema's.
 */
export function parseConfigText(text: string, file: string, errorClass: ConfigErrorClass): unknown {
  return guarded(file, errorClass, () => {
    const { raw, problems } = readDocument(text, file, errorClass, 'the example file');
    const all = [...problems, ...documentProblems(raw)];
    if (all.length > 0) throw new errorClass(file, all.map((p) => formatProblem(file, raw, p)));
    return raw;
  });
}

/** YAML 1.1 read these as booleans; YAML 1.2, which the loaders read, as strings. */
const YAML11_BOOLEANS = /^(y|yes|n|no|on|off)$/i;

/**
 * The message of a zod issue that its schema gave none: plain words for
 * every check zod knows, never zod's own text ("Too small: expected string to
 * have >=1 characters").
 */
export function plainIssueMessage(issue: z.core.$ZodRawIssue): string {
  const bound = (n: unknown) => (typeof n === 'bigint' || typeof n === 'number' ? Number(n).toLocaleString('en-US') : String(n));
  switch (issue.code) {
    case 'too_small': {
      const min = bound(issue.minimum);
      if (issue.origin === 'string') return issue.input === '' ? 'is empty; write a value' : `must be at least ${min} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `needs at least ${min} entr${min === '1' ? 'y' : 'ies'}`;
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${min}`;
    }
    case 'too_big': {
      if ((issue.origin === 'int' || issue.origin === 'number') && Number(issue.maximum) >= Number.MAX_SAFE_INTEGER) return UNSAFE_NUMBER;
      const max = bound(issue.maximum);
      if (issue.origin === 'string') return `must be at most ${max} characters; shorten it`;
      if (issue.origin === 'array' || issue.origin === 'set') return `has too many entries; at most ${max}`;
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${max}`;
    }
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => String(v)).join(', ')}`}`;
    case 'invalid_format':
      return `is not ${issue.format === 'url' ? 'a URL' : issue.format === 'email' ? 'an e-mail address' : `in the expected form (${issue.format})`}`;
    case 'not_multiple_of':
      return `must be a multiple of ${bound(issue.divisor)}`;
    case 'invalid_union':
      return 'matches none of the forms this field takes';
    case 'invalid_key':
      return 'is not a valid key here';
    case 'invalid_element':
      return 'holds an invalid entry';
    default:
      return 'is not valid here';
  }
}

/**
 * A zod issue as `file: field: value: fix` lines, the one error format of every
 * config file the project reads (platform config, sites catalog).
 */
export function describeIssue(file: string, raw: unknown, issue: z.core.$ZodIssue): string[] {
  return issueProblems(raw, issue).map((p) => formatProblem(file, raw, p));
}

/** A zod issue as problems: one per unknown key, else one. */
function issueProblems(raw: unknown, issue: z.core.$ZodIssue): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const at = [...issue.path, key];
      return { at, message: removedFieldReason(at) ?? 'unknown field; remove it or fix its spelling' };
    });
  }
  const value = valueAt(raw, issue.path);
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    const expected = issue.expected === 'int' ? 'whole number' : issue.expected;
    message =
      value === undefined
        ? `required field is missing; add it (${issue.expected})`
        : value === ''
          ? `is empty; write a${/^[aeiou]/.test(expected) ? 'n' : ''} ${expected}`
          : issue.expected === 'boolean' && typeof value === 'string' && YAML11_BOOLEANS.test(value)
            ? 'is text, not a boolean: YAML 1.2 reads yes, no, on, off, y and n as strings (only YAML 1.1 took them for booleans); write true or false'
            : issue.expected === 'int' && typeof value === 'number'
              ? 'must be a whole number'
              : `must be ${issue.expected}, not ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value}; change its type`;
  } else if (issue.code === 'invalid_key') {
    // A record key failed its own check: report that check's message, not zod's generic one.
    message = issue.issues[0]?.message ?? message;
  }
  if (value === '' && !message.startsWith('is empty')) message = `is empty; ${message}`;
  return [{ at: issue.path, message }];
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

/** A value as shown in an error: JSON, shortened, with whatever may be a secret inside it hidden. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value, (key, v: unknown) =>
    (key !== '' && isSecretAttributeName(key)) || (typeof v === 'string' && looksLikeSecret(v)) ? '(hidden)' : v,
  );
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * The value at a field, as shown in an error: shortened JSON, or nothing at
 * all below a secret-looking key (`password`, `secretKey`, `token`, ...) or
 * when the value looks like a secret itself, so a mistake in a secret does
 * not print the secret.
 */
export function formatValueAt(at: readonly PropertyKey[], value: unknown): string {
  if (at.some((key) => typeof key === 'string' && isSecretAttributeName(key))) return '(hidden: a secret-looking field)';
  if (typeof value === 'string' && looksLikeSecret(value)) return '(hidden: looks like a secret)';
  return formatValue(value);
}

function samePath(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}

/** `inner` is `outer` or lies below it. */
function isWithin(inner: readonly PropertyKey[], outer: readonly PropertyKey[]): boolean {
  return inner.length >= outer.length && outer.every((key, i) => key === inner[i]);
}

/**
 * The file a config loader reads: the one named by the environment variable,
 * else the embedded default (shown relative to the working directory), as
 * UTF-8 text. A file that cannot be read, is too large or is not UTF-8 throws
 * `errorClass` naming the file and the way out.
 */
export function readConfigFile(
  env: Readonly<Record<string, string | undefined>>,
  variable: string,
  defaultFile: string,
  errorClass: ConfigErrorClass,
): { file: string; text: string } {
  const file = env[variable] || path.relative(process.cwd(), defaultFile) || defaultFile;
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    if (size > DOCUMENT_LIMITS.maxFileBytes) {
      const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;
      throw new errorClass(file, [`${file}: is ${mib(size)}; a config file is at most ${mib(DOCUMENT_LIMITS.maxFileBytes)}: remove what does not belong in it`]);
    }
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : String(err);
    const shown = path.relative(path.join(__dirname, '..', '..'), defaultFile);
    throw new errorClass(file, [`${file}: ${reason}: point ${variable} at an existing YAML file, or unset it to use ${shown}`]);
  }
  return { file, text: decodeUtf8(bytes, file, errorClass) };
}

/** The bytes as UTF-8 text (a leading byte order mark dropped); bytes that are not UTF-8 throw, with their line and column. */
export function decodeUtf8(bytes: Uint8Array, file: string, errorClass: ConfigErrorClass): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
    const line = bytes.subarray(0, lineStart).filter((b) => b === 0x0a).length + 1;
    const column = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, offset)).length + 1;
    const byte = bytes[offset];
    const legacy = new TextDecoder('windows-1252').decode(bytes.subarray(offset, offset + 1));
    const hex = `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    throw new errorClass(file, [
      `${file}: line ${line} column ${column}: byte ${hex} is not UTF-8 (in Latin-1 or Windows-1252 it is "${legacy}"); save the file as UTF-8`,
    ]);
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let length: number;
    let [low, high] = [0x80, 0xbf]; // allowed range of the second byte
    if (b < 0x80) length = 1;
    else if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0; // no overlong forms
      if (b === 0xed) high = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f; // nothing beyond U+10FFFF
    } else return i;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      const [min, max] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (next === undefined || next < min || next > max) return i;
    }
    i += length;
  }
  return bytes.length - 1;
}
