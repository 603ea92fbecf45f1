/**
 * Checks synthesized Terraform JSON against provider schemas (the output of
 * `tofu providers schema -json`): every resource, data source, attribute,
 * block and nested attribute must exist, required ones must be set,
 * computed-only ones must not be, and literal values must have the
 * attribute's type (lists, sets, maps, objects with their required fields,
 * tuples). Interpolations (`${...}`) are typed by OpenTofu itself at validate
 * time and are not checked here.
 */

type CtyType = string | [string, unknown] | [string, unknown, unknown];

interface SchemaAttribute {
  type?: CtyType;
  nested_type?: { attributes: Record<string, SchemaAttribute>; nesting_mode: 'single' | 'list' | 'set' | 'map'; min_items?: number; max_items?: number };
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
}

interface SchemaBlockType {
  nesting_mode: 'single' | 'list' | 'set' | 'map' | 'group';
  block: SchemaBlock;
  min_items?: number;
  max_items?: number;
}

interface SchemaBlock {
  attributes?: Record<string, SchemaAttribute>;
  block_types?: Record<string, SchemaBlockType>;
}

interface ProviderEntry {
  provider: { block: SchemaBlock };
  resource_schemas?: Record<string, { block: SchemaBlock }>;
  data_source_schemas?: Record<string, { block: SchemaBlock }>;
}

export interface ProviderSchemaDocument {
  provider_schemas: Record<string, ProviderEntry>;
}

/** Keys Terraform itself handles on every resource and data source. */
const META_ARGUMENTS = new Set(['//', 'count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection']);

/** What a check looked at, to say how much of a stack it covered. */
export interface SchemaCoverage {
  /** Resource blocks checked, by provider (the type's prefix). */
  readonly resources: Record<string, number>;
  /** Data source blocks checked, by provider. */
  readonly dataSources: Record<string, number>;
  /** Provider configuration blocks checked, by provider. */
  readonly providerBlocks: Record<string, number>;
  /** Attribute values checked against their schema (nested ones included), by provider. */
  readonly attributes: Record<string, number>;
  /** Nested blocks and nested-attribute objects checked, by provider. */
  readonly blocks: Record<string, number>;
  /** Resource and data source types seen, as `resource.type` / `data.type`. */
  readonly types: Set<string>;
}

/** An empty coverage record to pass to the checks. */
export function emptyCoverage(): SchemaCoverage {
  return { resources: {}, dataSources: {}, providerBlocks: {}, attributes: {}, blocks: {}, types: new Set() };
}

interface Counter {
  attribute(): void;
  block(): void;
}

const NO_COUNTER: Counter = { attribute: () => undefined, block: () => undefined };

function counterFor(coverage: SchemaCoverage | undefined, provider: string): Counter {
  if (coverage === undefined) return NO_COUNTER;
  return {
    attribute: () => void (coverage.attributes[provider] = (coverage.attributes[provider] ?? 0) + 1),
    block: () => void (coverage.blocks[provider] = (coverage.blocks[provider] ?? 0) + 1),
  };
}

const bump = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);

/** The provider a resource or data source type belongs to: its name up to the first `_` (`kubernetes_deployment_v1`). */
export function providerOf(type: string): string {
  const underscore = type.indexOf('_');
  return underscore < 0 ? type : type.slice(0, underscore);
}

/**
 * Every violation of one synthesized stack against the schemas of its
 * providers, by provider local name (`openstack`, `kubernetes`, `terraform`
 * for the built-in terraform_data and terraform_remote_state): every
 * resource, data source and provider block is checked against the schema of
 * its provider, and one whose provider has no schema here is a violation
 * itself, so a new provider cannot slip past the check.
 */
export function checkAgainstSchemas(
  stackJson: Record<string, any>,
  schemas: Readonly<Record<string, ProviderSchemaDocument>>,
  coverage?: SchemaCoverage,
): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  const providers = new Set<string>();
  for (const section of ['resource', 'data'] as const) {
    for (const type of Object.keys(stackJson[section] ?? {})) providers.add(providerOf(type));
  }
  for (const name of Object.keys(stackJson.provider ?? {})) providers.add(name);
  for (const provider of [...providers].sort()) {
    const schema = schemas[provider];
    if (schema === undefined) {
      violations.push({ address: provider, problem: `no provider schema for ${provider} to check its resources against` });
      continue;
    }
    violations.push(...checkAgainstSchema(stackJson, schema, provider, coverage));
  }
  return violations;
}

