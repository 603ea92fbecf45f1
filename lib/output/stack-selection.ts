import { parseArgs } from 'node:util';

/** How the synth command is run with a selection, for messages. */
const USAGE = 'npm run synth -- --stack <name>[,<name>...] (repeat --stack for more)';

/** A synth argument that cannot be used: an unknown option, or a stack the app does not have. Nothing is written. */
export class StackSelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackSelectionError';
  }
}

/**
 * The stacks named on the synth command line (`--stack a`, `--stack=a,b`,
 * repeated), in the order given, each once; undefined without `--stack`
 * (every stack). Any other argument is refused.
 */
export function requestedStacks(argv: readonly string[]): string[] | undefined {
  let values: string[] | undefined;
  try {
    ({ values: { stack: values } } = parseArgs({
      args: [...argv],
      options: { stack: { type: 'string', multiple: true } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new StackSelectionError(`synth: ${(err as Error).message}; the one option is --stack: ${USAGE}`);
  }
  if (values === undefined) return undefined;
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim());
  if (names.some((name) => name === '')) throw new StackSelectionError(`synth: --stack needs a stack name (an empty one was given); ${USAGE}`);
  return [...new Set(names)];
}

/**
 * Checks the requested stacks against the app's (`known`, in the app's
 * order): every unknown name is reported at once, with the names there are.
 */
export function selectStacks(requested: readonly string[], known: readonly string[]): string[] {
  const valid = new Set(known);
  const unknown = requested.filter((name) => !valid.has(name));
  if (unknown.length > 0) {
    throw new StackSelectionError(
      `synth: no stack named ${unknown.join(', ')} in this app (from this config and sites catalog); nothing was written. ` +
        `The stacks are: ${known.join(', ')}`,
    );
  }
  return [...requested];
}
