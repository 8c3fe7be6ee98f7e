/**
 * Picks and starts the TensorFlow.js backend. tfjs falls back to another backend without a word
 * when one fails to start (performance-notes.md), so every choice is checked with
 * `tf.getBackend()` afterwards and reported with the reason it was taken.
 *
 * Order for `auto`: tfjs-node (libtensorflow, multi-threaded; an optional dependency, loaded
 * only if installed) -> wasm (XNNPACK, SIMD, one thread in Node) -> cpu (plain JS, ~30x slower).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { RuntimeError } from '../util/errors.js';

export type BackendName = 'tfjs-node' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;

export interface BackendInfo {
  /** The backend that really runs (as checked with tf.getBackend()). */
  name: BackendName;
  /** Why this one: what was asked and what failed on the way, in one line. */
  reason: string;
}

/** tfjs' own names of our backends. */
const TF_NAME: Record<BackendName, string> = { 'tfjs-node': 'tensorflow', wasm: 'wasm', cpu: 'cpu' };
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

let wasmDirectory: string | undefined;
let current: BackendInfo | undefined;
/** Why each backend could not start, so a failure is explained once and not retried. */
const failures = new Map<BackendName, string>();

/**
 * Where the `.wasm` binaries are, for bundles that know better than our search (call before
 * the first `initBackend`). The folder must hold tfjs-backend-wasm.wasm and tfjs-backend-wasm-simd.wasm.
 */
export function setWasmDirectory(dir: string): void {
  wasmDirectory = dir;
}

/** The folder of this module's code: the bundle's folder once built, src/runtime from sources. */
function moduleDir(): string | undefined {
  try {
    // In a CommonJS bundle import.meta is empty; __dirname is the bundle's folder there.
    if (typeof __dirname === 'string') return __dirname;
  } catch {
    /* not CommonJS */
  }
  try {
    const url = (import.meta as { url?: string }).url;
    return url ? dirname(fileURLToPath(url)) : undefined;
  } catch {
    return undefined;
  }
}

function hasWasmFiles(dir: string): boolean {
  return WASM_FILES.every((f) => existsSync(join(dir, f)));
}

/** Candidate folders for the wasm binaries, in order, with the first that holds them. */
export function findWasmDirectory(): { dir?: string; searched: string[] } {
  const searched: string[] = [];
  const candidates: string[] = [];
  if (wasmDirectory) candidates.push(wasmDirectory);
  if (process.env.SE_INSPECTOR_WASM_DIR) candidates.push(process.env.SE_INSPECTOR_WASM_DIR);
  const here = moduleDir();
  if (here) candidates.push(here);
  if (process.argv[1]) candidates.push(dirname(process.argv[1]));
  try {
    const req = createRequire(here ? join(here, 'x.js') : join(process.cwd(), 'x.js'));
    candidates.push(join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    /* not installed next to us: a bundle without node_modules */
  }
  for (const dir of candidates) {
    if (searched.includes(dir)) continue;
    searched.push(dir);
    if (hasWasmFiles(dir)) return { dir, searched };
  }
  return { searched };
}

let wasmPathsSet = false;

async function tryBackend(name: BackendName): Promise<string | undefined> {
  const known = failures.get(name);
  if (known) return known;
  const fail = (why: string) => {
    failures.set(name, why);
    return why;
  };
  if (name === 'tfjs-node') {
    try {
      // A variable specifier keeps bundlers from resolving an optional dependency.
      const spec = '@tensorflow/tfjs-node';
      await import(/* @vite-ignore */ spec);
    } catch (e) {
      const code = (e as { code?: string }).code;
      const why = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
        ? '@tensorflow/tfjs-node is not installed (an optional dependency: `npm install @tensorflow/tfjs-node` where it can download libtensorflow)'
        : `@tensorflow/tfjs-node failed to load: ${String((e as Error).message ?? e).split('\n')[0]}`;
      return fail(why);
    }
    if (!tf.findBackendFactory(TF_NAME[name])) return fail('@tensorflow/tfjs-node loaded but registered no "tensorflow" backend (two copies of tfjs-core?)');
  }
  if (name === 'wasm' && !wasmPathsSet) {
    const { dir, searched } = findWasmDirectory();
    if (!dir) return fail(`the wasm binaries (${WASM_FILES.join(', ')}) are in none of: ${searched.join(', ')}`);
    try {
      wasmBackend.setWasmPaths(dir.endsWith('/') || dir.endsWith('\\') ? dir : `${dir}/`);
      wasmPathsSet = true;
    } catch (e) {
      return fail(`cannot set the wasm path: ${(e as Error).message}`);
    }
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(TF_NAME[name]);
  } catch (e) {
    return fail(`it failed to start: ${String((e as { message?: string }).message ?? e).split('\n')[0]}`);
  }
  // tfjs reports failure by returning false, or by quietly running another backend.
  const actual = tf.getBackend();
  if (!ok) return fail('it failed to start (tf.setBackend returned false)');
  if (actual !== TF_NAME[name]) return fail(`tfjs started '${actual}' instead`);
  return undefined;
}

/**
 * Starts the requested backend (or the best available one for `auto`) and returns what runs.
 * An explicit backend that cannot start is a RuntimeError naming why; `auto` falls back and
 * says why in `reason`.
 */
export async function initBackend(requested: BackendRequest = 'auto'): Promise<BackendInfo> {
  tf.env().set('PROD', true); // no console noise ("install tfjs-node" banners) in a CLI or extension
  if (current && (requested === 'auto' || requested === current.name) && tf.getBackend() === TF_NAME[current.name]) return current;
  if (requested !== 'auto') {
    const why = await tryBackend(requested);
    if (why) throw new RuntimeError(`backend '${requested}' is not available: ${why}`);
    current = { name: requested, reason: `requested '${requested}'` };
    return current;
  }
  const skipped: string[] = [];
  for (const name of ['tfjs-node', 'wasm', 'cpu'] as const) {
    const why = await tryBackend(name);
    if (!why) {
      const base = name === 'tfjs-node' ? 'auto: tfjs-node is installed' : name === 'wasm' ? 'auto: wasm (SIMD, 1 thread)' : 'auto: plain JS cpu backend (slow)';
      current = { name, reason: skipped.length ? `${base}; ${skipped.join('; ')}` : base };
      return current;
    }
    skipped.push(`${name} skipped: ${why}`);
  }
  throw new RuntimeError(`no TensorFlow.js backend could start: ${skipped.join('; ')}`);
}

/** The backend started last, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/** Makes `name` the active backend again (after another model switched it). */
export async function ensureBackend(name: BackendName): Promise<void> {
  if (tf.getBackend() === TF_NAME[name]) return;
  const why = await tryBackend(name);
  if (why) throw new RuntimeError(`backend '${name}' is not available: ${why}`);
  current = { name, reason: current?.name === name ? current.reason : `requested '${name}'` };
}

/** tfjs' name for our backend name. */
export function tfBackendName(name: BackendName): string {
  return TF_NAME[name];
}
