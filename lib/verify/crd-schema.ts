/**
 * Checks custom resources against the openAPIV3Schema of their
 * CustomResourceDefinition, more strictly than the API server: a field the
 * schema does not name is an error here, where the API server would drop it
 * without a word (a `deleteEmptyDirData` typo would silently keep emptyDir
 * pods from being evicted). Used by the tests on the vendored CRD of the
 * system-upgrade-controller and by scripts/render-charts.sh on the CRD of the
 * pinned Go module itself.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { parseAllDocuments } from 'yaml';

type Schema = Record<string, unknown>;

/** The CRD documents of a YAML text, by `<plural>.<group>`. */
export interface CrdSchemas {
  /** Validates one object (apiVersion and kind pick the CRD and its version); [] when it conforms. */
  validate(object: { apiVersion?: unknown; kind?: unknown }): string[];
}

/**
 * Reads every CustomResourceDefinition in `crdYaml` and returns a validator
 * for objects of their kinds. An object of a kind or version none of them
 * defines is an error, as it would be for the API server.
 */
export function crdSchemas(crdYaml: string): CrdSchemas {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validators = new Map<string, ReturnType<Ajv['compile']>>();
  for (const doc of parseAllDocuments(crdYaml)) {
    const crd = doc.toJSON() as any;
    if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
    for (const version of crd.spec.versions ?? []) {
      const schema = version.schema?.openAPIV3Schema;
      if (!schema) throw new Error(`CRD ${crd.metadata.name} ${version.name} has no openAPIV3Schema`);
      validators.set(`${crd.spec.group}/${version.name} ${crd.spec.names.kind}`, ajv.compile(strict(schema) as object));
    }
  }
  if (validators.size === 0) throw new Error('no CustomResourceDefinition with a schema in the given YAML');
  return {
    validate(object) {
      const key = `${String(object.apiVersion)} ${String(object.kind)}`;
      const validate = validators.get(key);
      if (!validate) return [`${key}: no CRD defines it (known: ${[...validators.keys()].join(', ')})`];
      if (validate(object)) return [];
      return (validate.errors ?? []).map(describe);
    },
  };
}

/**
 * The schema with `additionalProperties: false` wherever an object lists its
 * properties and says nothing of others (structural schemas prune those), and
 * without the `x-kubernetes-*` extensions. `x-kubernetes-preserve-unknown-fields`
 * objects stay open; int-or-string fields carry their own anyOf.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) {
    if (key.startsWith('x-kubernetes-') || key === 'description' || key === 'format') continue;
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, strict(v)])) : strict(value);
  }
  const source = schema as Schema;
  if (source.properties && source.additionalProperties === undefined && source['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

function describe(error: ErrorObject): string {
  const at = error.instancePath || '(the object)';
  if (error.keyword === 'additionalProperties') {
    return `${at}: unknown field ${JSON.stringify((error.params as { additionalProperty: string }).additionalProperty)}`;
  }
  return `${at}: ${error.message}`;
}
