import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadPlatformConfig } from '../lib/config';
import { renderSecurityRuleMatrix, securityRuleMatrix } from '../lib/openstack/security-groups';
import { synthPlatform } from './support/synth';

const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('the README security group matrix', () => {
  const production = loadPlatformConfig({}).config.environments.production;
  const rules = securityRuleMatrix({
    namePrefix: 'webhost-production',
    networkCidr: production.network.cidr,
    serversSubnetCidr: production.network.serversSubnetCidr,
    agentsSubnetCidr: production.network.agentsSubnetCidr,
    ingressNodePorts: { http: production.ingress.httpNodePort, https: production.ingress.httpsNodePort },
  });

  test('is the matrix the code creates for production', () => {
    expect(readme).toContain(renderSecurityRuleMatrix(rules).trimEnd());
  });

  test('gives the rule count the production stack really has', () => {
    const synthesized = Object.keys(synthPlatform().json.production.resource.openstack_networking_secgroup_rule_v2);
    expect(synthesized).toHaveLength(rules.length);
    expect(readme).toContain(`Total: ${synthesized.length} rules per cluster, none of them for SSH.`);
  });
});
