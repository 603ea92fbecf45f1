import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { Manifest, TerraformStack, type App, type IManifest } from 'cdktf';
import { assertGuardrails } from '../aspects/guardrails';
import { checkingBinaryVersionsOnce } from '../cdktf/binary-versions';
import { StableJsonSynthesizer } from '../cdktf/json-synthesizer';
import { OutputScanError, scanSynthesizedOutput } from './secret-scan';

export interface AtomicSynthOptions {
  /**
   * The output directory to replace.
   * @default env.CDKTF_OUTDIR (set by `cdktf synth`), else 'cdktf.out'
   */
  readonly outdir?: string;
  /** Environment to read CDKTF_OUTDIR from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Told the name of each stack folder of the old output that the new one
   * lacks (a stack no longer in the app), once it is gone.
   * @default - nothing is told
   */
  readonly onStaleStack?: (stack: string) => void;
  /**
   * Write only these stacks: their folders and their manifest entries are
   * replaced, every other folder and entry of the old output is kept as it
   * was (a stack no longer in the app included). The app must have them; it
   * may have others (the stacks they read), which are checked but not written.
   * @default - every stack of the app; folders of stacks it lacks are removed
   */
  readonly stacks?: readonly string[];
}

/**
 * Synthesizes an app so that the output directory is replaced whole or not at
 * all. `build` gets a fresh sibling directory (same file system) to create the
 * App in; the guardrails of every stack are checked, the app synthesized there
 * and its JSON scanned for secrets; only then is the old directory renamed
 * away, the new one renamed in and the old one deleted. Any error (a
 * guardrail violation, a secret, a throw in `build`) removes the new directory
 * and leaves the previous output exactly as it was.
 *
 * @returns the output directory written
 */
export function synthesizeAtomically(build: (outdir: string) => App, options: AtomicSynthOptions = {}): string {
  const env = options.env ?? process.env;
  const shown = options.outdir ?? env.CDKTF_OUTDIR ?? 'cdktf.out';
  const finalDir = path.resolve(shown);
  const parent = path.dirname(finalDir);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(path.join(parent, `.${path.basename(finalDir)}.next-`));
  try {
    const app = build(staging);
    if (path.resolve(app.outdir) !== staging) {
      throw new Error(`synthesizeAtomically: build must create the App with outdir ${staging}, not ${app.outdir}`);
    }
    assertGuardrails(app);
    // cdktf's synthesizer, each stack's JSON written by a faster stable stringify (the same bytes).
    for (const stack of app.node.findAll()) {
      if (TerraformStack.isStack(stack) && !(stack.synthesizer instanceof StableJsonSynthesizer)) {
        stack.synthesizer = new StableJsonSynthesizer(stack, stack.synthesizer);
      }
    }
    // cdktf runs `terraform version` for each element that needs a recent one: once is enough.
    checkingBinaryVersionsOnce(() => app.synth());
    if (options.stacks !== undefined) keepOnly(staging, finalDir, options.stacks);
    // The JSON each stack's file was just written from: the scan walks it instead of parsing the file again.
    const written = new Map<string, unknown>();
    for (const stack of app.node.findAll()) {
      if (!TerraformStack.isStack(stack) || !(stack.synthesizer instanceof StableJsonSynthesizer)) continue;
      const last = stack.synthesizer.written;
      if (last !== undefined) written.set(path.resolve(last.file), last.json);
    }
    const findings = scanSynthesizedOutput(staging, shown, written);
    if (findings.length > 0) throw new OutputScanError(findings);
    swapInto(staging, finalDir, options.onStaleStack ?? (() => undefined), options.stacks);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return finalDir;
}

/**
 * Reduces a synthesized output to the stacks selected: the other folders go,
 * and its manifest becomes the old output's (when there is one) with the
 * selected stacks' entries put in, written as cdktf writes it.
 */
function keepOnly(staging: string, finalDir: string, selected: readonly string[]): void {
  const stacksDir = path.join(staging, Manifest.stacksFolder);
  const fresh = readManifest(staging)!;
  for (const stack of selected) {
    if (fresh.stacks[stack] === undefined || !isDirectory(path.join(stacksDir, stack))) {
      throw new Error(`synthesizeAtomically: the app has no stack ${stack} to write; build must add every stack selected`);
    }
  }
  const keep = new Set(selected);
  for (const entry of readdirSync(stacksDir)) if (!keep.has(entry)) rmSync(path.join(stacksDir, entry), { recursive: true, force: true });
  const manifest = new Manifest(fresh.version, staging, false);
  Object.assign(manifest.stacks, readManifest(finalDir)?.stacks ?? {});
  for (const stack of selected) manifest.stacks[stack] = fresh.stacks[stack];
  manifest.writeToFile();
}

function readManifest(dir: string): IManifest | undefined {
  const file = path.join(dir, Manifest.fileName);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as IManifest) : undefined;
}

/**
 * Renames `staging` to `finalDir`, replacing what was there; puts the old one
 * back if that fails. With `selected`, the old output's other stack folders
 * are moved into the new one whole.
 */
function swapInto(staging: string, finalDir: string, onStaleStack: (stack: string) => void, selected?: readonly string[]): void {
  const old = `${path.join(path.dirname(finalDir), `.${path.basename(finalDir)}.old-`)}${process.pid}-${Date.now()}`;
  let moved = false;
  try {
    renameSync(finalDir, old);
    moved = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    renameSync(staging, finalDir);
  } catch (err) {
    if (moved) renameSync(old, finalDir);
    throw err;
  }
  if (moved) {
    const stale = carryOver(old, finalDir, selected !== undefined);
    rmSync(old, { recursive: true, force: true });
    stale.forEach(onStaleStack);
  }
}

/**
 * Moves what synth does not write (tofu's `.terraform/`, `.terraform.lock.hcl`,
 * plan files) from the old output into the new one, at the top level and into
 * each `stacks/<name>/` the new output has.
 *
 * The folder of a stack the new output lacks is not carried over (it goes with
 * the old output): its JSON is the stack as it was, sites and all, so a
 * `tofu -chdir` there, or a pipeline job looping over `stacks/*`, would plan
 * to keep or even recreate what the app no longer has. A stack's state is
 * never in its folder (`state/` or object storage), so nothing of it is lost.
 *
 * When only some stacks were synthesized (`partial`), the folders of the
 * others are not stale: they are moved over whole, as they were.
 *
 * @returns the names of the stacks left behind
 */
function carryOver(oldDir: string, newDir: string, partial: boolean): string[] {
  moveMissing(oldDir, newDir, new Set(['stacks']));
  const oldStacks = path.join(oldDir, 'stacks');
  const newStacks = path.join(newDir, 'stacks');
  if (!isDirectory(oldStacks) || !isDirectory(newStacks)) return [];
  const stale: string[] = [];
  for (const stack of readdirSync(oldStacks).sort()) {
    const from = path.join(oldStacks, stack);
    const to = path.join(newStacks, stack);
    if (isDirectory(to)) {
      if (isDirectory(from)) moveMissing(from, to);
    } else if (partial) renameSync(from, to);
    else if (isDirectory(from)) stale.push(stack);
  }
  return stale;
}

/** Renames every entry of `from` that `to` lacks into `to`, except those named in `skip`. */
function moveMissing(from: string, to: string, skip: ReadonlySet<string> = new Set()): void {
  for (const entry of readdirSync(from)) {
    if (!skip.has(entry) && !existsSync(path.join(to, entry))) renameSync(path.join(from, entry), path.join(to, entry));
  }
}

function isDirectory(p: string): boolean {
  return existsSync(p) && lstatSync(p).isDirectory();
}
