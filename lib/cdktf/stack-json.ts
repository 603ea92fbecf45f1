import { TerraformElement, TerraformOutput, TerraformStack, Tokenization } from 'cdktf';
import type { IConstruct } from 'constructs';
import { isPlain, terraformJsonOf } from './plain-values';
import { resolveAsCdktf } from './resolve';

/**
 * What `TerraformStack.toTerraform()` of cdktf 0.21 returns, the same value
 * computed with a fraction of the resolver's work.
 *
 * cdktf resolves each element's JSON, merges them, then resolves the whole
 * stack a second time: every value of every resource goes through the token
 * resolver twice, most of the synth time of a stack of plain site resources.
 * Here an element whose JSON holds no token (`isPlain`) is merged as it is
 * (the resolver would return it unchanged), and in the final pass only the
 * resource and data bodies that are not plain, and everything outside them,
 * go through the resolver. Element order, merge and override semantics are
 * cdktf's own (`deepMerge` semantics reimplemented: `undefined` deletes,
 * lists at one path concatenate, objects merge). The result shares plain
 * bodies with the elements' own JSON: it is for writing and reading, not
 * for changing.
 *
 * Relies on cdktf internals, all of TerraformStack: the private
 * `rawOverrides` and `cdktfVersion` fields, and the shape of its
 * `toTerraform()` (metadata, outputs map, fragments, overrides, resolve).
 * __tests__/cdktf-internals.test.ts compares the result with cdktf's own.
 */
export function stackToTerraform(stack: TerraformStack): Record<string, unknown> {
  const internals = stack as unknown as { rawOverrides: Record<string, unknown>; cdktfVersion: string };
  const rawOverrides = internals.rawOverrides;
  const resolve = (value: unknown) => resolveAsCdktf(stack, value);
  const metadata: Record<string, unknown> = {
    version: internals.cdktfVersion,
    stackName: stack.node.id,
    backend: 'local',
    cloud: undefined,
    ...(Object.keys(rawOverrides).length > 0 ? { overrides: { stack: Object.keys(rawOverrides) } } : {}),
  };
  const elements = elementsOf(stack);
  for (const element of elements) {
    const meta = element.toMetadata();
    if (isPlain(meta)) deepMerge(metadata, meta, true);
    else deepMerge(metadata, resolve(meta));
  }
  const outputs: Record<string, unknown> = {};
  for (const element of elements) {
    if (!TerraformOutput.isTerraformOutput(element)) continue;
    deepMerge(
      outputs,
      element.node.path
        .split('/')
        .reduceRight<Record<string, unknown>>(
          (inner, part) => (Object.keys(inner).length === 0 ? { [part]: element.friendlyUniqueId } : { [part]: inner }),
          {},
        ),
    );
  }
  const tf: Record<string, unknown> = { '//': { metadata, outputs } };
  // Resource and data bodies written by plain fragments only: the final pass need not walk them again.
  const plainBodies = new Set<string>();
  // A plain body that is the first at its address is placed as it is, not copied (most of a
  // sites stack); it is copied before anything else merges into it, so the element's own is never changed.
  const shared = new Map<string, { readonly byName: Record<string, unknown>; readonly name: string }>();
  const unshare = (bodies: string[] | 'unknown') => {
    for (const key of bodies === 'unknown' ? [...shared.keys()] : bodies) {
      const place = shared.get(key);
      if (place === undefined) continue;
      const copy = {};
      deepMerge(copy, place.byName[place.name], true);
      place.byName[place.name] = copy;
      shared.delete(key);
    }
  };
  for (const element of elements) {
    const { json: fragment, plain } = terraformJsonOf(element);
    const bodies = blockKeys(fragment);
    if (plain && placeAsIs(tf, fragment, shared)) {
      plainBodies.add((bodies as string[])[0]);
      continue;
    }
    unshare(bodies);
    if (bodies === 'unknown') plainBodies.clear();
    else for (const body of bodies) plain ? plainBodies.add(body) : plainBodies.delete(body);
    if (plain) deepMerge(tf, fragment, true);
    else deepMerge(tf, resolve(fragment));
  }
  const overridden = blockKeys(rawOverrides);
  unshare(overridden);
  if (overridden === 'unknown' || overridden.length > 0) plainBodies.clear();
  deepMerge(tf, rawOverrides);

  // cdktf's final `resolve(this, tf)`, skipping the resource and data bodies it would return unchanged.
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(tf)) {
    const value = tf[key];
    const resolved =
      (key === 'resource' || key === 'data') && isBlockMap(value) ? resolveBlocks(key, value, resolve, plainBodies) : resolve(value);
    if (resolved !== undefined) result[key] = resolved;
  }
  return result;
}

