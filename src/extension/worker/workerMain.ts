/**
 * The worker thread: reads models, analyses them and runs them (TF.js) off the extension host's
 * main thread.
 *
 * - Inspections run as they come (they only read files), except that measuring the shapes of a TF.js
 *   graph model by running it (runtime/executionShapes.ts) is a model run. Model runs run one at a time,
 *   in arrival order: the weights of one model at a time are on the backend, and a run never
 *   shares the (global) TF.js backend with another one.
 * - `cancel` aborts the request's signal: a queued run is dropped at once, a running one stops at
 *   the next layer (the runtime checks the signal between layers) after freeing its tensors.
 * - Nothing a request does can stop the thread: every failure is answered as a one-line error,
 *   and exceptions outside any request are reported to the host's log, not thrown.
 */
import { readFileSync, statSync } from 'node:fs';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { analyze } from '../../analysis/report.js';
import { openModel } from '../../formats/index.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { completeShapesByExecution, excite, isBackendRequest, loadModel, runtimeMemory, setWasmDirectory, type LoadedModel } from '../../runtime/index.js';
import { decodeImageFile } from '../../image/decode.js';
import { modelInputThumbnail } from '../../image/thumbnail.js';
import { classCount, outputShapeOf, resolveLabels } from '../../labels/index.js';
import { CancelledError, InspectorError, ModelError, userMessage } from '../../util/errors.js';
import { specificityJob } from './specificityJob.js';
import { collectGarbage } from '../../util/gc.js';
import type {
  DebugRequest,
  DebugResult,
  ExciteRequest,
  ExciteResult,
  FromWorker,
  InspectRequest,
  InspectResult,
  MemoryRequest,
  MemoryResult,
  Request,
  UnloadResult,
  WorkerData,
} from './workerProtocol.js';

const port = parentPort;
if (!port) throw new Error('workerMain must run in a worker thread');
const options: WorkerData = (workerData ?? {}) as WorkerData;
const controllers = new Map<number, AbortController>();
// the build copies the wasm binaries next to this bundle (dist/)
try {
  setWasmDirectory(dirname(fileURLToPath(import.meta.url)));
} catch {
  /* the runtime searches node_modules itself */
}

const send = (m: FromWorker) => port.postMessage(m);
const firstLine = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0];
/** Messages are shown on one line (a notification, a view): line breaks become spaces, and very long text is cut. */
const oneLine = (text: string) => {
  const t = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return t.length > 1000 ? `${t.slice(0, 999)}…` : t;
};

// An exception outside any request (a library's timer or callback) must not end the thread: the
// host would lose every request in flight. It is reported to the host's log instead.
process.on('uncaughtException', (e) => send({ log: `worker: uncaught exception (the worker keeps serving): ${firstLine(e)}` }));
process.on('unhandledRejection', (e) => send({ log: `worker: unhandled promise rejection (the worker keeps serving): ${firstLine(e)}` }));

/** A request the host sent that does not have the expected shape: a bug of the host, answered as an error. */
class BadRequest extends InspectorError {
  constructor(what: string) {
    super(`malformed request to the worker: ${what}`);
  }
}

function checkRequest(r: unknown): Request {
  if (!r || typeof r !== 'object') throw new BadRequest('not an object');
  const o = r as Record<string, unknown>;
  const str = (k: string) => {
    if (typeof o[k] !== 'string' || o[k] === '') throw new BadRequest(`'${k}' must be a non-empty string`);
  };
  const ratios = () => {
    if (!Array.isArray(o.ratios) || !o.ratios.every((x) => typeof x === 'number' && x > 0)) throw new BadRequest("'ratios' must be an array of positive numbers");
  };
  switch (o.kind) {
    case 'inspect':
      str('path');
      ratios();
      break;
    case 'excite':
      str('modelPath');
      str('imagePath');
      ratios();
      if (!isBackendRequest(o.backend)) throw new BadRequest(`unknown backend ${JSON.stringify(o.backend)}`);
      str('preprocess');
      if (o.threads !== undefined && !(Number.isInteger(o.threads) && (o.threads as number) >= 0 && (o.threads as number) <= 256)) throw new BadRequest("'threads' must be a whole number from 0 to 256");
      break;
    case 'specificity':
      str('modelPath');
      str('folder');
      ratios();
      if (!isBackendRequest(o.backend)) throw new BadRequest(`unknown backend ${JSON.stringify(o.backend)}`);
      str('preprocess');
      break;
    case 'memory':
    case 'unload':
      break;
    case 'debug':
      if (!options.debugRequests) throw new BadRequest('debug requests are disabled in this worker');
      break;
    default:
      throw new BadRequest(`unknown kind ${JSON.stringify(o.kind)}`);
  }
  return o as unknown as Request;
}

