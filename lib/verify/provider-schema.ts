/**
 * Checks synthesized Terraform JSON against a provider schema (the output of
 * `tofu providers schema -json`): every resource, data source, attribute and
 * block must exist, required ones must be set, computed-only ones must not be,
 * and literal values must have the attribute's type. Interpolations (`${...}`)
 * are typed by OpenTofu itself at validate time and are not checked here.
 */

type CtyType = string | [string, unknown] | [string, unknown, unknown];

interface SchemaAttribute {
  type?: CtyType;
  nested_type?: { attributes: Record<string, SchemaAttribute>; nesting_mode: string };
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
export function checkAgainstSchema(stackJson: Record<string, any>, schema: ProviderSchemaDocument, prefix: string): SchemaViolation[] {
  const entries = Object.values(schema.provider_schemas);
  if (entries.length !== 1) throw new Error('expected a schema with exactly one provider');
  const provider = entries[0];
  const violations: SchemaViolation[] = [];
  const owns = (type: string) => type === prefix || type.startsWith(`${prefix}_`);

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
        checkBlock(body, typeSchema.block, address, violations);
      }
    }
  }
  const providerBlocks = stackJson.provider?.[prefix];
  for (const [index, body] of (Array.isArray(providerBlocks) ? providerBlocks : []).entries()) {
    const { alias: _alias, ...rest } = body as Record<string, unknown>;
    checkBlock(rest, provider.provider.block, `provider.${prefix}[${index}]`, violations);
  }
  return violations;
}

function checkBlock(body: unknown, block: SchemaBlock, address: string, out: SchemaViolation[]): void {
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
      if (attribute.computed && !attribute.optional && !attribute.required) {
        out.push({ address: at, problem: 'is computed-only and cannot be set' });
      } else if (attribute.type !== undefined) {
        checkValue(value, attribute.type, at, out);
      }
      continue;
    }
    const blockType = blockTypes[key];
    if (blockType) {
      checkNestedBlock(value, blockType, at, out);
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

function checkNestedBlock(value: unknown, blockType: SchemaBlockType, address: string, out: SchemaViolation[]): void {
  if (isInterpolation(value)) return; // a dynamic value, typed by OpenTofu
  if (blockType.nesting_mode === 'single' || blockType.nesting_mode === 'group') {
    // cdktf writes single blocks as an object (older versions as a one-item list).
    const items = Array.isArray(value) ? value : [value];
    if (items.length > 1) out.push({ address, problem: 'is a single block but has several items' });
    items.forEach((item) => checkBlock(item, blockType.block, address, out));
    return;
  }
  if (blockType.nesting_mode === 'map') {
    if (value === null || typeof value !== 'object') out.push({ address, problem: 'expected a map of blocks' });
    else Object.entries(value).forEach(([k, item]) => checkBlock(item, blockType.block, `${address}.${k}`, out));
    return;
  }
  const items = Array.isArray(value) ? value : [value];
  if (blockType.max_items !== undefined && items.length > blockType.max_items) {
    out.push({ address, problem: `has ${items.length} blocks, at most ${blockType.max_items} allowed` });
  }
  if (blockType.min_items !== undefined && items.length < blockType.min_items) {
    out.push({ address, problem: `has ${items.length} blocks, at least ${blockType.min_items} needed` });
  }
  items.forEach((item, i) => checkBlock(item, blockType.block, `${address}[${i}]`, out));
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
      for (const [k, v] of Object.entries(value as object)) {
        if (!(k in fields)) out.push({ address: `${address}.${k}`, problem: 'is not a field of this object' });
        else checkValue(v, fields[k], `${address}.${k}`, out);
      }
      return;
    }
    default:
      return;
  }
}
