/**
 * Picks and starts the TensorFlow.js backend. tfjs falls back to another backend without a word
 * when one fails to start (performance-notes.md), so every choice is checked with
 * `tf.getBackend()` afterwards and reported with the reason it was taken.
 *
 * Order for `auto` among TensorFlow.js backends (model.ts tries onnx before them): tfjs-node (libtensorflow, multi-threaded; an optional dependency, loaded
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

import type { BackendName, BackendRequest } from './backendNames.js';

export { BACKEND_REQUESTS, isBackendRequest, type BackendName, type BackendRequest } from './backendNames.js';

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

/** Why a backend could not start: a short form for `auto`'s reason, the full one for errors. Kept so a failure is not retried. */
interface Failure {
  short: string;
  long: string;
}
const failures = new Map<BackendName, Failure>();
/** What a user should know about the wasm binaries that were used (a set directory lacking them). */
let wasmNote: string | undefined;

/**
 * Where the `.wasm` binaries are, for bundles that know better than our search (call before
 * the first `initBackend`; once wasm runs it has no effect). The folder must hold
 * tfjs-backend-wasm.wasm and tfjs-backend-wasm-simd.wasm.
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

type Listeners = Record<'uncaughtException' | 'unhandledRejection', unknown[]>;

function processListeners(): Listeners {
  return { uncaughtException: process.listeners('uncaughtException'), unhandledRejection: process.listeners('unhandledRejection') };
}

/**
 * The Emscripten glue of the wasm backend installs process handlers that rethrow every uncaught
 * exception and unhandled rejection; Node then prints the whole minified glue line (tens of KB)
 * with any crash of the host program. Those handlers are removed again: Node's defaults do the same
 * job without the noise.
 */
function removeListenersAddedSince(before: Listeners): void {
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    for (const l of process.listeners(event as 'uncaughtException')) if (!before[event].includes(l)) process.removeListener(event as 'uncaughtException', l);
  }
}

async function tryBackend(name: BackendName): Promise<Failure | undefined> {
  const known = failures.get(name);
  if (known) return known;
  const fail = (long: string, short = long) => {
    const f = { short, long };
    failures.set(name, f);
    return f;
  };
  if (name === 'tfjs-node') {
    try {
      // A variable specifier keeps bundlers from resolving an optional dependency.
      const spec = '@tensorflow/tfjs-node';
      await import(/* @vite-ignore */ spec);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
        return fail('@tensorflow/tfjs-node is not installed (an optional dependency: `npm install @tensorflow/tfjs-node` where it can download libtensorflow)', 'tfjs-node is not installed');
      return fail(`@tensorflow/tfjs-node failed to load: ${String((e as Error).message ?? e).split('\n')[0]}`, 'tfjs-node failed to load');
    }
    if (!tf.findBackendFactory(TF_NAME[name])) return fail('@tensorflow/tfjs-node loaded but registered no "tensorflow" backend (two copies of tfjs-core?)', 'tfjs-node registered no backend');
  }
  if (name === 'wasm' && !wasmPathsSet) {
    const { dir, searched } = findWasmDirectory();
    if (!dir) return fail(`the wasm binaries (${WASM_FILES.join(', ')}) are in none of: ${searched.join(', ')}`, 'wasm binaries not found');
    if (wasmDirectory && dir !== wasmDirectory) wasmNote = `the wasm folder set by the host (${wasmDirectory}) lacks the binaries; using ${dir}`;
    try {
      wasmBackend.setWasmPaths(dir.endsWith('/') || dir.endsWith('\\') ? dir : `${dir}/`);
      wasmPathsSet = true;
    } catch (e) {
      return fail(`cannot set the wasm path: ${(e as Error).message}`, 'wasm path not settable');
    }
  }
  let ok: boolean;
  const before = processListeners();
  try {
    ok = await tf.setBackend(TF_NAME[name]);
  } catch (e) {
    return fail(`it failed to start: ${String((e as { message?: string }).message ?? e).split('\n')[0]}`, `${name} failed to start`);
  } finally {
    removeListenersAddedSince(before);
  }
  // tfjs reports failure by returning false, or by quietly running another backend.
  const actual = tf.getBackend();
  if (!ok) return fail('it failed to start (tf.setBackend returned false)', `${name} failed to start`);
  if (actual !== TF_NAME[name]) return fail(`tfjs started '${actual}' instead`, `${name} did not start`);
  return undefined;
}

/** One line on how the running backend computes. */
async function describe(name: BackendName): Promise<string> {
  if (name === 'tfjs-node') return 'tfjs-node (libtensorflow, multi-threaded)';
  if (name === 'cpu') return 'cpu (plain JavaScript, slow)';
  let simd = false;
  try {
    simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  } catch {
    /* unknown */
  }
  let threads = 1;
  try {
    threads = wasmBackend.getThreadsCount();
  } catch {
    /* not reported */
  }
  return `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})${wasmNote ? `; ${wasmNote}` : ''}`;
}

/**
 * Starts the requested backend (for `auto`: tfjs-node, else wasm, else cpu) and returns what
 * runs, checked with tf.getBackend(). An explicit backend that cannot start is a RuntimeError
 * naming why; `auto` falls back and says why in `reason`.
 */
export async function initBackend(requested: 'auto' | BackendName = 'auto'): Promise<BackendInfo> {
  if ((requested as string) === 'onnx') throw new RuntimeError("'onnx' is not a TensorFlow.js backend: load the model with backend 'onnx' instead");
  tf.env().set('PROD', true); // no console noise ("install tfjs-node" banners) in a CLI or extension
  if (requested !== 'auto') {
    if (current?.name === requested && tf.getBackend() === TF_NAME[requested]) return current;
    const f = await tryBackend(requested);
    if (f) throw new RuntimeError(`backend '${requested}' is not available: ${f.long}`);
    current = { name: requested, reason: `requested: ${await describe(requested)}` };
    return current;
  }
  const skipped: string[] = [];
  for (const name of ['tfjs-node', 'wasm', 'cpu'] as const) {
    const f = await tryBackend(name);
    if (!f) {
      current = { name, reason: `auto: ${await describe(name)}${skipped.length ? `; ${skipped.join('; ')}` : ''}` };
      return current;
    }
    skipped.push(f.short);
  }
  throw new RuntimeError(`no TensorFlow.js backend could start: ${['tfjs-node', 'wasm', 'cpu'].map((n) => `${n}: ${failures.get(n as BackendName)?.long}`).join('; ')}`);
}

/** The backend started last, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/** Makes `name` the active backend again (after another model switched it). */
export async function ensureBackend(name: BackendName): Promise<void> {
  if (tf.getBackend() === TF_NAME[name]) return;
  const f = await tryBackend(name);
  if (f) throw new RuntimeError(`backend '${name}' is not available: ${f.long}`);
  if (current?.name !== name) current = { name, reason: `requested: ${await describe(name)}` };
}

/** tfjs' name for our backend name. */
export function tfBackendName(name: BackendName): string {
  return TF_NAME[name];
}