async function inspect(id: number, r: InspectRequest, signal: AbortSignal): Promise<InspectResult> {
  let graph = await openModel(r.path);
  // Shapes no rule knows, measured by running the graph model once: a model run, so it waits its turn.
  if (graph.format === 'tfjs-graph' && graph.loadGraphModel && graph.nodes.some((n) => n.outputShape === null)) {
    const g = graph;
    graph = await oneRunAtATime(id, signal, () => completeShapesByExecution(g, { signal }));
  }
  const report = analyze(graph, r.ratios);
  return { report, sources: /\.json$/i.test(r.path) ? nameSources(r.path, graph.nodes) : {}, edges: edgesOf(graph.nodes) };
}

/** [from, to] node indices, one per distinct (producer, consumer) pair, for the graph view. */
function edgesOf(nodes: { name: string; inputs: { node: string }[] }[]): [number, number][] {
  const index = new Map(nodes.map((n, i) => [n.name, i]));
  const edges: [number, number][] = [];
  nodes.forEach((n, to) => {
    const seen = new Set<number>();
    for (const input of n.inputs) {
      const from = index.get(input.node);
      if (from === undefined || seen.has(from)) continue;
      seen.add(from);
      edges.push([from, to]);
    }
  });
  return edges;
}

/**
 * Where each node's name is declared in a JSON model: the character offsets of the string after the
 * first `"name": "<node>"` (the layer/node level comes before nested configs and references).
 */
function nameSources(path: string, nodes: { name: string }[]): InspectResult['sources'] {
  const text = readFileSync(path, 'utf8');
  const first = new Map<string, { start: number; end: number }>();
  const re = /"name"\s*:\s*("(?:\\.|[^"\\])*")/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let name: string;
    try {
      name = JSON.parse(m[1]) as string;
    } catch {
      continue;
    }
    if (!first.has(name)) {
      const start = m.index + m[0].length - m[1].length;
      first.set(name, { start, end: start + m[1].length });
    }
  }
  const out: InspectResult['sources'] = {};
  for (const n of nodes) {
    const at = first.get(n.name);
    if (at) out[n.name] = at;
  }
  return out;
}

/** The end of the queue of model runs: resolves when the last queued run has finished. */
let runQueueTail: Promise<void> = Promise.resolve();
let runsQueued = 0;

/**
 * Runs `fn` after every run queued before it has finished. A run cancelled while it waits is
 * rejected at once and never starts.
 */
function oneRunAtATime<T>(id: number, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  const previous = runQueueTail;
  let release!: () => void;
  runQueueTail = new Promise<void>((resolve) => (release = resolve));
  if (runsQueued++ > 0) send({ id, progress: 'waiting for the previous run' });
  return new Promise<T>((resolve, reject) => {
    const dropWhileQueued = () => reject(new CancelledError());
    signal.addEventListener('abort', dropWhileQueued, { once: true });
    void previous.then(async () => {
      signal.removeEventListener('abort', dropWhileQueued);
      try {
        if (signal.aborted) throw new CancelledError();
        resolve(await fn());
      } catch (e) {
        reject(e);
      } finally {
        runsQueued--;
        release();
      }
    });
  });
}

/**
 * The last model run, kept loaded: the next image on the same file (same size and mtime), backend
 * and threads runs at once, without reading and uploading the weights again (an onnx session or
 * the TF.js tensors). Another model replaces it (the old one is freed first: one model's weights
 * at a time); `unload` drops it.
 */
let kept: { key: string; path: string; loaded: LoadedModel } | undefined;

function unloadKept(): UnloadResult {
  const path = kept?.path ?? null;
  kept?.loaded.dispose();
  kept = undefined;
  return { unloaded: path };
}

