/**
 * cdktf records the full stack trace of the code that created each token
 * (Intrinsic, Lazy, ComplexResolvable, dynamic blocks), whatever the App's
 * `stackTraces` option says; the option only covers construct metadata. A
 * trace is read only for the text of a token error ("Object creation
 * stack"), never for the JSON, and each one costs a formatted stack with
 * source maps: about a quarter of a second per synth of this platform, more
 * as stacks grow. This app always synthesizes with `stackTraces: false`, so
 * token traces are switched off with it: the errors keep their message and
 * lose only the creation trace.
 *
 * Relies on a cdktf internal: the module `cdktf/lib/tokens/private/stack-trace`
 * and its export `captureStackTrace`, which cdktf's modules call through the
 * module object (`(0, stack_trace_1.captureStackTrace)()`), so replacing the
 * export reaches every caller (checked by __tests__/cdktf-internals.test.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackTrace = require('cdktf/lib/tokens/private/stack-trace') as { captureStackTrace: (below?: unknown) => string[] };

let original: ((below?: unknown) => string[]) | undefined;

/** Makes cdktf's token stack-trace capture a no-op (idempotent). */
export function disableTokenStackTraces(): void {
  if (original !== undefined) return;
  original = stackTrace.captureStackTrace;
  stackTrace.captureStackTrace = () => [];
}

/** Gives cdktf its token stack traces back. */
export function restoreTokenStackTraces(): void {
  if (original === undefined) return;
  stackTrace.captureStackTrace = original;
  original = undefined;
}