export interface SchemaViolation {
  /** e.g. `resource.openstack_networking_subnet_v2.Network_ServersSubnet.cidr` */
  readonly address: string;
  readonly problem: string;
}

/**
 * Every violation of `schema` in one synthesized stack, for the resources,
 * data sources and provider blocks whose type starts with `prefix`
 * (e.g. `openstack`).
 */
export function checkAgainstSchema(
  stackJson: Record<string, any>,
  schema: ProviderSchemaDocument,
  prefix: string,
  coverage?: SchemaCoverage,
): SchemaViolation[] {
  const entries = Object.values(schema.provider_schemas);
  if (entries.length !== 1) throw new Error('expected a schema with exactly one provider');
  const provider = entries[0];
  const violations: SchemaViolation[] = [];
  const owns = (type: string) => type === prefix || type.startsWith(`${prefix}_`);
  const count = counterFor(coverage, prefix);

  for (const [section, schemas] of [
    ['resource', provider.resource_schemas ?? {}],
    ['data', provider.data_source_schemas ?? {}],
  ] as const) {
    for (const [type, instances] of Object.entries<Record<string, unknown>>(stackJson[section] ?? {})) {
      if (!owns(type)) continue;
      for (const [name, body] of Object.entries(instances)) {
        const address = `${section}.${type}.${name}`;
        const typeSchema = schemas[type];
        if (!typeSchema) {
          violations.push({ address, problem: `${type} is not in the provider schema` });
          continue;
        }
        if (coverage) {
          bump(section === 'resource' ? coverage.resources : coverage.dataSources, prefix);
          coverage.types.add(`${section}.${type}`);
        }
        checkBlock(body, typeSchema.block, address, violations, count);
      }
    }
  }
  const providerBlocks = stackJson.provider?.[prefix];
  for (const [index, body] of (Array.isArray(providerBlocks) ? providerBlocks : []).entries()) {
    const { alias: _alias, ...rest } = body as Record<string, unknown>;
    if (coverage) bump(coverage.providerBlocks, prefix);
    checkBlock(rest, provider.provider.block, `provider.${prefix}[${index}]`, violations, count);
  }
  return violations;
}

function checkBlock(body: unknown, block: SchemaBlock, address: string, out: SchemaViolation[], count: Counter): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    out.push({ address, problem: 'expected an object' });
    return;
  }
  const attributes = block.attributes ?? {};
  const blockTypes = block.block_types ?? {};
  const values = body as Record<string, unknown>;
  for (const [key, value] of Object.entries(values)) {
    if (META_ARGUMENTS.has(key)) continue;
    const at = `${address}.${key}`;
    const attribute = attributes[key];
    if (attribute) {
      count.attribute();
      if (attribute.computed && !attribute.optional && !attribute.required) {
        out.push({ address: at, problem: 'is computed-only and cannot be set' });
      } else if (attribute.type !== undefined) {
        checkValue(value, attribute.type, at, out);
      } else if (attribute.nested_type !== undefined) {
        checkNestedAttribute(value, attribute.nested_type, at, out, count);
      }
      continue;
    }
    const blockType = blockTypes[key];
    if (blockType) {
      checkNestedBlock(value, blockType, at, out, count);
      continue;
    }
    out.push({ address: at, problem: 'is not an attribute or block of this type' });
  }
  for (const [key, attribute] of Object.entries(attributes)) {
    if (attribute.required && values[key] === undefined) {
      out.push({ address: `${address}.${key}`, problem: 'is required but not set' });
    }
  }
  for (const [key, blockType] of Object.entries(blockTypes)) {
    if ((blockType.min_items ?? 0) > 0 && values[key] === undefined) {
      out.push({ address: `${address}.${key}`, problem: `needs at least ${blockType.min_items} block(s)` });
    }
  }
}

/**
 * An attribute with a nested type (the plugin framework's nested attributes,
 * e.g. helm_release's `set` or the helm provider's `kubernetes`): checked like
 * a block of those attributes, by its nesting mode.
 */
