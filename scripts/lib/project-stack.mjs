// Writes a copy of a synthesized stack without the resources of providers
// that are not available locally, so that real OpenTofu can still validate
// everything else: every reference to such a resource's attribute becomes a
// string variable `unverified_<type>_<name>_<attribute>`.
//
// usage: node scripts/lib/project-stack.mjs <stack dir> <out dir> <provider name>...
// Prints the replaced addresses, one a line.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const [stackDir, outDir, ...missing] = process.argv.slice(2);
const stack = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
const prefixes = missing.map((name) => `${name}_`);
const isMissing = (type) => prefixes.some((p) => type.startsWith(p));

const removed = [];
for (const kind of ['resource', 'data']) {
  for (const type of Object.keys(stack[kind] ?? {})) {
    if (!isMissing(type)) continue;
    for (const name of Object.keys(stack[kind][type])) removed.push(`${kind === 'data' ? 'data.' : ''}${type}.${name}`);
    delete stack[kind][type];
  }
}
for (const name of missing) {
  delete stack.provider?.[name];
  delete stack.terraform?.required_providers?.[name];
}

const variables = {};
// The attribute path may go on into a map or object attribute (`data.token`): the whole path becomes the variable.
const reference = new RegExp(`\\b(data\\.)?((?:${missing.join('|')})_[a-z0-9_]+)\\.([A-Za-z0-9_-]+)\\.([a-z0-9_]+(?:\\.[A-Za-z0-9_]+)*)\\b`, 'g');
const rewrite = (value) => {
  if (typeof value === 'string') {
    return value.replace(reference, (_, data, type, name, attribute) => {
      const variable = `unverified_${data ? 'data_' : ''}${type}_${name}_${attribute}`.replace(/[-.]/g, '_');
      variables[variable] = { type: 'string', description: `stands for ${data ?? ''}${type}.${name}.${attribute}` };
      return `var.${variable}`;
    });
  }
  if (Array.isArray(value)) return value.map(rewrite);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
  return value;
};
const projected = rewrite(stack);
projected.variable = { ...(projected.variable ?? {}), ...variables };
// depends_on entries name whole resources, not attributes: drop the removed ones.
for (const kind of ['resource', 'data']) {
  for (const items of Object.values(projected[kind] ?? {})) {
    for (const body of Object.values(items)) {
      if (Array.isArray(body.depends_on)) {
        body.depends_on = body.depends_on.filter((d) => !removed.some((r) => d === r || d.startsWith(`${r}.`)));
      }
    }
  }
}
// An empty "resource" or "provider" object is not valid Terraform JSON.
for (const key of ['provider', 'resource', 'data']) {
  if (projected[key] && Object.keys(projected[key]).length === 0) delete projected[key];
}
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'cdk.tf.json'), JSON.stringify(projected, null, 2));
for (const r of removed) console.log(r);
