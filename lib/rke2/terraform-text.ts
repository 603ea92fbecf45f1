/**
 * Text for files and values that may hold cdktf tokens: YAML rendering, a YAML-safe
 * scalar for a token, and `base64encode` of a text with tokens in it. Used by the user
 * data builder (cloud-init.ts) and the manifests it writes (manifests.ts), which both
 * import it; neither imports the other for these.
 */
import { Fn, Token } from 'cdktf';
import { stringify } from 'yaml';
import { TOKEN_MARKER } from '../cdktf/token-marker';

const literal = (value: string) => !Token.isUnresolved(value);

/**
 * A value to place in YAML text (config.yaml, Helm values) that may be a token. A
 * token becomes `jsonencode(token)`: Terraform renders it as a JSON string, which is a
 * valid YAML double-quoted scalar whatever the resolved value holds (quotes, colons,
 * `#`, backslashes). Literal values are returned as they are; the `yaml` package quotes
 * them as needed.
 */
export function yamlSafe(value: string): string {
  return literal(value) ? value : Fn.jsonencode(value);
}

/**
 * `base64encode(content)` as a Terraform expression, for text holding tokens. Literal
 * runs of the content are passed as `base64decode("<base64>")`, so no quote,
 * backslash, newline or template sequence of theirs needs escaping in the expression.
 */
export function terraformBase64(content: string): string {
  const parts: string[] = [];
  let last = 0;
  for (const match of content.matchAll(TOKEN_MARKER)) {
    if (match.index > last) parts.push(Fn.base64decode(Buffer.from(content.slice(last, match.index), 'utf8').toString('base64')));
    parts.push(match[0]);
    last = match.index + match[0].length;
  }
  if (last === 0) throw new Error(`cloud-init: cannot locate the token in an unresolved value (list or map token?)`);
  if (last < content.length) parts.push(Fn.base64decode(Buffer.from(content.slice(last), 'utf8').toString('base64')));
  return Fn.base64encode(parts.length === 1 ? parts[0] : Fn.join('', parts));
}

/** Renders an object as YAML text (no line folding, so long values stay on one line). */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}
