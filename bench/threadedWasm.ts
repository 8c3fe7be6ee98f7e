/** Can the multi-threaded wasm build run in Node here? Prints one JSON line with what happened. */
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { findWasmDirectory } from '../src/runtime/backend.js';

async function main(): Promise<void> {
  const dir = findWasmDirectory().dir!;
  setWasmPaths(dir.endsWith('/') ? dir : `${dir}/`);
  setThreadsCount(2);
  const ok = await tf.setBackend('wasm').catch((e) => String(e));
  const active = tf.getBackend();
  let threads: number | string = 'n/a';
  try {
    threads = getThreadsCount();
  } catch (e) {
    threads = String((e as Error).message);
  }
  const env = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT' as never);
  console.log(JSON.stringify({ setBackend: ok, active, threads, multithreadSupportFlag: env }));
}
main().catch((e) => console.log(JSON.stringify({ error: String(e?.message ?? e) })));
