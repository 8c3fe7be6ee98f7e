/**
 * The `onnx` engine: the ModelGraph converted to ONNX in memory (toOnnx.ts) and run by
 * onnxruntime-node on its CPU execution provider, graph optimisations on, on `threads` threads.
 *
 * - The captured nodes (the SE gates) are extra outputs of the same session, so a capturing run
 *   is the same forward pass. A session built for a set of captures serves every run that asks
 *   for a part of it; a run that asks for more builds the session again (weights read again).
 * - onnxruntime-node is loaded on first use; where its native binary does not load (a platform
 *   it has none for), `onnxUnavailable` says why and `auto` goes on to TensorFlow.js.
 * - `run` blocks its thread for the whole forward pass (onnxruntime's run is synchronous):
 *   run it in a worker thread, never on a UI thread.
 */
import { availableParallelism } from 'node:os';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ModelGraph, WeightStore } from '../../graph/types.js';
import { CancelledError, RuntimeError } from '../../util/errors.js';
import type { ComputeInfo, Engine, EngineLoadOptions, EngineRunOptions, EngineRunResult, HostTensor, InputTensor } from '../engine.js';
import { encodeModel } from './onnxProto.js';
import { convertToOnnx, unsupportedForOnnx } from './toOnnx.js';
import { collectGarbage } from '../../util/gc.js';
import { memorySink, tempModelFolder } from './weightSink.js';

type Ort = typeof import('onnxruntime-node');

let ort: Ort | undefined;
let loadFailure: string | undefined;

/** Loads onnxruntime-node once; returns why it cannot load, or undefined. */
export async function onnxUnavailable(): Promise<string | undefined> {
  if (ort) return undefined;
  if (loadFailure) return loadFailure;
  try {
    const m = (await import('onnxruntime-node')) as Ort & { default?: Ort };
    ort = m.InferenceSession ? m : m.default;
    if (!ort?.InferenceSession) throw new Error('the module has no InferenceSession');
    return undefined;
  } catch (e) {
    loadFailure = `onnxruntime-node does not load here (${process.platform}-${process.arch}): ${String((e as Error)?.message ?? e).split('\n')[0]}`;
    return loadFailure;
  }
}

/** The threads a run uses by default: the cores this process may use. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

export { unsupportedForOnnx };

interface Built {
  session: InferenceSession;
  captures: Set<string>;
  outputNames: string[];
  captureNames: Map<string, string>;
  weightBytes: number;
}

async function build(graph: ModelGraph, capture: readonly string[], threads: number, signal?: AbortSignal): Promise<Built> {
  if (!ort) throw new RuntimeError(`backend 'onnx' is not available: ${loadFailure ?? 'onnxruntime-node was not loaded'}`);
  if (!graph.loadWeights) throw new RuntimeError(`architecture only, no weights (${graph.format}): the model cannot be run; open the .keras/.h5 or tfjs model with its weights`, graph.path);
  let weights: WeightStore | undefined = await graph.loadWeights();
  if (signal?.aborted) throw new CancelledError();
  const folder = tempModelFolder();
  const inMemory = folder ? undefined : memorySink();
  try {
    const converted = convertToOnnx(graph, weights, folder ?? inMemory!, capture);
    weights = undefined;
    if (folder) collectGarbage(); // the weights read and rewritten so far are garbage: free them before onnxruntime reads its copy
    if (signal?.aborted) throw new CancelledError();
    const { outputNames, captureNames, weightBytes } = converted;
    const bytes = encodeModel(converted.graph, 'se-inspector');
    const options: InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      logSeverityLevel: 3,
      // Threads sleep between parallel sections instead of spinning. Measured on this 2-vCPU VM
      // shared with other work, SE-ResNet-50 on 2 threads: spinning 330 ms fastest / 481 median,
      // not spinning 182 / 322 (a spinning thread that is descheduled stalls the others); and an
      // editor's worker should not burn a core after each run.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
    let session: InferenceSession;
    try {
      session = folder ? await ort.InferenceSession.create(folder.finish(bytes), options) : await ort.InferenceSession.create(bytes, { ...options, externalData: inMemory!.files });
    } catch (e) {
      throw new RuntimeError(`onnxruntime could not load the converted model: ${String((e as Error)?.message ?? e).split('\n')[0]}`, graph.path);
    }
    return { session, captures: new Set(capture), outputNames, captureNames, weightBytes };
  } finally {
    folder?.remove();
  }
}

export async function loadOnnxEngine(graph: ModelGraph, options: EngineLoadOptions & { capture?: readonly string[]; reason: string }): Promise<Engine> {
  const why = await onnxUnavailable();
  if (why) throw new RuntimeError(`backend 'onnx' is not available: ${why}`);
  const threads = options.threads ?? defaultThreads();
  const built = await build(graph, [...new Set(options.capture ?? [])], threads, options.signal);
  return new OnnxEngine(graph, built, threads, { engine: 'onnx', backend: 'onnx', threads, reason: options.reason });
}

class OnnxEngine implements Engine {
  private disposed = false;
  private readonly nodeNames: Set<string>;

  constructor(
    private readonly graph: ModelGraph,
    private built: Built,
    private readonly threads: number,
    readonly info: ComputeInfo,
  ) {
    this.nodeNames = new Set(graph.nodes.map((n) => n.name));
  }

  async run(inputs: ReadonlyMap<string, InputTensor>, options: EngineRunOptions = {}): Promise<EngineRunResult> {
    if (this.disposed) throw new RuntimeError('the model was unloaded (disposed)');
    const capture = [...new Set(options.capture ?? [])];
    for (const name of capture) if (!this.nodeNames.has(name)) throw new RuntimeError(`the model's layer to capture '${name}' is not a node of the graph`);
    if (capture.some((c) => !this.built.captures.has(c))) {
      // A capture this session does not output: build it again with both sets.
      const next = await build(this.graph, [...new Set([...this.built.captures, ...capture])], this.threads, options.signal);
      void this.built.session.release();
      this.built = next;
    }
    if (options.signal?.aborted) throw new CancelledError();
    const { session, outputNames, captureNames } = this.built;
    const feeds: Record<string, Tensor> = {};
    this.graph.inputs.forEach((name, i) => {
      const t = inputs.get(name);
      if (!t) throw new RuntimeError(`no tensor given for input '${name}'`, this.graph.path);
      const int = this.graph.inputSpecs[i]?.dtype === 'int32';
      const data = int ? (t.data instanceof Int32Array ? t.data : Int32Array.from(t.data)) : t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
      feeds[name] = new ort!.Tensor(int ? 'int32' : 'float32', data, t.shape);
    });
    const fetches = [...outputNames, ...capture.map((c) => captureNames.get(c)!)];
    let results: InferenceSession.ReturnType;
    try {
      results = await session.run(feeds, fetches);
    } catch (e) {
      throw new RuntimeError(`onnxruntime failed to run the model: ${String((e as Error)?.message ?? e).split('\n')[0]}`, this.graph.path);
    }
    const host = (name: string): HostTensor => {
      const t = results[name];
      const d = t.data;
      return { data: d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>), shape: [...t.dims] };
    };
    const outputs = outputNames.map(host);
    const captured = new Map(capture.map((c) => [c, host(captureNames.get(c)!)]));
    options.onProgress?.(1, 1);
    return { outputs, captured };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.built.session.release();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  get weightBytes(): number {
    return this.built.weightBytes;
  }
}