async function run(id: number, r: ExciteRequest, signal: AbortSignal): Promise<ExciteResult> {
  // the image first: a broken image is said before the (slower) model is read
  send({ id, progress: 'reading the image' });
  const image = decodeImageFile(r.imagePath);
  send({ id, progress: 'reading the model' });
  let st;
  try {
    st = statSync(r.modelPath);
  } catch {
    st = undefined; // openModel names the problem
  }
  const key = JSON.stringify([r.modelPath, st?.size, st?.mtimeMs, r.backend, r.threads ?? 0]);
  const reuse = kept?.key === key ? kept : undefined;
  // The graph inspect shows: shapes no rule knows measured by running the model (already in this run's turn).
  const graph = reuse?.loaded.graph ?? (await completeShapesByExecution(await openModel(r.modelPath), { backend: r.backend, signal }));
  const labels = resolveLabels({ file: r.labels, modelPath: r.modelPath, classes: classCount(outputShapeOf(graph)) });
  const report = analyze(graph, r.ratios);
  if (report.seBlocks.length === 0) throw new ModelError('no SE block found, so there is no excitation to show', r.modelPath);
  if (signal.aborted) throw new CancelledError();
  let loaded = reuse?.loaded;
  if (!loaded) {
    unloadKept();
    send({ id, progress: 'loading weights' });
    loaded = await loadModel(graph, { backend: r.backend, signal, capture: report.seBlocks.map((b) => b.gateLayer), threads: r.threads || undefined });
    if (signal.aborted) {
      loaded.dispose();
      throw new CancelledError();
    }
    kept = { key, path: r.modelPath, loaded };
  }
  send({ id, progress: 'running' });
  const result = await excite(loaded, report, image, { preprocess: r.preprocess as never, signal, labels: labels?.labels });
  if (signal.aborted) throw new CancelledError();
  // The model stayed loaded: this result says how long loading took when it happened, not now.
  if (reuse) result.timings.load = 0;
  const [, h, w] = result.inputShape;
  const thumbnail = typeof h === 'number' && typeof w === 'number' ? modelInputThumbnail(image, w, h) : undefined;
  return { ...(result as unknown as ExciteResult), thumbnail, labelSource: labels?.source };
}

function memory(r: MemoryRequest): MemoryResult {
  const gc = r.gc ? collectGarbage() : false;
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { threadId, tensors: runtimeMemory(), process: { rss, heapTotal, heapUsed, external, arrayBuffers }, gc, busy: controllers.size - 1, keptModel: kept?.path ?? null };
}

async function debug(r: DebugRequest): Promise<DebugResult> {
  switch (r.fault) {
    case 'throw':
      throw new Error('injected fault: an exception while handling a request');
    case 'uncaught':
      setTimeout(() => {
        throw new Error('injected fault: an exception outside any request');
      }, 0);
      break;
    case 'unhandled':
      void Promise.reject(new Error('injected fault: a rejection nobody handles'));
      break;
    case 'block': {
      const end = Date.now() + (r.ms ?? 1000);
      while (Date.now() < end) {
        /* busy, like a long synchronous kernel */
      }
      break;
    }
    case 'exit':
      process.exit(r.code ?? 1);
  }
  return { fault: r.fault };
}

function handle(id: number, r: Request, signal: AbortSignal): Promise<unknown> {
  switch (r.kind) {
    case 'inspect':
      return inspect(id, r, signal);
    case 'excite':
      return oneRunAtATime(id, signal, () => run(id, r, signal));
    case 'specificity':
      // a run like any other (one model's weights at a time): the kept model is dropped first
      return oneRunAtATime(id, signal, () => {
        unloadKept();
        return specificityJob(r, signal, (text) => send({ id, progress: text }));
      });
    case 'memory':
      return Promise.resolve(memory(r));
    case 'unload':
      return oneRunAtATime(id, signal, async () => unloadKept());
    case 'debug':
      return debug(r);
  }
}

port.on('message', (m: unknown) => {
  const msg = (m && typeof m === 'object' ? m : {}) as { id?: unknown; cancel?: unknown; request?: unknown };
  if (typeof msg.id !== 'number') {
    send({ log: `worker: ignored a message without a request id: ${firstLine(JSON.stringify(m) ?? String(m)).slice(0, 200)}` });
    return;
  }
  const id = msg.id;
  if (msg.cancel === true) {
    controllers.get(id)?.abort();
    return;
  }
  if (controllers.has(id)) {
    send({ log: `worker: ignored a second request with id ${id} while the first is running` });
    return;
  }
  const ctl = new AbortController();
  controllers.set(id, ctl);
  let job: Promise<unknown>;
  try {
    job = handle(id, checkRequest(msg.request), ctl.signal);
  } catch (e) {
    job = Promise.reject(e); // a synchronous throw is answered like any other failure
  }
  job
    .then(
      (result) => send({ id, ok: true, result: result as never }),
      (err) => {
        const cancelled = ctl.signal.aborted || err instanceof CancelledError;
        send({ id, ok: false, message: cancelled ? 'cancelled' : oneLine(userMessage(err)), cancelled });
      },
    )
    .catch((e) => {
      // the result could not be posted (e.g. it cannot be cloned): still answer the request
      send({ id, ok: false, message: `unexpected error: the worker could not send its answer: ${firstLine(e)}`, cancelled: false });
    })
    .finally(() => controllers.delete(id));
});
