import { CodeMaker } from 'codemaker';
import { ConstructsMakerProviderTarget, LANGUAGES, TerraformProviderConstraint } from '@cdktf/commons';
// Deep import: the package index pulls in jsii tooling that is not installed.
import { TerraformProviderGenerator } from '@cdktf/provider-generator/lib/get/generator/provider-generator';

/** Where the bindings live below the generation root (.gen). */
export const OPENSTACK_BINDINGS_DIR = 'providers/openstack';

interface ProviderSchemaFile {
  provider_schemas: Record<string, unknown>;
  provider_versions?: Record<string, string>;
}

/**
 * Writes the OpenStack bindings for `schema` (output of `tofu providers schema
 * -json`, with provider_versions) below `outdir`. The provider source is the
 * schema's own address (registry.opentofu.org/...), pinned to its version.
 */
export async function generateOpenstackBindings(schema: ProviderSchemaFile, outdir: string): Promise<void> {
  const addresses = Object.keys(schema.provider_schemas);
  if (addresses.length !== 1) throw new Error(`expected one provider in the schema, found ${addresses.join(', ')}`);
  const [address] = addresses;
  const version = schema.provider_versions?.[address];
  if (!version) throw new Error(`the schema has no provider_versions entry for ${address}; regenerate it with npm run schema`);

  const code = new CodeMaker();
  // The generator adds fields (the provider's alias) to the schema it is given.
  const generator = new TerraformProviderGenerator(code, structuredClone(schema) as never);
  const constraint = new TerraformProviderConstraint({ name: 'openstack', source: address, version } as never);
  generator.generate(new ConstructsMakerProviderTarget(constraint, LANGUAGES[0]));
  await generator.save(outdir);
}
