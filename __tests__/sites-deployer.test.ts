import { SITES_DEPLOYER_RULES } from '../lib/platform/sites-deployer';
import { catalogOptionsOf, loadSitesCatalog } from '../lib/sites/catalog';
import { loadPlatformConfig } from '../lib/config';
import { synthPlatform } from './support/synth';

const { config } = loadPlatformConfig({});
const { catalog } = loadSitesCatalog(catalogOptionsOf(config), {});
const { json } = synthPlatform(config, catalog);

/** The API group and resource behind each kubernetes provider type a site uses. */
const API_RESOURCE: Record<string, [string, string]> = {
  kubernetes_namespace_v1: ['', 'namespaces'],
  kubernetes_resource_quota_v1: ['', 'resourcequotas'],
  kubernetes_limit_range_v1: ['', 'limitranges'],
  kubernetes_service_account_v1: ['', 'serviceaccounts'],
  kubernetes_service_v1: ['', 'services'],
  kubernetes_deployment_v1: ['apps', 'deployments'],
  kubernetes_ingress_v1: ['networking.k8s.io', 'ingresses'],
  kubernetes_network_policy_v1: ['networking.k8s.io', 'networkpolicies'],
  kubernetes_pod_disruption_budget_v1: ['policy', 'poddisruptionbudgets'],
  kubernetes_horizontal_pod_autoscaler_v2: ['autoscaling', 'horizontalpodautoscalers'],
};
const granted = (group: string, resource: string) =>
  SITES_DEPLOYER_RULES.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource));
const sitesStacks = Object.keys(json).filter((name) => /-sites-\d+$/.test(name));

describe('the sites deployer: what a site needs, nothing more', () => {
  test('its role grants every kind the sites stacks create', () => {
    expect(sitesStacks.length).toBeGreaterThan(0);
    for (const name of sitesStacks) {
      for (const type of Object.keys(json[name].resource)) {
        expect(API_RESOURCE[type]).toBeDefined(); // a new kind must be added here, and to the role
        expect(granted(...API_RESOURCE[type])).toBe(true);
      }
    }
  });

  test('and no kind they do not create: no Secrets, no RBAC, no pods, no cluster-wide kind but namespaces', () => {
    const all = SITES_DEPLOYER_RULES.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`)));
    expect(all.sort()).toEqual(Object.values(API_RESOURCE).map(([g, r]) => `${g}/${r}`).sort());
  });

  test.each(['production', 'test'])('%s-platform creates it, bound by RBAC, with a service-account token', (env) => {
    const stack = json[`${env}-platform`];
    const [role] = Object.values<any>(stack.resource.kubernetes_cluster_role_v1);
    expect(role.metadata.name).toBe('sites-deployer');
    expect(role.rule.map((r: any) => r.verbs)).toEqual(
      SITES_DEPLOYER_RULES.map(() => ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
    );
    const [binding] = Object.values<any>(stack.resource.kubernetes_cluster_role_binding_v1);
    expect(binding.role_ref).toEqual({ api_group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'sites-deployer' });
    expect(binding.subject).toEqual([{ kind: 'ServiceAccount', name: 'sites-deployer', namespace: 'kube-system' }]);
    const token = Object.values<any>(stack.resource.kubernetes_secret_v1).find((s) => s.type === 'kubernetes.io/service-account-token');
    expect(token.metadata.annotations).toEqual({ 'kubernetes.io/service-account.name': 'sites-deployer' });
    expect(token.wait_for_service_account_token).toBe(true);
    // The token exists only once the admission policy that scopes it does.
    const scope = Object.keys(stack.resource.helm_release).find((id) => id.includes('SitesDeployer_Scope'))!;
    expect(token.depends_on).toContain(`helm_release.${scope}`);
  });

  test.each(['production', 'test'])('%s-platform outputs only what the sites stacks read, sensitive', (env) => {
    const stack = json[`${env}-platform`];
    expect(Object.keys(stack.output)).toEqual(['sites_access']);
    expect(stack.output.sites_access.sensitive).toBe(true);
    expect(Object.keys(stack.output.sites_access.value).sort()).toEqual(['api_address', 'cluster_ca_certificate', 'host', 'token']);
    expect(stack.output.sites_access.value.token).toMatch(/^\$\{kubernetes_secret_v1\.SitesDeployer_Token_\w+\.data\.token\}$/);
  });

  test('tools has no sites, so no sites deployer', () => {
    expect(json['tools-platform'].resource.kubernetes_cluster_role_v1).toBeUndefined();
    expect(json['tools-platform'].output.sites_access).toBeUndefined();
  });

  test('an admission policy limits it to site-* namespaces, labelled as tenants under restricted Pod Security', () => {
    const release = Object.entries<any>(json['production-platform'].resource.helm_release).find(([id]) => id.includes('SitesDeployer_Scope'))![1];
    const { objects } = require('yaml').parse(release.values[0]);
    const [policy, binding] = objects;
    expect(policy.kind).toBe('ValidatingAdmissionPolicy');
    expect(policy.spec.failurePolicy).toBe('Fail');
    // Subresources too: `*` alone leaves deployments/scale or pods/exec unmatched.
    expect(policy.spec.matchConstraints.resourceRules.map((r: any) => r.resources)).toEqual([['*/*']]);
    expect(policy.spec.matchConditions).toEqual([
      { name: 'is-sites-deployer', expression: "request.userInfo.username == 'system:serviceaccount:kube-system:sites-deployer'" },
    ]);
    expect(policy.spec.validations.map((v: any) => v.expression)).toEqual([
      "request.resource.resource == 'namespaces' ? request.name.startsWith('site-') : (has(request.namespace) && request.namespace.startsWith('site-'))",
      expect.stringMatching(/^request\.resource\.resource != 'namespaces' \|\| request\.operation == 'DELETE' \|\| \(.*'platform\.webhost\.ch\/tenant' in object\.metadata\.labels.*'pod-security\.kubernetes\.io\/enforce'\] == 'restricted'.*\)$/),
    ]);
    expect(binding).toEqual({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'sites-deployer' },
      spec: { policyName: 'sites-deployer', validationActions: ['Deny'] },
    });
  });
});
