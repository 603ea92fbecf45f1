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

describe('the README environments', () => {
  test('table is the one the default config gives', () => {
    const { renderEnvironmentsTable } = require('../lib/config/environments-table') as typeof import('../lib/config/environments-table');
    expect(readme).toContain(renderEnvironmentsTable(loadPlatformConfig({}).config));
  });

  test('staging example is a config the loader takes, in dc4-a with its endpoints', () => {
    const { parse, stringify } = require('yaml') as typeof import('yaml');
    const { DEFAULT_CONFIG_FILE, parsePlatformConfig } = require('../lib/config') as typeof import('../lib/config');
    const section = readme.slice(readme.indexOf('### Environments are data'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)![1];
    const raw = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
    Object.assign(raw.environments, parse(example).environments);
    const config = parsePlatformConfig(stringify(raw), 'README staging example');
    expect(config.environments.staging).toMatchObject({ role: 'sites', protected: false, region: 'dc4-a', authUrl: 'https://api.pub2.infomaniak.cloud/identity/v3' });
  });
});
