import { TerraformOutput } from 'cdktf';
import type { IConstruct } from 'constructs';
import { resolveAsCdktf } from '../cdktf/resolve';
import { stackNameOf, terraformBlockOf } from './private/inspect';
import type { GuardrailRule, GuardrailViolation } from './violation';

/**
 * Addresses of what must never leave a cluster stack's own state: the
 * break-glass (system:masters) certificate and key, and the etcd snapshots'
 * EC2 credential (construct ids of lib/rke2/pki.ts and lib/openstack/backup-bucket.ts).
 */
const STAYS_IN_ITS_STATE = [/\btls_locally_signed_cert\.\w*Pki_AdminCert_/, /\btls_private_key\.\w*Pki_AdminKey_/, /\bopenstack_identity_ec2_credential_v3\.\w*_S3Credential_/];
const isSitesStack = (name: string) => /-sites-\d+$/.test(name);

/**
 * `secrets-stay-put`: what a stack hands to others goes through its outputs,
 * and every reader copies all of them into its own state. So no output may
 * carry the break-glass certificate or the etcd snapshots' keys, and a sites
 * stack's kubernetes provider authenticates with the sites deployer's token,
 * never a client certificate.
 */
export class SecretsStayPut implements GuardrailRule {
  static readonly ID = 'secrets-stay-put';
  readonly id = SecretsStayPut.ID;

  check(construct: IConstruct): GuardrailViolation[] {
    const path = construct.node.path;
    if (construct instanceof TerraformOutput) {
      const text = JSON.stringify(resolveAsCdktf(construct, construct.toTerraform()));
      const leak = STAYS_IN_ITS_STATE.find((pattern) => pattern.test(text));
      if (leak === undefined) return [];
      return [
        {
          path,
          rule: this.id,
          problem: `output ${construct.friendlyUniqueId} carries ${text.match(leak)![0].replace(/_[^_.]*$/, '')}, which every reader of this stack would copy into its state`,
          fix: 'keep break-glass and snapshot credentials out of outputs (the break-glass kubeconfig is in terraform_data.break_glass_kubeconfig)',
        },
      ];
    }
    const block = terraformBlockOf(construct);
    if (block?.kind !== 'provider' || block.type !== 'kubernetes' || !isSitesStack(stackNameOf(construct))) return [];
    if (block.attributes.client_certificate === undefined && block.attributes.client_key === undefined && block.attributes.token !== undefined) return [];
    return [
      {
        path,
        rule: this.id,
        problem: 'a sites stack\'s kubernetes provider authenticates with something other than the sites deployer\'s token',
        fix: 'configure it from the platform stack\'s sites_access output (host, cluster_ca_certificate, token)',
      },
    ];
  }
}
