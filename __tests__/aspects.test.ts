import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { CronJobV1 } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Release } from '@cdktf/provider-helm/lib/release';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { TerraformOutput, TerraformVariable } from 'cdktf';
import { ComputeInstanceV2 } from '../.gen/providers/openstack/compute-instance-v2';
import { IdentityEc2CredentialV3 } from '../.gen/providers/openstack/identity-ec2-credential-v3';
import { ClusterPki } from '../lib/rke2/pki';
import { IdentityApplicationCredentialV3 } from '../.gen/providers/openstack/identity-application-credential-v3';
import { LbListenerV2 } from '../.gen/providers/openstack/lb-listener-v2';
import { NetworkingSecgroupRuleV2 } from '../.gen/providers/openstack/networking-secgroup-rule-v2';
import { NetworkingSubnetV2 } from '../.gen/providers/openstack/networking-subnet-v2';
import { ObjectstorageContainerV1 } from '../.gen/providers/openstack/objectstorage-container-v1';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import {
  addGuardrails,
  assertGuardrails,
  formatViolation,
  Guardrails,
  GuardrailViolationError,
  TENANT_LABEL,
} from '../lib/aspects';
import { loadPlatformConfig } from '../lib/config';
import { scanJson } from '../lib/output';
import { synthPlatform } from './support/synth';

const config = loadPlatformConfig({}).config;

interface GuardOptions {
  readonly stackName?: string;
}

/** Builds one guarded stack and returns the violation lines Testing.synth stops with (none: []). */
function violationsOf(build: (stack: TerraformStack) => void, options: GuardOptions = {}): string[] {
  const stack = new TerraformStack(Testing.app({ stackTraces: false }), options.stackName ?? 'production');
  build(stack);
  Guardrails.of(stack, { guardrails: config.guardrails });
  try {
    Testing.synth(stack);
  } catch (err) {
    if (!(err instanceof GuardrailViolationError)) throw err;
    return err.violations.map(formatViolation);
  }
  return [];
}

function ingressRule(scope: Construct, id: string, props: Partial<ConstructorParameters<typeof NetworkingSecgroupRuleV2>[2]> = {}) {
  return new NetworkingSecgroupRuleV2(scope, id, {
    securityGroupId: 'sg',
    direction: 'ingress',
    ethertype: 'IPv4',
    protocol: 'tcp',
    ...props,
  });
}

