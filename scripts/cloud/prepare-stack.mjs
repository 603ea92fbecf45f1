// Prepares a synthesized cluster stack for the test cloud (scripts/cloud/test.sh):
// a copy without the tls and random resources (scripts/lib/project-stack.mjs,
// as `npm run validate` does: those providers are not built here), each
// reference to them a variable given a fixed test value (a real PEM made by
// openssl for PEM attributes, a fixed string otherwise), the openstack
// provider's auth_url pointed at the test cloud (its region stays the
// stack's), the state in the work folder.
//
// usage: node scripts/cloud/prepare-stack.mjs <stack dir> <work dir> <auth url> <pem file>
// Prints the replaced resources' addresses, one a line.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const [stackDir, workDir, authUrl, pemFile] = process.argv.slice(2);
const here = path.dirname(new URL(import.meta.url).pathname);
const removed = execFileSync('node', [path.join(here, '..', 'lib', 'project-stack.mjs'), stackDir, workDir, 'tls', 'random'], {
  encoding: 'utf8',
});
const file = path.join(workDir, 'cdk.tf.json');
const stack = JSON.parse(readFileSync(file, 'utf8'));
const providers = stack.provider?.openstack;
if (!Array.isArray(providers) || providers.length !== 1) throw new Error(`${stackDir}: expected one openstack provider block`);
providers[0].auth_url = authUrl;
stack.terraform.backend = { local: { path: path.join(workDir, 'terraform.tfstate') } };
writeFileSync(file, JSON.stringify(stack, null, 2));
const pem = readFileSync(pemFile, 'utf8');
const values = {};
for (const name of Object.keys(stack.variable ?? {})) {
  if (!name.startsWith('unverified_')) continue;
  values[name] = /pem/.test(name) ? pem : `cloudtest-${name.length.toString(16).padStart(4, '0')}-fixed-test-value`;
}
writeFileSync(path.join(workDir, 'test-values.auto.tfvars.json'), JSON.stringify(values, null, 2));
process.stdout.write(removed);
