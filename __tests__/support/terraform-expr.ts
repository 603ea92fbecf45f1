/**
 * Evaluates the small subset of Terraform expressions the cloud-init builder
 * emits (`base64encode`, `base64decode`, `jsonencode`, `join`, `sha256`, string
 * literals and references), nested to any depth, as OpenTofu would at apply time.
 * References are looked up with `resolve`; a function outside the subset throws.
 */
export function evaluateExpression(expr: string, resolve: (reference: string) => string): string {
  let pos = 0;
  const peek = () => expr[pos];
  const skip = () => {
    while (expr[pos] === ' ') pos++;
  };
  const expect = (c: string) => {
    skip();
    if (expr[pos] !== c) throw new Error(`expected ${c} at ${pos} in ${expr}`);
    pos++;
  };
  const value = (): string | string[] => {
    skip();
    if (peek() === '"') {
      const start = pos;
      pos++;
      while (expr[pos] !== '"') pos += expr[pos] === '\\' ? 2 : 1;
      pos++;
      return JSON.parse(expr.slice(start, pos)) as string;
    }
    if (peek() === '[') {
      pos++;
      const items: string[] = [];
      skip();
      while (peek() !== ']') {
        items.push(value() as string);
        skip();
        if (peek() === ',') pos++;
        skip();
      }
      pos++;
      return items;
    }
    const start = pos;
    while (pos < expr.length && /[A-Za-z0-9_.-]/.test(expr[pos])) pos++;
    const name = expr.slice(start, pos);
    skip();
    if (peek() !== '(') return resolve(name);
    pos++;
    const args: Array<string | string[]> = [];
    skip();
    while (peek() !== ')') {
      args.push(value());
      skip();
      if (peek() === ',') pos++;
      skip();
    }
    expect(')');
    const text = (i: number) => args[i] as string;
    switch (name) {
      case 'base64encode':
        return Buffer.from(text(0), 'utf8').toString('base64');
      case 'base64decode':
        return Buffer.from(text(0), 'base64').toString('utf8');
      case 'jsonencode':
        return JSON.stringify(text(0));
      case 'join':
        return (args[1] as string[]).join(text(0));
      case 'sha256':
        return require('crypto').createHash('sha256').update(text(0)).digest('hex');
      default:
        throw new Error(`function ${name} is not in the evaluator's subset`);
    }
  };
  const result = value();
  skip();
  if (pos !== expr.length) throw new Error(`trailing text at ${pos} in ${expr}`);
  return result as string;
}

/** Replaces every `${...}` interpolation of `text` with its evaluated value. */
export function evaluateTemplate(text: string, resolve: (reference: string) => string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) break;
    out += text.slice(i, start);
    // Find the matching brace, skipping string literals.
    let depth = 1;
    let j = start + 2;
    while (depth > 0) {
      const c = text[j];
      if (c === '"') {
        j++;
        while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      } else if (c === '{') depth++;
      else if (c === '}') depth--;
      j++;
    }
    out += evaluateExpression(text.slice(start + 2, j - 1), resolve);
    i = j;
  }
  return out + text.slice(i);
}