describe('no-world-ingress', () => {
  test('SSH from the world names the path, the rule and the fix', () => {
    const lines = violationsOf((stack) => {
      const groups = new Construct(new Construct(stack, 'Cluster'), 'SecurityGroups');
      ingressRule(groups, 'Rule-ssh', { portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' });
    });
    expect(lines).toEqual([
      'production/Cluster/SecurityGroups/Rule-ssh: no-world-ingress: ingress from 0.0.0.0/0 on tcp 22: remove the rule: the platform opens no SSH (no node has a public address or an SSH key; RKE2 needs no login)',
    ]);
  });

  test('a rule without remote prefix or group, ::/0, and other ports are world-open too', () => {
    const lines = violationsOf((stack) => {
      ingressRule(stack, 'NoRemote', { portRangeMin: 6443, portRangeMax: 6443 });
      ingressRule(stack, 'V6', { ethertype: 'IPv6', portRangeMin: 30000, portRangeMax: 32767, remoteIpPrefix: '::/0' });
      ingressRule(stack, 'AnyProtocol', { protocol: undefined, remoteIpPrefix: '0.0.0.0/0' });
    });
    expect(lines).toEqual([
      'production/NoRemote: no-world-ingress: ingress from anywhere (no remote_ip_prefix or remote_group_id) on tcp 6443: restrict remote_ip_prefix to the networks that need it, or use remote_group_id',
      'production/V6: no-world-ingress: ingress from ::/0 on tcp 30000-32767: restrict remote_ip_prefix to the networks that need it, or use remote_group_id',
      'production/AnyProtocol: no-world-ingress: ingress from 0.0.0.0/0 on all protocols: restrict remote_ip_prefix to the networks that need it, or use remote_group_id',
    ]);
  });

  test('web ports, restricted sources, groups, egress and unresolved prefixes pass', () => {
    const lines = violationsOf((stack) => {
      ingressRule(stack, 'Http', { portRangeMin: 80, portRangeMax: 80, remoteIpPrefix: '0.0.0.0/0' });
      ingressRule(stack, 'Https', { portRangeMin: 443, portRangeMax: 443, remoteIpPrefix: '::/0' });
      ingressRule(stack, 'Admin', { portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '192.0.2.0/24' });
      ingressRule(stack, 'Peers', { remoteGroupId: 'sg-servers' });
      ingressRule(stack, 'Out', { direction: 'egress', remoteIpPrefix: '0.0.0.0/0' });
      const source = new NetworkingSubnetV2(stack, 'Subnet', { networkId: 'n', cidr: '10.0.0.0/24' });
      ingressRule(stack, 'FromSubnet', { portRangeMin: 9345, portRangeMax: 9345, remoteIpPrefix: source.cidr });
    });
    expect(lines).toEqual([]);
  });

  test('SSH from the world has no exception: the platform opens no SSH', () => {
    const lines = violationsOf((stack) => {
      ingressRule(stack, 'Ssh', { portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' });
      ingressRule(stack, 'Api', { portRangeMin: 6443, portRangeMax: 6443, remoteIpPrefix: '0.0.0.0/0' });
    });
    expect(lines).toEqual([
      'production/Ssh: no-world-ingress: ingress from 0.0.0.0/0 on tcp 22: remove the rule: the platform opens no SSH (no node has a public address or an SSH key; RKE2 needs no login)',
      'production/Api: no-world-ingress: ingress from 0.0.0.0/0 on tcp 6443: restrict remote_ip_prefix to the networks that need it, or use remote_group_id',
    ]);
  });

  test('Octavia listeners: open API listener fails, web listeners and restricted ones pass', () => {
    const lines = violationsOf((stack) => {
      new LbListenerV2(stack, 'Api', { loadbalancerId: 'lb', protocol: 'TCP', protocolPort: 6443 });
      new LbListenerV2(stack, 'ApiWorld', { loadbalancerId: 'lb', protocol: 'TCP', protocolPort: 6443, allowedCidrs: ['192.0.2.0/24', '0.0.0.0/0'] });
      new LbListenerV2(stack, 'Https', { loadbalancerId: 'lb', protocol: 'TCP', protocolPort: 443 });
      new LbListenerV2(stack, 'ApiOffice', { loadbalancerId: 'lb', protocol: 'TCP', protocolPort: 6443, allowedCidrs: ['192.0.2.0/24'] });
    });
    expect(lines).toEqual([
      'production/Api: no-world-ingress: listener open to anywhere (no allowed_cidrs) on TCP 6443: set allowed_cidrs to the networks that need it (access.apiAllowedCidrs for the Kubernetes API)',
      'production/ApiWorld: no-world-ingress: listener open to 0.0.0.0/0 on TCP 6443: set allowed_cidrs to the networks that need it (access.apiAllowedCidrs for the Kubernetes API)',
    ]);
  });

  const OPEN_FIX = 'restrict remote_ip_prefix to the networks that need it, or use remote_group_id';

  test('rules that together admit the internet are judged as one, per port, across the stack\'s groups, IPv6 too', () => {
    const lines = violationsOf((stack) => {
      ingressRule(stack, 'Low', { portRangeMin: 6443, portRangeMax: 6443, remoteIpPrefix: '0.0.0.0/1' });
      ingressRule(stack, 'High', { securityGroupId: 'sg-other', portRangeMin: 6443, portRangeMax: 6443, remoteIpPrefix: '128.0.0.0/1' });
      ingressRule(stack, 'V6Low', { ethertype: 'IPv6', portRangeMin: 30000, portRangeMax: 32767, remoteIpPrefix: '::/1' });
      ingressRule(stack, 'V6High', { ethertype: 'IPv6', portRangeMin: 30000, portRangeMax: 32767, remoteIpPrefix: '8000::/1' });
    });
    expect(lines).toEqual([
      `production/Low: no-world-ingress: ingress from 0.0.0.0/1, 128.0.0.0/1 (with production/High) on tcp 6443 admits the whole IPv4 internet: ${OPEN_FIX}`,
      `production/V6Low: no-world-ingress: ingress from ::/1, 8000::/1 (with production/V6High) on tcp 30000-32767 admits the whole IPv6 internet: ${OPEN_FIX}`,
    ]);
  });

  test('a block or a union larger than a /8 (IPv6: /32) fails; only the web ports are exempt', () => {
    const halves = (stack: TerraformStack, name: string, port: number) => {
      ingressRule(stack, `${name}Low`, { portRangeMin: port, portRangeMax: port, remoteIpPrefix: '0.0.0.0/1' });
      ingressRule(stack, `${name}High`, { portRangeMin: port, portRangeMax: port, remoteIpPrefix: '128.0.0.0/1' });
    };
    const lines = violationsOf((stack) => {
      ingressRule(stack, 'Half', { portRangeMin: 6443, portRangeMax: 6443, remoteIpPrefix: '128.0.0.0/1' });
      ingressRule(stack, 'NetA', { protocol: 'udp', portRangeMin: 8472, portRangeMax: 8472, remoteIpPrefix: '10.0.0.0/8' });
      ingressRule(stack, 'NetB', { protocol: '17', portRangeMin: 8472, portRangeMax: 8472, remoteIpPrefix: '11.0.0.0/8' });
      ingressRule(stack, 'V6Wide', { ethertype: 'IPv6', protocol: 'icmp', remoteIpPrefix: '2001:db8::/31' });
      ingressRule(stack, 'Office', { portRangeMin: 6443, portRangeMax: 6443, remoteIpPrefix: '10.0.0.0/8' });
      ingressRule(stack, 'Peers', { portRangeMin: 6443, portRangeMax: 6443, remoteGroupId: 'sg-servers' });
      halves(stack, 'Https', 443);
      halves(stack, 'Ssh', 22);
    });
    expect(lines).toEqual([
      `production/Half: no-world-ingress: ingress from 128.0.0.0/1, 10.0.0.0/8 (with production/Office) on tcp 6443 admits 2,164,260,864 IPv4 addresses, more than a /8: ${OPEN_FIX}`,
      `production/NetA: no-world-ingress: ingress from 10.0.0.0/8, 11.0.0.0/8 (with production/NetB) on udp 8472 admits 33,554,432 IPv4 addresses, more than a /8: ${OPEN_FIX}`,
      `production/V6Wide: no-world-ingress: ingress from 2001:db8::/31 on icmp admits 158,456,325,028,528,675,187,087,900,672 IPv6 addresses, more than a /32: ${OPEN_FIX}`,
      `production/SshLow: no-world-ingress: ingress from 0.0.0.0/1, 128.0.0.0/1 (with production/SshHigh) on tcp 22 admits the whole IPv4 internet: remove the rule: the platform opens no SSH (no node has a public address or an SSH key; RKE2 needs no login)`,
    ]);
  });

  test('a rule for all protocols counts on every port, and is reported once by itself', () => {
    const lines = violationsOf((stack) => {
      ingressRule(stack, 'AnyLow', { protocol: undefined, remoteIpPrefix: '0.0.0.0/1' });
      ingressRule(stack, 'TcpHigh', { portRangeMin: 6443, portRangeMax: 6443, remoteIpPrefix: '128.0.0.0/1' });
      ingressRule(stack, 'UdpNet', { protocol: 'udp', portRangeMin: 8472, portRangeMax: 8472, remoteIpPrefix: '10.0.0.0/8' });
    });
    expect(lines).toEqual([
      `production/AnyLow: no-world-ingress: ingress from 0.0.0.0/1 on all protocols admits 2,147,483,648 IPv4 addresses, more than a /8: ${OPEN_FIX}`,
      `production/AnyLow: no-world-ingress: ingress from 0.0.0.0/1, 128.0.0.0/1 (with production/TcpHigh) on tcp 6443 admits the whole IPv4 internet: ${OPEN_FIX}`,
    ]);
  });

  test('a port admits what every rule covering it admits: overlapping port ranges are split', () => {
    const lines = violationsOf((stack) => {
      ingressRule(stack, 'Range', { portRangeMin: 1000, portRangeMax: 2000, remoteIpPrefix: '10.0.0.0/8' });
      ingressRule(stack, 'Single', { portRangeMin: 1500, portRangeMax: 1500, remoteIpPrefix: '11.0.0.0/8' });
      ingressRule(stack, 'Elsewhere', { portRangeMin: 3000, portRangeMax: 3000, remoteIpPrefix: '12.0.0.0/8' });
    });
    expect(lines).toEqual([
      `production/Range: no-world-ingress: ingress from 10.0.0.0/8, 11.0.0.0/8 (with production/Single) on tcp 1500 admits 33,554,432 IPv4 addresses, more than a /8: ${OPEN_FIX}`,
    ]);
  });

  test('a listener is judged by the union of its allowed_cidrs', () => {
    const lines = violationsOf((stack) => {
      new LbListenerV2(stack, 'Halves', { loadbalancerId: 'lb', protocol: 'TCP', protocolPort: 6443, allowedCidrs: ['0.0.0.0/1', '128.0.0.0/1', '10.20.0.0/16'] });
      new LbListenerV2(stack, 'V6', { loadbalancerId: 'lb', protocol: 'TCP', protocolPort: 6443, allowedCidrs: ['192.0.2.0/24', '2001:db8::/31'] });
      new LbListenerV2(stack, 'WebHalves', { loadbalancerId: 'lb', protocol: 'TCP', protocolPort: 443, allowedCidrs: ['0.0.0.0/1', '128.0.0.0/1'] });
      new LbListenerV2(stack, 'Offices', { loadbalancerId: 'lb', protocol: 'TCP', protocolPort: 6443, allowedCidrs: ['10.0.0.0/9', '192.0.2.0/24'] });
    });
    const fix = 'set allowed_cidrs to the networks that need it (access.apiAllowedCidrs for the Kubernetes API)';
    expect(lines).toEqual([
      `production/Halves: no-world-ingress: listener open to 0.0.0.0/1, 128.0.0.0/1, 10.20.0.0/16 (the whole IPv4 internet) on TCP 6443: ${fix}`,
      `production/V6: no-world-ingress: listener open to 192.0.2.0/24, 2001:db8::/31 (158,456,325,028,528,675,187,087,900,672 IPv6 addresses, more than a /32) on TCP 6443: ${fix}`,
    ]);
  });

  test('an escape-hatch override that opens a rule is caught', () => {
    const lines = violationsOf((stack) => {
      ingressRule(stack, 'Api', { portRangeMin: 6443, portRangeMax: 6443, remoteIpPrefix: '192.0.2.0/24' }).addOverride(
        'remote_ip_prefix',
        '0.0.0.0/0',
      );
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^production\/Api: no-world-ingress: ingress from 0\.0\.0\.0\/0 on tcp 6443: /);
  });
});

describe('tenant-isolation', () => {
  const restricted = {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/warn': 'restricted',
  };
  const denyAll = { podSelector: {}, policyTypes: ['Ingress', 'Egress'] };

  test('TENANT_LABEL is the shared label key', () => {
    expect(TENANT_LABEL).toBe('platform.webhost.ch/tenant');
  });

  test('a tenant namespace without Pod Security labels and default deny fails twice', () => {
    const lines = violationsOf((stack) => {
      new NamespaceV1(stack, 'Acme', {
        metadata: { name: 'acme', labels: { [TENANT_LABEL]: 'acme', 'pod-security.kubernetes.io/enforce': 'baseline' } },
      });
    });
    expect(lines).toEqual([
      'production/Acme: tenant-isolation: tenant namespace "acme" lacks pod-security.kubernetes.io/enforce=restricted, pod-security.kubernetes.io/audit=restricted, pod-security.kubernetes.io/warn=restricted: label it pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/audit: restricted, pod-security.kubernetes.io/warn: restricted',
      'production/Acme: tenant-isolation: tenant namespace "acme" has no default-deny NetworkPolicy: add a NetworkPolicyV1 in it with an empty pod selector, policy_types [Ingress, Egress] and no ingress or egress rules',
    ]);
  });

  test('a default-deny policy by reference or by literal name passes; non-tenant namespaces are not checked', () => {
    const lines = violationsOf((stack) => {
      const acme = new NamespaceV1(stack, 'Acme', { metadata: { name: 'acme', labels: { [TENANT_LABEL]: 'acme', ...restricted } } });
      new NetworkPolicyV1(stack, 'AcmeDeny', { metadata: { name: 'deny', namespace: acme.metadata.name }, spec: denyAll });
      new NamespaceV1(stack, 'Beta', { metadata: { name: 'beta', labels: { [TENANT_LABEL]: 'beta', ...restricted } } });
      new NetworkPolicyV1(stack, 'BetaDeny', { metadata: { name: 'deny', namespace: 'beta' }, spec: denyAll });
      new NamespaceV1(stack, 'System', { metadata: { name: 'ingress-nginx' } });
    });
    expect(lines).toEqual([]);
  });

  test('a policy that allows traffic, or lives in another namespace, is not a default deny', () => {
    const lines = violationsOf((stack) => {
      new NamespaceV1(stack, 'Acme', { metadata: { name: 'acme', labels: { [TENANT_LABEL]: 'acme', ...restricted } } });
      new NetworkPolicyV1(stack, 'AllowAll', {
        metadata: { name: 'allow', namespace: 'acme' },
        spec: { ...denyAll, ingress: [{ from: [{ namespaceSelector: {} }] }] },
      });
      new NetworkPolicyV1(stack, 'IngressOnly', { metadata: { name: 'deny-in', namespace: 'acme' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
      new NetworkPolicyV1(stack, 'Elsewhere', { metadata: { name: 'deny', namespace: 'other' }, spec: denyAll });
    });
    expect(lines).toEqual([expect.stringMatching(/^production\/Acme: tenant-isolation: tenant namespace "acme" has no default-deny NetworkPolicy: /)]);
  });
});

describe('pinned-releases-and-images', () => {
  test('a release without repository and version, and one with a range, fail', () => {
    const lines = violationsOf((stack) => {
      new Release(stack, 'Loose', { name: 'loose', chart: 'ingress-nginx' });
      new Release(stack, 'Range', { name: 'range', chart: 'cert-manager', repository: 'https://charts.jetstack.io', version: '^1.16' });
      new Release(stack, 'Pinned', { name: 'pinned', chart: 'cert-manager', repository: 'https://charts.jetstack.io', version: 'v1.16.2' });
    });
    expect(lines).toEqual([
      `production/Loose: pinned-releases-and-images: chart "ingress-nginx" has no repository: set repository to the chart's https:// or oci:// repository`,
      'production/Loose: pinned-releases-and-images: chart "ingress-nginx" has no version: pin version to an exact chart version, e.g. 1.16.2',
      'production/Range: pinned-releases-and-images: chart "cert-manager" version "^1.16" is not an exact version: pin an exact chart version, e.g. 1.16.2 (no ^ ~ > < * x ranges)',
    ]);
  });

  test.each(['1.x', '~1.2.3', '>=1.0.0', '*', '1.2'])('chart version %s is a range', (version) => {
    const lines = violationsOf((stack) => {
      new Release(stack, 'R', { name: 'r', chart: 'c', repository: 'https://example.ch', version });
    });
    expect(lines).toHaveLength(1);
  });

  test('workload images: latest, untagged and foreign registries fail; short names are Docker Hub', () => {
    const lines = violationsOf((stack) => {
      new DeploymentV1(stack, 'Web', {
        metadata: { name: 'web' },
        spec: {
          selector: {},
          template: {
            metadata: {},
            spec: {
              container: [{ name: 'nginx', image: 'nginx:1.27.3' }, { name: 'tail', image: 'busybox:latest' }],
              initContainer: [{ name: 'init', image: 'evil.example.com/tools/init' }],
            },
          },
        },
      });
      new CronJobV1(stack, 'Backup', {
        metadata: { name: 'backup' },
        spec: {
          schedule: '0 * * * *',
          jobTemplate: {
            metadata: {},
            spec: { template: { metadata: {}, spec: { container: [{ name: 'b', image: 'quay.io/acme/backup@sha256:0123' }] } } },
          },
        },
      });
    });
    expect(lines).toEqual([
      'production/Web: pinned-releases-and-images: image "busybox:latest" at spec.template.spec.container[1].image uses the mutable tag latest: pin a version tag or a digest',
      'production/Web: pinned-releases-and-images: image "evil.example.com/tools/init" at spec.template.spec.init_container[0].image has no tag or digest: pin a version tag or a digest, e.g. evil.example.com/tools/init:1.2.3',
      'production/Web: pinned-releases-and-images: image "evil.example.com/tools/init" at spec.template.spec.init_container[0].image comes from evil.example.com, not an allowed registry: pull it from one of guardrails.allowedRegistries (docker.io, quay.io, ghcr.io, registry.k8s.io), or add its registry there',
    ]);
  });

  test('images in Helm values: strings and registry/repository/tag objects; tokens skipped', () => {
    const lines = violationsOf((stack) => {
      const pinned = { name: 'app', chart: 'app', repository: 'https://charts.example.ch', version: '1.0.0' };
      new Release(stack, 'Values', {
        ...pinned,
        values: [
          'controller:\n  image:\n    registry: registry.k8s.io\n    repository: ingress-nginx/controller\n    tag: v1.12.0\n',
          'sidecar:\n  image: docker.io/library/redis:latest\nbackup:\n  image:\n    registry: gcr.io\n    repository: acme/backup\n    tag: "1.0"\n',
          'tool:\n  image: ${var.tool_image}\n',
        ],
      });
    });
    expect(lines).toEqual([
      'production/Values: pinned-releases-and-images: image "docker.io/library/redis:latest" at values[1] sidecar.image uses the mutable tag latest: pin a version tag or a digest',
      'production/Values: pinned-releases-and-images: image "gcr.io/acme/backup:1.0" at values[1] backup.image comes from gcr.io, not an allowed registry: pull it from one of guardrails.allowedRegistries (docker.io, quay.io, ghcr.io, registry.k8s.io), or add its registry there',
    ]);
  });
});

describe('sovereignty', () => {
  test('a foreign auth_url and region, a foreign endpoint and resolver fail', () => {
    const lines = violationsOf((stack) => {
      new OpenstackProvider(stack, 'openstack', { authUrl: 'https://identity.example.com/v3', region: 'us-east-1' });
      new ObjectstorageContainerV1(stack, 'Bucket', { name: 'b', region: 'eu-west-1' }).addOverride(
        'metadata.backup_endpoint',
        'https://s3.amazonaws.com',
      );
      new NetworkingSubnetV2(stack, 'Subnet', { networkId: 'n', cidr: '10.0.0.0/24', dnsNameservers: ['9.9.9.9', '8.8.8.8'] });
    });
    expect(lines).toEqual([
      'production/openstack: sovereignty: region "us-east-1" is not an allowed region: use one of dc3-a, dc4-a (guardrails.allowedRegions)',
      'production/openstack: sovereignty: auth_url "https://identity.example.com/v3" is on identity.example.com, outside the allowed domains: use an endpoint on infomaniak.cloud (guardrails.allowedEndpointDomains)',
      'production/Bucket: sovereignty: region "eu-west-1" is not an allowed region: use one of dc3-a, dc4-a (guardrails.allowedRegions)',
      'production/Bucket: sovereignty: metadata.backup_endpoint "https://s3.amazonaws.com" is on s3.amazonaws.com, outside the allowed domains: use an endpoint on infomaniak.cloud (guardrails.allowedEndpointDomains)',
      'production/Subnet: sovereignty: dns_nameservers 8.8.8.8 is not an allowed resolver: use 9.9.9.9, 149.112.112.112 (cloud.dnsServers within guardrails.allowedDnsResolvers)',
    ]);
  });

  test('a provider without auth_url or region would read them from OS_*: fails', () => {
    const lines = violationsOf((stack) => {
      new OpenstackProvider(stack, 'openstack', {});
    });
    expect(lines).toEqual([
      'production/openstack: sovereignty: the OpenStack provider has no auth_url (it would come from OS_AUTH_URL): set auth_url from cloud.authUrl',
      'production/openstack: sovereignty: the OpenStack provider has no region (it would come from OS_REGION_NAME): set region to one of dc3-a, dc4-a',
    ]);
  });

  test('Infomaniak endpoints and subdomains pass; a look-alike domain does not', () => {
    expect(violationsOf((stack) => new OpenstackProvider(stack, 'openstack', { authUrl: 'https://api.pub1.infomaniak.cloud/identity/v3', region: 'dc3-a' }))).toEqual([]);
    expect(violationsOf((stack) => new OpenstackProvider(stack, 'openstack', { authUrl: 'https://api.evilinfomaniak.cloud/v3', region: 'dc3-a' }))).toHaveLength(1);
  });
});

describe('backups-kept-in-production', () => {
  const bucket = (stack: TerraformStack) => new ObjectstorageContainerV1(stack, 'EtcdBackups', { name: 'etcd', forceDestroy: true });

  test.each(['production', 'production-sites-01'])('a force-destroyed container in %s fails', (stackName) => {
    expect(violationsOf(bucket, { stackName })).toEqual([
      `${stackName}/EtcdBackups: backups-kept-in-production: force_destroy is true on a container of the ${stackName} stack (production is protected): set force_destroy to false (environments.production.backups.forceDestroy: false); empty the container by hand if you must delete it`,
    ]);
  });

  test.each(['test', 'productionish'])('%s may force-destroy', (stackName) => {
    expect(violationsOf(bucket, { stackName })).toEqual([]);
  });
});

describe('secrets-stay-put', () => {
  test('an output carrying the break-glass certificate or the snapshot keys fails', () => {
    const violations = violationsOf((stack) => {
      const pki = new ClusterPki(stack, 'Pki', { clusterName: 'x' });
      new TerraformOutput(stack, 'admin_key', { value: pki.admin.keyPem, sensitive: true });
      new TerraformOutput(stack, 'platform_key', { value: pki.platformDeployer.keyPem, sensitive: true });
      const credential = new IdentityEc2CredentialV3(new Construct(stack, 'Backups'), 'S3Credential', {});
      new TerraformOutput(stack, 'etcd_secret', { value: credential.secret, sensitive: true });
    });
    expect(violations).toEqual([
      expect.stringMatching(/^production\/admin_key: secrets-stay-put: output admin_key carries tls_private_key\.Pki_AdminKey, which every reader/),
      expect.stringMatching(/^production\/etcd_secret: secrets-stay-put: output etcd_secret carries openstack_identity_ec2_credential_v3\.Backups_S3Credential, which/),
    ]);
  });

  test('a sites stack authenticating with a client certificate fails; with a token it passes', () => {
    const certificate = (stack: TerraformStack) =>
      new KubernetesProvider(stack, 'kubernetes', { host: 'https://api', clientCertificate: 'pem', clientKey: 'key' });
    expect(violationsOf(certificate, { stackName: 'production-sites-01' })).toEqual([
      "production-sites-01/kubernetes: secrets-stay-put: a sites stack's kubernetes provider authenticates with something other than the sites deployer's token: configure it from the platform stack's sites_access output (host, cluster_ca_certificate, token)",
    ]);
    // The platform stacks use the platform certificate: the rule is for sites stacks.
    expect(violationsOf(certificate, { stackName: 'production-platform' })).toEqual([]);
    const withToken = (stack: TerraformStack) =>
      new KubernetesProvider(stack, 'kubernetes', { host: 'https://api', token: new TerraformVariable(stack, 't', { sensitive: true }).stringValue });
    expect(violationsOf(withToken, { stackName: 'production-sites-01' })).toEqual([]);
  });
});

describe('metadata-closed', () => {
  test('a node without the config drive or the metadata guard fails', () => {
    expect(
      violationsOf((stack) => {
        new OpenstackProvider(stack, 'openstack', { authUrl: 'https://api.pub1.infomaniak.cloud/identity/v3', region: 'dc3-a' });
        new ComputeInstanceV2(stack, 'Node', { name: 'n', userData: '#cloud-config\n' });
      }),
    ).toEqual([
      'production/Node: metadata-closed: boots without a config drive (its user data would come from the metadata service): build nodes with NodePool (config_drive) and rke2CloudConfig (blockMetadataService, the default)',
      'production/Node: metadata-closed: its user data does not load the metadata guard: build nodes with NodePool (config_drive) and rke2CloudConfig (blockMetadataService, the default)',
    ]);
  });
});

describe('no-secret-literals', () => {
  test('literal secrets fail; references and names of secrets pass', () => {
    const lines = violationsOf((stack) => {
      new IdentityApplicationCredentialV3(stack, 'Literal', { name: 'ci', secret: 'hunter2hunter2' });
      const generated = new IdentityApplicationCredentialV3(stack, 'Generated', { name: 'ci2' });
      new IdentityApplicationCredentialV3(stack, 'Copied', { name: 'ci3', secret: generated.secret });
      new SecretV1(stack, 'Db', { metadata: { name: 'db' }, data: { password: 'letmein', user_name: 'app' } });
      new DeploymentV1(stack, 'App', {
        metadata: { name: 'app' },
        spec: {
          selector: {},
          template: {
            metadata: {},
            spec: {
              automountServiceAccountToken: false,
              container: [{ name: 'app', image: 'nginx:1.27.3' }],
              volume: [{ name: 'tls', secret: { secretName: 'app-tls' } }],
            },
          },
        },
      });
    });
    expect(lines).toEqual([
      'production/Literal: no-secret-literals: secret is a literal secret: take it from a resource (random_password, tls_private_key), a sensitive variable or the environment, never from code or config',
      'production/Db: no-secret-literals: data.password is a literal secret: take it from a resource (random_password, tls_private_key), a sensitive variable or the environment, never from code or config',
    ]);
  });

  test('the output scan finds keys, tokens and access keys in synthesized JSON', () => {
    const pem = ['-----BEGIN', 'RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----'].join(' ');
    const doc = {
      '//': { metadata: { password: 'ignored metadata' } },
      resource: {
        openstack_compute_instance_v2: { Server: { user_data: `token: K10${'ab'.repeat(32)}::server:abc\n`, admin_pass: '${random_password.x.result}' } },
        kubernetes_secret_v1: { Tls: { data: { 'tls.key': pem, password: 'letmein', passwords: ['${var.a}'] } } },
        helm_release: { R: { values: ['s3:\n  accessKey: AKIAABCDEFGHIJKLMNOP\n'] } },
      },
    };
    expect(scanJson(doc, 'cdktf.out/stacks/production/cdk.tf.json').map((f) => `${f.jsonPath}: ${f.problem}`)).toEqual([
      'resource.openstack_compute_instance_v2.Server.user_data: contains an RKE2/K3s cluster token',
      'resource.kubernetes_secret_v1.Tls.data.tls.key: contains a PEM private key block',
      'resource.kubernetes_secret_v1.Tls.data.password: a key named like a secret holds a literal',
      'resource.helm_release.R.values[0]: contains an AWS-style access key id',
    ]);
  });
});

describe('the platform', () => {
  test('the default platform passes every guardrail', () => {
    expect(() => synthPlatform()).not.toThrow();
  });

  test('violations surface through the Testing.synth helper and app.synth, every one listed once', () => {
    const app = new App({ stackTraces: false, outdir: mkdtempSync(path.join(tmpdir(), 'guardrails-')) });
    const stack = new TerraformStack(app, 'production');
    ingressRule(stack, 'Ssh', { portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' });
    new ObjectstorageContainerV1(stack, 'Backups', { name: 'b', forceDestroy: true });
    addGuardrails(app, config);
    expect(() => app.synth()).toThrow(GuardrailViolationError);
    try {
      Testing.synth(stack);
    } catch (err) {
      expect((err as GuardrailViolationError).violations.map((v) => `${v.path} ${v.rule}`)).toEqual([
        'production/Ssh no-world-ingress',
        'production/Backups backups-kept-in-production',
      ]);
      expect((err as Error).message).toMatch(/^2 guardrail violations; nothing was synthesized, fix them and synthesize again:\n {2}production\/Ssh: /);
    }
    expect.assertions(3);
  });

  test("addGuardrails guards every stack, no environment excepted; assertGuardrails lists every stack's violations", () => {
    const app = Testing.app({ stackTraces: false });
    for (const name of ['production', 'test', 'test-sites-01']) {
      ingressRule(new TerraformStack(app, name), 'Ssh', { portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' });
    }
    addGuardrails(app, config);
    new TerraformStack(app, 'late');
    expect(() => assertGuardrails(app)).toThrow(
      [
        '4 guardrail violations; nothing was synthesized, fix them and synthesize again:',
        ...['production', 'test', 'test-sites-01'].map(
          (name) => `  ${name}/Ssh: no-world-ingress: ingress from 0.0.0.0/0 on tcp 22: remove the rule: the platform opens no SSH (no node has a public address or an SSH key; RKE2 needs no login)`,
        ),
        '  late: guarded: the stack has no guardrails: call addGuardrails(app, config) after the last stack is built',
      ].join('\n'),
    );
  });
});
