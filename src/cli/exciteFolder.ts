/**
 * `excite <model> <folder>`: every image of a folder, spread over worker threads (one tfjs and one
 * loaded model per thread): the wasm backend runs one thread per model in Node, so two workers
 * are what puts both cores to work.
 */
import { availableParallelism } from 'node:os';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { analyze } from '../analysis/report.js';
import { openModel } from '../formats/index.js';
import type { ExciteResult } from '../runtime/excite.js';
import { excite, loadModel } from '../runtime/excite.js';
import { completeShapesByExecution } from '../runtime/executionShapes.js';
import { RuntimeError, userMessage } from '../util/errors.js';


export interface FolderJob {
  role: 'se-inspector-excite-worker';
  model: string;
  backend: string;
  preprocess: string;
  imageSize?: number;
  /** Values for non-image inputs (`--input`). */
  inputs?: Record<string, number>;
  /** Threads of one run per worker (onnx); default: the cores shared out among the workers. */
  threads?: number;
  /** Some tasks hold gates at given values: the model must load on an engine that can (set from the tasks). */
  overrides?: boolean;
}

/** One run: an image, optionally with gate layers held at given values and the full output kept. */
export interface FolderTask {
  image: string;
  overrideGates?: [layer: string, values: number[]][];
  fullOutput?: boolean;
}

type ToWorker = { id: number; task: FolderTask } | { done: true };
type FromWorker = { ready: true; error?: string } | { id: number; image: string; result?: ExciteResult; error?: string };

export interface FolderResult {
  workers: number;
  wallMs: number;
  images: ({ image: string } & ({ result: ExciteResult } | { error: string }))[];
}

/**
 * Runs every task (an image, or an image with options) through the model on `workers` threads,
 * handing out tasks as threads free up; results come back in task order.
 */
export async function exciteFolder(
  entry: URL,
  job: Omit<FolderJob, 'role'>,
  images: readonly (string | FolderTask)[],
  workers = Math.min(availableParallelism(), images.length),
  onProgress?: (done: number, total: number) => void,
): Promise<FolderResult> {
  const t0 = performance.now();
  const tasks = images.map((t) => (typeof t === 'string' ? { image: t } : t));
  job = { ...job, overrides: job.overrides || tasks.some((t) => t.overrideGates?.length) };
  const queue = tasks.map((task, id) => ({ id, task }));
  const results: FolderResult['images'] = new Array(tasks.length);
  let done = 0;
  const n = Math.max(1, Math.min(workers, tasks.length));
  // onnx runs on several threads itself: the workers share the cores rather than each taking all.
  const threads = job.threads ?? Math.max(1, Math.floor(availableParallelism() / n));
  await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(entry, { workerData: { ...job, threads, role: 'se-inspector-excite-worker' } satisfies FolderJob });
        const next = () => {
          const item = queue.shift();
          w.postMessage((item ?? { done: true }) satisfies ToWorker);
        };
        w.on('message', (m: FromWorker) => {
          if ('ready' in m) {
            if (m.error) {
              reject(new RuntimeError(m.error)); // already one line, naming the file
              void w.terminate();
            } else next();
            return;
          }
          results[m.id] = m.result ? { image: m.image, result: m.result } : { image: m.image, error: m.error ?? 'failed' };
          onProgress?.(++done, tasks.length);
          next();
        });
        w.on('error', reject);
        w.on('exit', () => resolve());
      }),
    ),
  );
  // A thread that stopped early leaves its tasks without a result: say so per image.
  for (let i = 0; i < tasks.length; i++) results[i] ??= { image: tasks[i].image, error: `${tasks[i].image}: no result (a worker thread stopped)` };
  return { workers: n, wallMs: performance.now() - t0, images: results };
}

/** The worker side: load the model once, then excite each image it is handed. */
export async function runFolderWorker(): Promise<void> {
  const job = workerData as FolderJob;
  const port = parentPort!;
  let loaded;
  let report;
  try {
    const graph = await completeShapesByExecution(await openModel(job.model, { assumedImageSize: job.imageSize }), { backend: job.backend as never, inputs: job.inputs });
    report = analyze(graph);
    loaded = await loadModel(graph, { backend: job.backend as never, warmup: true, inputs: job.inputs, overrides: job.overrides, capture: report.seBlocks.map((b) => b.gateLayer), threads: job.threads });
  } catch (e) {
    port.postMessage({ ready: true, error: userMessage(e) } satisfies FromWorker);
    return;
  }
  port.on('message', async (m: ToWorker) => {
    if ('done' in m) {
      loaded.dispose();
      port.close();
      return;
    }
    const { image, overrideGates, fullOutput } = m.task;
    try {
      const overrides = overrideGates && new Map(overrideGates.map(([layer, v]) => [layer, Float32Array.from(v)]));
      const result = await excite(loaded, report, image, { preprocess: job.preprocess as never, overrideGates: overrides, fullOutput });
      port.postMessage({ id: m.id, image, result } satisfies FromWorker);
    } catch (e) {
      port.postMessage({ id: m.id, image, error: userMessage(e) } satisfies FromWorker);
    }
  });
  port.postMessage({ ready: true } satisfies FromWorker);
}
