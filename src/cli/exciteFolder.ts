/**
 * `excite <model> <folder>`: every image of a folder, spread over worker threads (one tfjs and one
 * loaded model per thread): the wasm backend runs one thread per model in Node, so two workers
 * are what puts both cores to work.
 */
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { analyze } from '../analysis/report.js';
import { openModel } from '../formats/index.js';
import type { ExciteResult } from '../runtime/excite.js';
import { excite, loadModel } from '../runtime/excite.js';
import { RuntimeError, userMessage } from '../util/errors.js';

export const IMAGE_FILE = /\.(png|jpe?g)$/i;

export interface FolderJob {
  role: 'se-inspector-excite-worker';
  model: string;
  backend: string;
  preprocess: string;
  imageSize?: number;
  /** Threads of one run per worker (onnx); default: the cores shared out among the workers. */
  threads?: number;
}

type ToWorker = { image: string } | { done: true };
type FromWorker = { ready: true; error?: string } | { image: string; result?: ExciteResult; error?: string };

export interface FolderResult {
  workers: number;
  wallMs: number;
  images: ({ image: string } & ({ result: ExciteResult } | { error: string }))[];
}

export function listImages(folder: string): string[] {
  return readdirSync(folder).filter((f) => IMAGE_FILE.test(f)).sort().map((f) => join(folder, f));
}

/** Runs every image through the model on `workers` threads, handing out images as threads free up. */
export async function exciteFolder(entry: URL, job: Omit<FolderJob, 'role'>, images: string[], workers = Math.min(availableParallelism(), images.length)): Promise<FolderResult> {
  const t0 = performance.now();
  const queue = [...images];
  const results: FolderResult['images'] = [];
  const n = Math.max(1, Math.min(workers, images.length));
  // onnx runs on several threads itself: the workers share the cores rather than each taking all.
  const threads = job.threads ?? Math.max(1, Math.floor(availableParallelism() / n));
  await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(entry, { workerData: { ...job, threads, role: 'se-inspector-excite-worker' } satisfies FolderJob });
        const next = () => {
          const image = queue.shift();
          w.postMessage((image ? { image } : { done: true }) satisfies ToWorker);
        };
        w.on('message', (m: FromWorker) => {
          if ('ready' in m) {
            if (m.error) {
              reject(new RuntimeError(m.error)); // already one line, naming the file
              void w.terminate();
            } else next();
            return;
          }
          results.push(m.result ? { image: m.image, result: m.result } : { image: m.image, error: m.error ?? 'failed' });
          next();
        });
        w.on('error', reject);
        w.on('exit', () => resolve());
      }),
    ),
  );
  results.sort((a, b) => images.indexOf(a.image) - images.indexOf(b.image));
  return { workers: n, wallMs: performance.now() - t0, images: results };
}

/** The worker side: load the model once, then excite each image it is handed. */
export async function runFolderWorker(): Promise<void> {
  const job = workerData as FolderJob;
  const port = parentPort!;
  let loaded;
  let report;
  try {
    const graph = await openModel(job.model, { assumedImageSize: job.imageSize });
    report = analyze(graph);
    loaded = await loadModel(graph, { backend: job.backend as never, warmup: true, capture: report.seBlocks.map((b) => b.gateLayer), threads: job.threads });
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
    try {
      const result = await excite(loaded, report, m.image, { preprocess: job.preprocess as never });
      port.postMessage({ image: m.image, result } satisfies FromWorker);
    } catch (e) {
      port.postMessage({ image: m.image, error: userMessage(e) } satisfies FromWorker);
    }
  });
  port.postMessage({ ready: true } satisfies FromWorker);
}
