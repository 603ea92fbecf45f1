import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateOpenstackBindings, OPENSTACK_BINDINGS_DIR } from '../scripts/lib/openstack-bindings';
import { sharedPath, testWithShared } from './support/shared';

const repo = path.join(__dirname, '..');
const schemaFile = path.join(repo, 'providers', 'openstack', 'schema.json');
const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
const [address] = Object.keys(schema.provider_schemas);

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir)
    .flatMap((entry) =>
      statSync(path.join(dir, entry)).isDirectory() ? listFiles(path.join(dir, entry), `${prefix}${entry}/`) : [`${prefix}${entry}`],
    )
    .sort();
}

test('.gen is up to date with providers/openstack/schema.json (run `npm run gen` if not)', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'bindings-'));
  try {
    await generateOpenstackBindings(schema, out);
    const fresh = path.join(out, OPENSTACK_BINDINGS_DIR);
    const committed = path.join(repo, '.gen', OPENSTACK_BINDINGS_DIR);
    const files = listFiles(fresh);
    expect(listFiles(committed)).toEqual(files);
    const stale = files.filter((f) => !readFileSync(path.join(fresh, f)).equals(readFileSync(path.join(committed, f))));
    expect(stale).toEqual([]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the schema pins the provider version that scripts/tool-versions.sh builds', () => {
  const versions = readFileSync(path.join(repo, 'scripts', 'tool-versions.sh'), 'utf8');
  const pinned = /"terraform-provider-openstack\/openstack (\S+) /.exec(versions)?.[1];
  expect(schema.provider_versions[address]).toBe(pinned);
});

// The published reference schema (outside the repository): in CI it must be there, on a clone it may be missing (skipped).
const reference = sharedPath('schemas', 'openstack-3.4.0.json');
const withReference = testWithShared([reference]);

withReference('every kept type agrees with the published 3.4.0 schema', () => {
  const referenceSchema = JSON.parse(readFileSync(reference, 'utf8'));
  const ours = schema.provider_schemas[address];
  const theirs: any = Object.values(referenceSchema.provider_schemas)[0];
  expect(ours.provider).toEqual(theirs.provider);
  for (const kind of ['resource_schemas', 'data_source_schemas'] as const) {
    for (const [type, body] of Object.entries(ours[kind])) {
      expect({ type, body }).toEqual({ type, body: theirs[kind][type] });
    }
  }
});
