import type { IConstruct } from 'constructs';
import { METADATA_GUARD_UNIT } from '../rke2/cloud-init';
import { terraformBlockOf } from './private/inspect';
import type { GuardrailRule, GuardrailViolation } from './violation';

/**
 * `metadata-closed`: every node boots from the config drive and loads the
 * metadata guard before anything else (see the cloud-init builder), so no pod
 * and no process but root reads the user data after boot.
 */
export class MetadataClosed implements GuardrailRule {
  static readonly ID = 'metadata-closed';
  readonly id = MetadataClosed.ID;

  check(construct: IConstruct): GuardrailViolation[] {
    const block = terraformBlockOf(construct);
    if (block?.kind !== 'resource' || block.type !== 'openstack_compute_instance_v2') return [];
    const problems: string[] = [];
    if (block.attributes.config_drive !== true) problems.push('boots without a config drive (its user data would come from the metadata service)');
    const userData = block.attributes.user_data;
    if (typeof userData !== 'string' || !userData.includes(METADATA_GUARD_UNIT)) {
      problems.push('its user data does not load the metadata guard');
    }
    return problems.map((problem) => ({
      path: construct.node.path,
      rule: this.id,
      problem,
      fix: 'build nodes with NodePool (config_drive) and rke2CloudConfig (blockMetadataService, the default)',
    }));
  }
}