/** `{ type: { name: body } }` with plain keys: resolved body by body. */
function resolveBlocks(
  kind: string,
  byType: Record<string, Record<string, unknown>>,
  resolve: (value: unknown) => unknown,
  plainBodies: ReadonlySet<string>,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const type of Object.keys(byType)) {
    const byName = byType[type];
    const resolvedByName: Record<string, unknown> = {};
    for (const name of Object.keys(byName)) {
      const body = byName[name];
      const resolved = plainBodies.has(blockKey(kind, type, name)) || isPlain(body) ? body : resolve(body);
      if (resolved !== undefined) resolvedByName[name] = resolved;
    }
    result[type] = resolvedByName;
  }
  return result;
}

/**
 * Places the one body of a `{ resource|data: { type: { name: body } } }`
 * fragment into `tf` by reference, where no body is at that address yet and
 * the containers on the way are plain objects; false (nothing done) otherwise.
 */
function placeAsIs(
  tf: Record<string, any>,
  fragment: unknown,
  shared: Map<string, { readonly byName: Record<string, unknown>; readonly name: string }>,
): boolean {
  const kinds = isPlainObject(fragment) ? Object.keys(fragment) : [];
  if (kinds.length !== 1 || (kinds[0] !== 'resource' && kinds[0] !== 'data')) return false;
  const kind = kinds[0];
  const byType = (fragment as Record<string, unknown>)[kind];
  const types = isPlainObject(byType) ? Object.keys(byType) : [];
  if (types.length !== 1) return false;
  const type = types[0];
  const byName = (byType as Record<string, unknown>)[type];
  const names = isPlainObject(byName) ? Object.keys(byName) : [];
  if (names.length !== 1) return false;
  const name = names[0];
  const body = (byName as Record<string, unknown>)[name];
  if (!isPlainObject(body)) return false;
  if (tf[kind] === undefined) tf[kind] = {};
  if (!isPlainObject(tf[kind])) return false;
  if (tf[kind][type] === undefined) tf[kind][type] = {};
  const target = tf[kind][type];
  if (!isPlainObject(target) || target[name] !== undefined) return false;
  target[name] = body;
  shared.set(blockKey(kind, type, name), { byName: target, name });
  return true;
}

/**
 * The resource and data bodies a fragment writes, as blockKey strings;
 * 'unknown' when its resource or data part is not a map of maps.
 */
function blockKeys(fragment: unknown): string[] | 'unknown' {
  const keys: string[] = [];
  if (!isPlainObject(fragment)) return 'unknown';
  for (const kind of ['resource', 'data']) {
    const byType = fragment[kind];
    if (byType === undefined) continue;
    if (!isPlainObject(byType)) return 'unknown';
    for (const type of Object.keys(byType)) {
      const byName = byType[type];
      if (!isPlainObject(byName)) return 'unknown';
      for (const name of Object.keys(byName)) keys.push(blockKey(kind, type, name));
    }
  }
  return keys;
}

function blockKey(kind: string, type: string, name: string): string {
  return `${kind}\u0000${type}\u0000${name}`;
}

/** A plain object of plain objects, every key of both levels plain: what the resolver walks through as it is. */
function isBlockMap(value: unknown): value is Record<string, Record<string, unknown>> {
  if (!isPlainObject(value)) return false;
  return Object.keys(value).every((type) => isPlain(type) && isPlainObject(value[type]) && Object.keys(value[type]).every((name) => isPlain(name)));
}

function isPlainObject(value: unknown): value is Record<string, any> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && !Tokenization.isResolvable(value);
}

/** The stack's elements in cdktf's order: depth first, construct order, not into nested stacks. */
export function elementsOf(stack: TerraformStack): TerraformElement[] {
  const into: TerraformElement[] = [];
  const visit = (node: IConstruct) => {
    if (TerraformElement.isTerraformElement(node)) into.push(node);
    for (const child of node.node.children) if (!TerraformStack.isStack(child)) visit(child);
  };
  visit(stack);
  return into;
}

/**
 * cdktf's `deepMerge` (lib/util.js): `source` into `target`; objects merge
 * key by key, lists at the same path concatenate, `undefined` deletes, a
 * resolvable object replaces rather than merges. With `asResolved`, an
 * undefined value is skipped instead, as it is when the resolver has run
 * first (it drops undefined keys): a plain value merges as its resolved copy.
 */
function deepMerge(target: Record<string, any>, source: unknown, asResolved = false): void {
  if (Tokenization.isResolvable(target)) throw new Error('stackToTerraform: cannot merge into a token');
  if (typeof source !== 'object' || source === null) throw new Error(`stackToTerraform: cannot merge ${typeof source} into a stack`);
  for (const key of Object.keys(source)) {
    const value = (source as Record<string, unknown>)[key];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      if (typeof target[key] !== 'object') target[key] = {};
      if (Tokenization.isResolvable(value)) {
        target[key] = value;
        continue;
      }
      deepMerge(target[key], value, asResolved);
    } else if (Array.isArray(value)) {
      target[key] = Array.isArray(target[key]) ? [...target[key], ...value] : value;
    } else if (value === undefined) {
      if (!asResolved) delete target[key];
    } else {
      target[key] = value;
    }
  }
}
