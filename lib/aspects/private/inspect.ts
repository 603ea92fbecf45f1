import { TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { terraformJsonOf } from '../../cdktf/plain-values';
import { resolveAsCdktf } from '../../cdktf/resolve';

/** A resource, data source or provider block as it will appear in the JSON. */
export interface TerraformBlock {
  readonly kind: 'resource' | 'data' | 'provider';
  /** Terraform type, e.g. `openstack_networking_secgroup_rule_v2`, or the provider name. */
  readonly type: string;
  /** Attributes with snake_case keys, overrides applied, tokens resolved to `${...}` strings. */
  readonly attributes: Readonly<Record<string, unknown>>;
}

let cache = new WeakMap<IConstruct, TerraformBlock | null>();

/** Forgets what was read, so that a new check sees constructs changed since the last one. */
export function resetInspection(): void {
  cache = new WeakMap();
}

/**
 * The block a construct synthesizes to, or undefined for anything that is not a
 * resource, data source or provider. Reading the resolved JSON (rather than the
 * binding's getters) sees escape-hatch overrides too.
 */
export function terraformBlockOf(construct: IConstruct): TerraformBlock | undefined {
  if (cache.has(construct)) return cache.get(construct) ?? undefined;
  let block: TerraformBlock | null = null;
  const element = construct as unknown as { toTerraform?: () => unknown };
  if (!TerraformStack.isStack(construct) && typeof element.toTerraform === 'function') {
    // Most resources of a large platform (the sites) hold plain values only:
    // read them as they are, and pay for cdktf's resolver only where a token is.
    const { json: raw, plain } = terraformJsonOf(element as { toTerraform: () => unknown });
    const json = (plain ? raw : resolveAsCdktf(construct, raw)) as Record<string, Record<string, unknown>>;
    for (const kind of ['resource', 'data', 'provider'] as const) {
      const byType = json?.[kind];
      if (!isRecord(byType)) continue;
      const [type, body] = Object.entries(byType)[0] ?? [];
      if (type === undefined) continue;
      // resource/data: { type: { id: attrs } }; provider: { name: [attrs] }
      const attrs = kind === 'provider' ? first(body) : first(Object.values(body as object)[0]);
      if (isRecord(attrs)) {
        const { ['//']: _metadata, ...attributes } = attrs;
        block = { kind, type, attributes };
      }
      break;
    }
  }
  cache.set(construct, block);
  return block ?? undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A single nested block: cdktf writes it as an object, overrides may write a one-element list. */
export function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

/** A value known at synth: not a `${...}` expression (or a string containing one). */
export function isLiteral(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('${');
  if (Array.isArray(value)) return value.every(isLiteral);
  if (isRecord(value)) return Object.values(value).every(isLiteral);
  return value !== undefined;
}

/** Literal strings of a list attribute (unresolved entries skipped); undefined when unset or a whole-list token. */
export function literalStrings(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return undefined;
  return value.filter((v): v is string => typeof v === 'string' && isLiteral(v));
}

/**
 * Calls `visit` for every key/value pair below `value`, depth first, with its
 * key path. The path array is the walk's own and changes as it goes on: read
 * it during the call (join, format), copy it to keep it. Every value of every
 * resource is walked by several rules, so the walk allocates nothing per value.
 */
export function walk(value: unknown, visit: (key: string, value: unknown, path: readonly (string | number)[]) => void): void {
  walkFrom(value, visit, []);
}

function walkFrom(value: unknown, visit: (key: string, value: unknown, path: readonly (string | number)[]) => void, path: (string | number)[]): void {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      walkFrom(value[index], visit, path);
      path.pop();
    }
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) {
      if (key === '//') continue;
      const child = value[key];
      path.push(key);
      visit(key, child, path);
      walkFrom(child, visit, path);
      path.pop();
    }
  }
}

/** The name of the stack a construct belongs to. */
export function stackNameOf(construct: IConstruct): string {
  return TerraformStack.of(construct).node.id;
}