function checkNestedAttribute(
  value: unknown,
  nested: NonNullable<SchemaAttribute['nested_type']>,
  address: string,
  out: SchemaViolation[],
  count: Counter,
): void {
  if (value === null || isInterpolation(value)) return;
  checkNestedBlock(value, { nesting_mode: nested.nesting_mode, block: { attributes: nested.attributes }, min_items: nested.min_items, max_items: nested.max_items }, address, out, count);
}

function checkNestedBlock(value: unknown, blockType: SchemaBlockType, address: string, out: SchemaViolation[], count: Counter): void {
  if (isInterpolation(value)) return; // a dynamic value, typed by OpenTofu
  if (blockType.nesting_mode === 'single' || blockType.nesting_mode === 'group') {
    // cdktf writes single blocks as an object (older versions as a one-item list).
    const items = Array.isArray(value) ? value : [value];
    if (items.length > 1) out.push({ address, problem: 'is a single block but has several items' });
    items.forEach((item) => {
      count.block();
      checkBlock(item, blockType.block, address, out, count);
    });
    return;
  }
  if (blockType.nesting_mode === 'map') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) out.push({ address, problem: 'expected a map of blocks' });
    else
      Object.entries(value).forEach(([k, item]) => {
        count.block();
        checkBlock(item, blockType.block, `${address}.${k}`, out, count);
      });
    return;
  }
  const items = Array.isArray(value) ? value : [value];
  if (blockType.max_items !== undefined && items.length > blockType.max_items) {
    out.push({ address, problem: `has ${items.length} blocks, at most ${blockType.max_items} allowed` });
  }
  if (blockType.min_items !== undefined && items.length < blockType.min_items) {
    out.push({ address, problem: `has ${items.length} blocks, at least ${blockType.min_items} needed` });
  }
  items.forEach((item, i) => {
    if (isInterpolation(item)) return;
    count.block();
    checkBlock(item, blockType.block, `${address}[${i}]`, out, count);
  });
}

function isInterpolation(value: unknown): boolean {
  return typeof value === 'string' && /^\$\{[\s\S]*\}$/.test(value);
}

function checkValue(value: unknown, type: CtyType, address: string, out: SchemaViolation[]): void {
  if (value === null || isInterpolation(value)) return;
  const fail = (expected: string): void => {
    out.push({ address, problem: `expected ${expected}, got ${JSON.stringify(value)}` });
  };
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        // OpenTofu converts numbers and bools to strings; strings with
        // interpolations inside are strings too.
        if (!['string', 'number', 'boolean'].includes(typeof value)) fail('a string');
        return;
      case 'number':
        if (typeof value !== 'number' && !(typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) fail('a number');
        return;
      case 'bool':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') fail('a bool');
        return;
      default: // "dynamic"
        return;
    }
  }
  const [kind, inner] = type;
  switch (kind) {
    case 'list':
    case 'set':
      if (!Array.isArray(value)) return fail(`a ${kind}`);
      value.forEach((v, i) => checkValue(v, inner as CtyType, `${address}[${i}]`, out));
      return;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) return fail('a map');
      Object.entries(value as object).forEach(([k, v]) => checkValue(v, inner as CtyType, `${address}.${k}`, out));
      return;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return fail('an object');
      const fields = inner as Record<string, CtyType>;
      const optional = new Set((type as [string, unknown, unknown])[2] as string[] | undefined);
      const given = value as Record<string, unknown>;
      for (const [k, v] of Object.entries(given)) {
        if (!(k in fields)) out.push({ address: `${address}.${k}`, problem: 'is not a field of this object' });
        else checkValue(v, fields[k], `${address}.${k}`, out);
      }
      for (const k of Object.keys(fields)) {
        if (!optional.has(k) && !(k in given)) out.push({ address: `${address}.${k}`, problem: 'is required in this object but not set' });
      }
      return;
    }
    case 'tuple': {
      if (!Array.isArray(value)) return fail('a tuple');
      const elements = inner as CtyType[];
      if (value.length !== elements.length) return fail(`a tuple of ${elements.length}`);
      value.forEach((v, i) => checkValue(v, elements[i], `${address}[${i}]`, out));
      return;
    }
    default:
      return;
  }
}
