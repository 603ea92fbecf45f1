/**
 * Validates the Cluster API objects of lib/platform/cluster-api.ts against the
 * CRDs of the pinned modules (scripts/check-cluster-api.sh downloads them):
 *
 *   tsx scripts/check-cluster-api.ts <cluster-api module dir> <CAPO module dir>
 *
 * The objects are scripts/lib/cluster-api-sample.ts's.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { externalControlPlaneCrd } from '../lib/platform/cluster-api';
import { crdSchemas } from '../lib/verify/crd-schema';
import { sampleClusterApiObjects } from './lib/cluster-api-sample';

const [capiDir, capoDir] = process.argv.slice(2);
if (!capiDir || !capoDir) throw new Error('usage: tsx scripts/check-cluster-api.ts <cluster-api dir> <cluster-api-provider-openstack dir>');
const crdText = [capiDir, capoDir]
  .map((dir) => path.join(dir, 'config', 'crd', 'bases'))
  .flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(path.join(dir, f), 'utf8')))
  .join('\n---\n');
// And the one CRD of ours, the ExternalControlPlane's.
const schemas = crdSchemas(`${crdText}\n---\n${stringify(externalControlPlaneCrd())}`);

const objects = sampleClusterApiObjects('10.20.0.5');

let failed = 0;
for (const object of objects) {
  const label = `${object.kind} ${String(object.metadata.name)}`;
  if (object.apiVersion === 'v1') {
    console.log(`skip  ${label} (core v1, no CRD)`);
    continue;
  }
  const problems = schemas.validate(object);
  console.log(`${problems.length ? 'FAIL' : 'ok  '}  ${label} (${object.apiVersion})`);
  for (const p of problems) console.log(`        ${p}`);
  failed += problems.length ? 1 : 0;
}
if (failed) process.exit(1);
