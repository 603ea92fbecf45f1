// Writes a copy of a synthesized stack in which every resource of the named
// providers is a built-in `terraform_data` standing in for it, so that real
// OpenTofu can apply, plan and destroy the stack's resources where those
// providers cannot be built (scripts/tool-versions.sh, UNBUILDABLE_PROVIDERS).
// `<type>.<name>` becomes `terraform_data.<type>__<name>`, its body the
// stand-in's `input`. The providers' blocks go, and so do the
// `terraform_remote_state` data sources, which read other stacks' states:
// each reference to one becomes a string variable `remote_<name>_<path>`.
// Backend, encryption and variables stay as synthesized.
//
// usage: node scripts/lib/stand-in-stack.mjs <stack dir> <out dir> <provider name>...
// Prints the stand-ins' addresses, one a line.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const [stackDir, outDir, ...providers] = process.argv.slice(2);
const stack = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
const ofProviders = (type) => providers.some((p) => type.startsWith(`${p}_`));

const variables = {};
const remoteReference = /\bdata\.terraform_remote_state\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_.]+)/g;
const rewrite = (value) => {
  if (typeof value === 'string') {
    return value.replace(remoteReference, (_, name, attribute) => {
      const variable = `remote_${name}_${attribute}`.replace(/[-.]/g, '_');
      variables[variable] = { type: 'string', description: `stands for data.terraform_remote_state.${name}.outputs.${attribute}` };
      return `var.${variable}`;
    });
  }
  if (Array.isArray(value)) return value.map(rewrite);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
  return value;
};

const standIns = {};
for (const [type, items] of Object.entries(stack.resource ?? {})) {
  if (!ofProviders(type)) continue;
  for (const [name, body] of Object.entries(items)) {
    const { depends_on: _dependsOn, lifecycle: _lifecycle, provider: _provider, ...input } = body;
    standIns[`${type}__${name}`] = { input: rewrite(input) };
  }
  delete stack.resource[type];
}
if (Object.keys(standIns).length > 0) stack.resource = { ...(stack.resource ?? {}), terraform_data: standIns };
if (stack.data) delete stack.data.terraform_remote_state;
for (const name of providers) {
  delete stack.provider?.[name];
  delete stack.terraform?.required_providers?.[name];
}
const projected = rewrite(stack);
projected.variable = { ...(projected.variable ?? {}), ...variables };
// An empty "resource", "data" or "provider" object is not valid Terraform JSON.
for (const key of ['provider', 'resource', 'data']) {
  if (projected[key] && Object.keys(projected[key]).length === 0) delete projected[key];
}
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'cdk.tf.json'), JSON.stringify(projected, null, 2));
for (const name of Object.keys(standIns)) console.log(`terraform_data.${name}`);
