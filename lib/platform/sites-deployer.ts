import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1';
import { ClusterRoleV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { POD_SECURITY_LABELS, POD_SECURITY_LEVEL, TENANT_LABEL } from '../aspects/conventions';
import type { KubernetesObject } from './helm-values';
import { ManifestsRelease } from './release';

/** Name of the sites stacks' service account, its role, binding and admission policy. */
export const SITES_DEPLOYER = 'sites-deployer';
/** Namespaces the sites stacks may create and work in. */
export const SITE_NAMESPACE_PREFIX = 'site-';

/**
 * What a site's objects need (see lib/sites/website.ts): the namespace itself
 * (cluster-scoped, so a ClusterRole), and the namespaced kinds inside it.
 * No Secrets, no RBAC objects, no pods directly: a site's pods come from its
 * Deployment, under the namespace's `restricted` Pod Security level.
 */
export const SITES_DEPLOYER_RULES: ReadonlyArray<{ apiGroups: string[]; resources: string[] }> = [
  { apiGroups: [''], resources: ['namespaces', 'resourcequotas', 'limitranges', 'serviceaccounts', 'services'] },
  { apiGroups: ['apps'], resources: ['deployments'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'] },
];
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

export interface SitesDeployerProps {
  /** Platform namespace the service account and its token live in. */
  readonly namespace: string;
}

/**
 * The identity of the sites stacks: a service account whose rights come from
 * RBAC (the kinds a site needs, {@link SITES_DEPLOYER_RULES}) and are narrowed
 * by a ValidatingAdmissionPolicy to namespaces named `site-*` and what is
 * inside them. RBAC cannot limit the namespaces a subject creates, so the
 * policy does: it refuses any other namespace, any object outside `site-*`,
 * and a site namespace without the tenant label and the `restricted` Pod
 * Security labels (the cluster-wide tenant policy selects on that label; a
 * namespace without it would escape the outer isolation layer).
 *
 * Its token (a service-account token Secret, valid until the Secret is
 * deleted: delete it and apply to rotate) is the only credential the sites
 * stacks get, through the platform stack's `sites_access` output.
 */
export class SitesDeployer extends Construct {
  readonly serviceAccount: ServiceAccountV1;
  readonly clusterRole: ClusterRoleV1;
  readonly admission: ManifestsRelease;
  /** The service-account token (sensitive). */
  readonly token: string;
  /** The user name the API server sees: `system:serviceaccount:<ns>:sites-deployer`. */
  readonly userName: string;
  readonly policy: KubernetesObject;

  constructor(scope: Construct, id: string, props: SitesDeployerProps) {
    super(scope, id);
    const { namespace } = props;
    this.userName = `system:serviceaccount:${namespace}:${SITES_DEPLOYER}`;
    this.serviceAccount = new ServiceAccountV1(this, 'ServiceAccount', {
      metadata: { name: SITES_DEPLOYER, namespace },
      automountServiceAccountToken: false,
    });
    this.clusterRole = new ClusterRoleV1(this, 'ClusterRole', {
      metadata: { name: SITES_DEPLOYER },
      rule: SITES_DEPLOYER_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: VERBS })),
    });
    new ClusterRoleBindingV1(this, 'ClusterRoleBinding', {
      metadata: { name: SITES_DEPLOYER },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: SITES_DEPLOYER },
      subject: [{ kind: 'ServiceAccount', name: SITES_DEPLOYER, namespace }],
    });

    const labelIs = (key: string, value: string) =>
      `(has(object.metadata.labels) && '${key}' in object.metadata.labels && object.metadata.labels['${key}'] == '${value}')`;
    const labelled = [
      `(has(object.metadata.labels) && '${TENANT_LABEL}' in object.metadata.labels)`,
      ...POD_SECURITY_LABELS.map((key) => labelIs(key, POD_SECURITY_LEVEL)),
    ].join(' && ');
    this.policy = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: SITES_DEPLOYER },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          // `*/*`: subresources too (deployments/scale, pods/exec...), which `*`
          // does not match; the policy holds whatever RBAC grants later.
          resourceRules: [
            { apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'], resources: ['*/*'], scope: '*' },
          ],
        },
        matchConditions: [{ name: 'is-sites-deployer', expression: `request.userInfo.username == '${this.userName}'` }],
        validations: [
          {
            // A cluster-scoped request has no request.namespace at all (an
            // evaluation error, not false): has() makes it a plain refusal.
            expression: `request.resource.resource == 'namespaces' ? request.name.startsWith('${SITE_NAMESPACE_PREFIX}') : (has(request.namespace) && request.namespace.startsWith('${SITE_NAMESPACE_PREFIX}'))`,
            message: `the sites deployer may only manage namespaces named ${SITE_NAMESPACE_PREFIX}* and the objects inside them`,
          },
          {
            expression: `request.resource.resource != 'namespaces' || request.operation == 'DELETE' || (${labelled})`,
            message: `a site namespace must carry ${TENANT_LABEL} and the ${POD_SECURITY_LEVEL} Pod Security labels`,
          },
        ],
      },
    };
    const binding: KubernetesObject = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: SITES_DEPLOYER },
      spec: { policyName: SITES_DEPLOYER, validationActions: ['Deny'] },
    };
    // Before the token exists, so that the identity is never usable unscoped.
    this.admission = new ManifestsRelease(this, 'Scope', {
      name: SITES_DEPLOYER,
      namespace,
      objects: [this.policy, binding],
    });
    const secret = new SecretV1(this, 'Token', {
      metadata: {
        name: `${SITES_DEPLOYER}-token`,
        namespace,
        annotations: { 'kubernetes.io/service-account.name': SITES_DEPLOYER },
      },
      type: 'kubernetes.io/service-account-token',
      waitForServiceAccountToken: true,
      dependsOn: [this.serviceAccount, this.admission.release],
    });
    this.token = Fn.lookup(secret.data, 'token', '');
  }
}
