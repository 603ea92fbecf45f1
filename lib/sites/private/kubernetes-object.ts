import { TerraformResource, type TerraformResourceLifecycle } from 'cdktf';
import type { Construct } from 'constructs';
import { isPlain, type KnownPlainJson } from '../../cdktf/plain-values';

/** The provider the objects belong to; cdktf checks that the stack configures it. */
const GENERATOR_METADATA = { providerName: 'kubernetes' };

/**
 * A kubernetes provider resource whose attributes are fixed when it is created:
 * already converted by the binding's own `<type>ToTerraform` functions from
 * the binding's typed structs, and returned as they are at synth.
 *
 * Why not the binding class itself: its constructor builds an OutputReference
 * for every block of the resource's schema, used or not (a deployment has
 * hundreds), and each captures a full stack trace (cdktf's ComplexResolvable
 * does, whatever the App's stackTraces option). That was about 70% of the
 * build time of a site. The sites never read attributes back from these
 * resources (every value is a literal), so nothing needs those references.
 */
export class KubernetesObject extends TerraformResource implements KnownPlainJson {
  private readonly attributes: Record<string, unknown>;
  /** Whether the attributes hold no token: they never change, so they are walked once. */
  private attributesPlain?: boolean;
  /** The slim JSON last built, and what it was built from (the logical id, the ignored changes). */
  private slim?: { readonly key: string; readonly json: Record<string, unknown> };

  constructor(
    scope: Construct,
    id: string,
    type: string,
    attributes: Record<string, unknown>,
    lifecycle?: TerraformResourceLifecycle,
  ) {
    super(scope, id, { terraformResourceType: type, terraformGeneratorMetadata: GENERATOR_METADATA, lifecycle });
    this.attributes = withoutUndefined(attributes) as Record<string, unknown>;
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return this.attributes;
  }

  /**
   * The resource's JSON. cdktf calls this four times per resource and synth
   * (dependency search, synth, and each guardrail check); the general version
   * walks and copies the whole attribute tree twice more each time (dynamic
   * blocks, merging meta-arguments). These resources have none of that: no
   * dynamic blocks, no meta-argument but lifecycle.ignore_changes. Anything
   * else (an override, depends_on, a move, an import) takes cdktf's path.
   */
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
