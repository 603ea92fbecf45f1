import type { TerraformResourceLifecycle } from 'cdktf';
import type { Construct } from 'constructs';
import { PlainResource } from '../../cdktf/plain-resource';

/**
 * A kubernetes provider resource whose attributes are fixed when it is created:
 * already converted by the binding's own `<type>ToTerraform` functions from
 * the binding's typed structs, and returned as they are at synth (see
 * PlainResource).
 *
 * Why not the binding class itself: its constructor builds an OutputReference
 * for every block of the resource's schema, used or not (a deployment has
 * hundreds), and each captures a full stack trace (cdktf's ComplexResolvable
 * does, whatever the App's stackTraces option). That was about 70% of the
 * build time of a site. The sites never read attributes back from these
 * resources (every value is a literal), so nothing needs those references.
 */
export class KubernetesObject extends PlainResource {
  constructor(
    scope: Construct,
    id: string,
    type: string,
    attributes: Record<string, unknown>,
    lifecycle?: TerraformResourceLifecycle,
  ) {
    super(scope, id, { terraformResourceType: type, providerName: 'kubernetes', attributes, lifecycle });
  }
}
