import type { IConstruct } from 'constructs';
import { stackNameOf, terraformBlockOf } from './private/inspect';
import type { GuardrailRule, GuardrailViolation } from './violation';

/** Stacks holding production data: `production` and `production-*`. */
export function isProductionStackName(name: string): boolean {
  return name === 'production' || name.startsWith('production-');
}

/**
 * `backups-kept-in-production`: no object storage container of a production
 * stack is force-destroyed, so `tofu destroy` cannot take the etcd snapshots
 * with it.
 */
export class BackupsKeptInProduction implements GuardrailRule {
  static readonly ID = 'backups-kept-in-production';
  readonly id = BackupsKeptInProduction.ID;

  check(construct: IConstruct): GuardrailViolation[] {
    const block = terraformBlockOf(construct);
    if (block?.kind !== 'resource' || block.type !== 'openstack_objectstorage_container_v1') return [];
    const forceDestroy = block.attributes.force_destroy;
    if (forceDestroy !== true && forceDestroy !== 'true') return [];
    const stack = stackNameOf(construct);
    if (!isProductionStackName(stack)) return [];
    return [
      {
        path: construct.node.path,
        rule: this.id,
        problem: `force_destroy is true on a container of the ${stack} stack`,
        fix: 'set force_destroy to false (environments.production.backups.forceDestroy: false); empty the container by hand if you must delete it',
      },
    ];
  }
}
