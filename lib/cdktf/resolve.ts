import { DefaultTokenResolver, StringConcat, Tokenization } from 'cdktf';
import type { IConstruct } from 'constructs';

/** The resolver cdktf's own synth uses (cdktf 0.21, lib/_tokens.js). */
const RESOLVER = new DefaultTokenResolver(new StringConcat());

/**
 * `value` resolved as cdktf's synth resolves it: its internal
 * `resolve(scope, value, preparing)`, which is not exported. With
 * `preparing`, as in the preparing pass (cross-stack references register
 * their outputs and remote states).
 */
export function resolveAsCdktf(scope: IConstruct, value: unknown, preparing = false): unknown {
  return Tokenization.resolve(value, { scope, preparing, resolver: RESOLVER });
}
