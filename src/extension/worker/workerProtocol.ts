/** Messages between the extension host and its worker thread (dist/worker.cjs). Types only. */
import type { InspectReport } from '../../analysis/report.js';
import type { BackendRequest } from '../../runtime/backendNames.js';
import type { SpecificityRun } from '../../protocol/messages.js';

export interface InspectRequest {
  kind: 'inspect';
  path: string;
  ratios: number[];
}
export interface ExciteRequest {
  kind: 'excite';
  modelPath: string;
  imagePath: string;
  ratios: number[];
  backend: BackendRequest;
  preprocess: string;
  /** A labels file (the seInspector.labels setting), else the model's metadata or ImageNet's. */
  labels?: string;
  /** Threads of one run (onnx); absent or 0: the cores available. */
  threads?: number;
}
/**
 * Drops the model the worker keeps loaded between runs (queued behind the runs, like one). The
 * worker keeps the last model run (same file, size, mtime, backend and threads) so that the next
 * image on it starts running at once.
 */
export interface UnloadRequest {
  kind: 'unload';
}
export interface UnloadResult {
  /** The model file that was kept loaded, if any. */
  unloaded: string | null;
}
/** The worker's memory, for leak checks and diagnostics. Answered at once (not queued behind runs). */
export interface MemoryRequest {
  kind: 'memory';
  /** Run a full garbage collection of the worker's heap before measuring (slower; for tests). */
  gc?: boolean;
}
/**
 * Fault injection, for tests of the worker's and the client's error paths. The worker only
 * honours it when started with `debugRequests` (see WorkerClientOptions); otherwise it is refused.
 */
export interface DebugRequest {
  kind: 'debug';
  /**
   * throw: a synchronous exception while handling the request (answered as an unexpected error);
   * uncaught: an exception thrown outside any request (a timer), the request itself succeeds;
   * unhandled: a promise rejection nobody handles, the request itself succeeds;
   * block: keeps the thread busy for `ms` without a turn of the event loop (a stuck kernel);
   * exit: the worker thread exits with code `code`.
   */
  fault: 'throw' | 'uncaught' | 'unhandled' | 'block' | 'exit';
  ms?: number;
  code?: number;
}
/** Class specificity and ablation of a class folder (one subfolder per class): see specificityJob.ts. */
export interface SpecificityRequest {
  kind: 'specificity';
  modelPath: string;
  folder: string;
  ratios: number[];
  backend: BackendRequest;
  preprocess: string;
  threads?: number;
}
export type SpecificityResult = Omit<SpecificityRun, 'modelPath' | 'folder'>;
export type Request = SpecificityRequest | InspectRequest | ExciteRequest | MemoryRequest | UnloadRequest | DebugRequest;

export interface InspectResult {
  report: InspectReport;
  /** Where each node's name string (quotes included) is in the model's JSON text: character offsets, for reveal. */
  sources: Record<string, { start: number; end: number }>;
  /** The graph's edges by index into report.layers (graph.nodes order): [from, to], `to` reads `from`. */
  edges: [number, number][];
}

/** The runtime's result, as it crosses the thread boundary (structured clone keeps NaN). */
export interface ExciteResult {
  backend: string;
  backendReason: string;
  preprocess: string;
  inputShape: (number | null)[];
  blocks: { name: string; gateLayer: string; channels: number; excitation: number[]; stats: { min: number; mean: number; max: number; std: number }; nonFinite: number }[];
  output: { shape: (number | null)[]; top5: { index: number; value: number; label?: string }[] };
  timings: { load: number; run: number };
  /** The image as the model saw it: a small PNG data URL. */
  thumbnail?: string;
  /** Where the top-5 labels come from, when there are any. */
  labelSource?: string;
}

export interface MemoryResult {
  /** The worker thread's id: it changes when the client had to start a new worker. */
  threadId: number;
  /** TensorFlow.js tensors alive in the worker (the runtime's `runtimeMemory()`, i.e. `tf.memory()`). */
  tensors: { numTensors: number; numBytes: number };
  /** `process.memoryUsage()` inside the worker: heap figures are the worker's own isolate; rss is the whole process. */
  process: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
  /** Whether a full garbage collection ran just before measuring. */
  gc: boolean;
  /** Requests being handled or waiting in the worker, this one excluded. */
  busy: number;
  /** The model file kept loaded for the next run, if any (its weights are in `tensors` on TF.js backends). */
  keptModel: string | null;
}

export interface DebugResult {
  fault: DebugRequest['fault'];
}

export type ResultOf<R extends Request> = R extends SpecificityRequest
  ? SpecificityResult
  : R extends InspectRequest
  ? InspectResult
  : R extends ExciteRequest
    ? ExciteResult
    : R extends MemoryRequest
      ? MemoryResult
      : R extends UnloadRequest
        ? UnloadResult
        : DebugResult;

/** What the worker is started with (`workerData`). */
export interface WorkerData {
  /** Honour `debug` requests (fault injection, for tests only). */
  debugRequests?: boolean;
}

export type ToWorker = { id: number; request: Request } | { id: number; cancel: true };
export type FromWorker =
  | { id: number; ok: true; result: SpecificityResult | InspectResult | ExciteResult | MemoryResult | UnloadResult | DebugResult }
  | { id: number; ok: false; message: string; cancelled: boolean }
  /** A progress line for the notification. */
  | { id: number; progress: string }
  /** Something for the log that belongs to no request (an exception outside any request, a malformed message). */
  | { log: string };
