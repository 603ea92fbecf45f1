import type { IConstruct } from 'constructs';
import { environmentOfStackName, type EnvironmentName } from '../config/environments';
import { stackNameOf, terraformBlockOf } from './private/inspect';
import type { GuardrailRule, GuardrailViolation } from './violation';

/**
 * `backups-kept-in-production`: no object storage container of a protected
 * environment's stacks (`production`, `production-*` in the default config) is
 * force-destroyed, so `tofu destroy` cannot take the etcd snapshots with it.
 */
export class BackupsKeptInProduction implements GuardrailRule {
  static readonly ID = 'backups-kept-in-production';
  readonly id = BackupsKeptInProduction.ID;

  /** @param protectedEnvironments the environments marked `protected: true` */
  constructor(private readonly protectedEnvironments: readonly EnvironmentName[]) {}

  check(construct: IConstruct): GuardrailViolation[] {
    const block = terraformBlockOf(construct);
    if (block?.kind !== 'resource' || block.type !== 'openstack_objectstorage_container_v1') return [];
    const forceDestroy = block.attributes.force_destroy;
    if (forceDestroy !== true && forceDestroy !== 'true') return [];
    const stack = stackNameOf(construct);
    const environment = environmentOfStackName(stack);
    if (!this.protectedEnvironments.includes(environment)) return [];
    return [
      {
        path: construct.node.path,
        rule: this.id,
        problem: `force_destroy is true on a container of the ${stack} stack (${environment} is protected)`,
        fix: `set force_destroy to false (environments.${environment}.backups.forceDestroy: false); empty the container by hand if you must delete it`,
      },
    ];
  }
}
