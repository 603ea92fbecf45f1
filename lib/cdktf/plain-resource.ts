import { TerraformResource, type TerraformResourceLifecycle } from 'cdktf';
import type { Construct } from 'constructs';
import { isPlain, type KnownPlainJson } from './plain-values';

export interface PlainResourceConfig {
  /** The Terraform resource type, e.g. `kubernetes_namespace_v1`. */
  readonly terraformResourceType: string;
  /** The provider the resource belongs to, e.g. `kubernetes`: cdktf checks that the stack configures it. */
  readonly providerName: string;
  /**
   * The attributes as the JSON writes them (snake_case keys), e.g. from a
   * binding's `<type>ToTerraform` functions. Fixed once the resource is
   * created; undefined entries are dropped.
   */
  readonly attributes: Record<string, unknown>;
  /** @default - no lifecycle block */
  readonly lifecycle?: TerraformResourceLifecycle;
}

/**
 * A resource whose attributes are fixed when it is created, returned as they
 * are at synth: cdktf's own `TerraformResource.toTerraform()` computed
 * without its general path where nothing needs it.
 *
 * cdktf calls `toTerraform()` several times per resource and synth
 * (dependency search, synth, and each guardrail check); the general version
 * walks and copies the whole attribute tree twice more each time (dynamic
 * blocks, then the merge of attributes, meta-arguments, provisioners and
 * overrides). A resource with no dynamic block and no meta-argument but
 * `lifecycle.ignore_changes` needs none of that. Anything else (an override,
 * depends_on, count, for_each, a provider, a move, an import, provisioners, a
 * connection, other lifecycle settings) takes cdktf's path.
 *
 * Relies on cdktf internals, all of TerraformResource: the JSON its
 * `toTerraform()` builds (attributes merged with the snake_cased
 * meta-arguments and the overrides, `//` construct metadata last), the
 * protected `rawOverrides` and `constructNodeMetadata`, and the private
 * `_imported` an import sets. __tests__/cdktf-internals.test.ts compares this
 * with cdktf's own `toTerraform()`.
 */
export class PlainResource extends TerraformResource implements KnownPlainJson {
  private readonly attributes: Record<string, unknown>;
  /** Whether the attributes hold no token: they never change, so they are walked once. */
  private attributesPlain?: boolean;
  /** The slim JSON last built, and what it was built from (the logical id, the ignored changes). */
  private slim?: { readonly key: string; readonly json: Record<string, unknown> };

  constructor(scope: Construct, id: string, config: PlainResourceConfig) {
    super(scope, id, {
      terraformResourceType: config.terraformResourceType,
      terraformGeneratorMetadata: { providerName: config.providerName },
      lifecycle: config.lifecycle,
    });
    this.attributes = withoutUndefined(config.attributes) as Record<string, unknown>;
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return this.attributes;
  }

  /** The resource's JSON: the slim form where it applies, else cdktf's. */
  toTerraform(): any {
    return this.slimTerraform() ?? super.toTerraform();
  }

  /**
   * The JSON when it is plain: the slim form applies and neither the
   * attributes nor the construct metadata hold a token. Synth, the
   * preparing pass and the guardrails ask this instead of walking the JSON.
   */
  plainTerraform(): Record<string, unknown> | undefined {
    const json = this.slimTerraform();
    if (json === undefined) return undefined;
    this.attributesPlain ??= isPlain(this.attributes);
    if (!this.attributesPlain) return undefined;
    const body = (json.resource as Record<string, Record<string, Record<string, unknown>>>)[this.terraformResourceType][this.friendlyUniqueId];
    return isPlain(body['//']) && isPlain(body.lifecycle) ? json : undefined;
  }

  /** The JSON written without cdktf's general path, or undefined where that path is needed. */
  private slimTerraform(): Record<string, unknown> | undefined {
    const ignoreChanges = this.lifecycle?.ignoreChanges;
    const plain =
      Object.keys(this.rawOverrides).length === 0 &&
      this.dependsOn === undefined &&
      this.count === undefined &&
      this.provider === undefined &&
      this.forEach === undefined &&
      this.provisioners === undefined &&
      this.connection === undefined &&
      this.hasResourceMove() === undefined &&
      (this.lifecycle === undefined || (Object.keys(this.lifecycle).length === 1 && Array.isArray(ignoreChanges)));
    if (!plain || (this as unknown as { _imported?: unknown })._imported !== undefined) return undefined;
    // Built once and handed out again while what it is made of stays the same
    // (readers copy or only read it): synth, the preparing pass and the guardrails each ask.
    const id = this.friendlyUniqueId;
    const key = ignoreChanges ? `${id}\n${JSON.stringify(ignoreChanges)}` : id;
    if (this.slim?.key === key) return this.slim.json;
    const body: Record<string, unknown> = { ...this.attributes, '//': this.constructNodeMetadata };
    if (ignoreChanges) body.lifecycle = { ignore_changes: [...ignoreChanges] };
    const json = { resource: { [this.terraformResourceType]: { [id]: body } } };
    this.slim = { key, json };
    return json;
  }
}

/**
 * A copy of plain objects and arrays without their undefined entries. The
 * `<type>ToTerraform` functions write every key of the schema, set or not
 * (about four unset keys for each set one); cdktf's resolver visits each key
 * at synth, and the guardrails resolve every resource again.
 */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) copy[key] = withoutUndefined(item);
  }
  return copy;
}
