import { DEBUG_VARIABLE } from '../config/loader';

export interface FailureContext {
  /** The input files of the synth, as given (config, catalog), named in the message. */
  readonly inputs: readonly string[];
  /** Append the stack trace (and its cause's): {@link DEBUG_VARIABLE} is set. */
  readonly debug: boolean;
}

/**
 * An error nobody foresaw (a bug, or an input no check knows) as one line that
 * names the input files and what to do, instead of a raw stack trace; the
 * trace follows only when asked for ({@link DEBUG_VARIABLE}).
 */
export function describeFailure(err: unknown, context: FailureContext): string {
  // The whole message on one line: a construct's input check lists its problems on lines of their own.
  const what = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).replace(/\s*\n\s*/g, ' ');
  const inputs = context.inputs.length > 0 ? context.inputs.join(' and ') : 'the config';
  // A system call that failed (mkdir, rename): the machine's paths or permissions, not the input.
  const system = err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
  const hint = system
    ? 'check the output folder (CDKTF_OUTDIR) and its permissions'
    : 'this is a bug rather than your input, please report it';
  const line =
    `synth failed unexpectedly (${what}) while building the stacks from ${inputs}; nothing was written: ` +
    `${hint}; ${DEBUG_VARIABLE}=1 prints the stack trace`;
  return context.debug ? `${line}\n${traceOf(err)}` : line;
}

/** The stack trace of an error and of its causes. */
export function traceOf(err: unknown): string {
  const traces: string[] = [];
  let current: unknown = err;
  while (current !== undefined && traces.length < 5) {
    traces.push(current instanceof Error ? (current.stack ?? String(current)) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) traces.push('caused by:');
  }
  return traces.join('\n');
}
