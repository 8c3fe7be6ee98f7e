/**
 * A model loaded on an engine: weights read from the file and uploaded once, then run as often
 * as wanted. `predict` (outputs only) and `run` (outputs + captured node outputs) are the same
 * forward pass; capturing only keeps the asked tensors.
 *
 * The engine (engine.ts) is chosen here, at load time, and reported with the reason in
 * `backend`; callers never know which one ran. Inputs and results cross this boundary as plain
 * typed arrays, so nothing outside src/runtime touches TensorFlow.js or onnxruntime.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelGraph, Shape } from '../graph/types.js';
import { CancelledError, RuntimeError } from '../util/errors.js';
import { currentBackend, ensureBackend, initBackend, type BackendInfo, type BackendName, type BackendRequest } from './backend.js';
import type { ComputeInfo, Engine, EngineLoadOptions, EngineName, HostTensor, InputTensor } from './engine.js';
import { loadGraphModelEngine } from './graphModelEngine.js';
import { checkInputValues, defaultsHint, feedDtype, feedsWithDefaults, imageInputSpec, zeroImage, type InputUse, type InputValues } from './inputs.js';
import { loadLayersEngine } from './layersEngine.js';
import { defaultThreads, loadOnnxEngine, onnxUnavailable, unsupportedForOnnx } from './onnx/onnxEngine.js';

export type { HostTensor, InputTensor } from './engine.js';
export type { InputUse, InputValues } from './inputs.js';

export interface LoadOptions {
  /** Default: the backend already started by `initBackend`, else `auto`. */
  backend?: BackendRequest;
  signal?: AbortSignal;
  /** Run once on zeros after loading, so the first real run is at speed (wasm compiles on first use). */
  warmup?: boolean;
  /** Values for non-image inputs (`--input NAME=VALUE`), used by every run; others get zeros (inputs.ts). */
  inputs?: InputValues;
  /** Nodes the runs will capture (the SE gates): the onnx engine builds its session with them as outputs. */
  capture?: readonly string[];
  /** Threads of one run for engines that use several (onnx); default: the cores available. */
  threads?: number;
  /** Runs will hold layers at given values (`overrideGates`): only engines that can are chosen. */
  overrides?: boolean;
}

/**
 * The TF.js engine for a graph, in one place: TF.js graph models run on tfjs-converter's GraphModel
 * (every op TF.js has, control flow); Keras and tfjs-layers graphs on our executor (Keras to 1e-6).
 * (onnx, when it can run the graph, comes first: `startEngine`.)
 */
export function chooseEngine(graph: ModelGraph): EngineName {
  return graph.format === 'tfjs-graph' && graph.loadGraphModel ? 'graph-model' : 'layers';
}

function loadTfjsEngine(graph: ModelGraph, backend: BackendInfo, options: EngineLoadOptions): Promise<Engine> {
  switch (chooseEngine(graph)) {
    case 'graph-model':
      return loadGraphModelEngine(graph, backend, options);
    default:
      return loadLayersEngine(graph, backend, options);
  }
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /**
   * Layer names whose output is replaced by these values in every example of the batch, e.g. an SE
   * gate held at its mean (`ablate`). Only engines that can (the `layers` engine) accept it.
   */
  overrideGates?: ReadonlyMap<string, Float32Array>;
}

export interface RunResult {
  outputs: HostTensor[];
  /** Output 0 of each captured node, by node name. */
  captured: Map<string, HostTensor>;
  /** Milliseconds of the forward pass including reading the results back. */
  ms: number;
  /** What each model input got, in `graph.inputs` order. */
  inputs: InputUse[];
}

export interface LoadTimings {
  /** Starting the backend (0 when it already ran). */
  backend: number;
  /** Reading the weights and preparing the engine (kernels, uploads, sessions). */
  read: number;
  /** Kept for reports that split reading from uploading; engines that do both at once report 0. */
  upload: number;
  /** The warm-up run, if asked. */
  warmup?: number;
  /** All of it. */
  total: number;
}

/** One tensor for the single input, or one per input name. */
export type Feeds = InputTensor | ReadonlyMap<string, InputTensor>;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const isMap = (f: Feeds): f is ReadonlyMap<string, InputTensor> => f instanceof Map;

export class LoadedModel {
  private constructor(
    readonly graph: ModelGraph,
    private readonly engine: Engine,
    private readonly tfBackend: BackendInfo | undefined,
    readonly timings: LoadTimings,
    /** Values of non-image inputs given at load time. */
    readonly inputValues: InputValues = {},
  ) {}

  /** @internal use `loadModel`. */
  static async create(graph: ModelGraph, options: LoadOptions = {}): Promise<LoadedModel> {
    const t0 = performance.now();
    if (!graph.loadWeights) throw new RuntimeError(`architecture only, no weights (${graph.format}): the model cannot be run; open the .keras/.h5 or tfjs model with its weights`, graph.path);
    if (graph.inputs.length === 0) throw new RuntimeError('the model has no input', graph.path);
    checkInputValues(graph, options.inputs ?? {});
    // No backend asked: the one already running, else the best available.
    const { engine, tfBackend, startMs } = await startEngine(graph, options.backend ?? currentBackend()?.name ?? 'auto', options);
    const t1 = performance.now();
    const model = new LoadedModel(graph, engine, tfBackend, { backend: startMs, read: t1 - t0 - startMs, upload: 0, total: t1 - t0 }, { ...options.inputs });
    if (options.warmup) {
      try {
        await model.predict(model.zeroImage(), { signal: options.signal });
      } catch (e) {
        model.dispose();
        throw e;
      }
      model.timings.warmup = performance.now() - t1;
      model.timings.total = performance.now() - t0;
    }
    return model;
  }

  /** What computes and why (engine, backend, threads, reason). */
  get compute(): ComputeInfo {
    return this.engine.info;
  }

  /** The backend in use and why, as reports show it. */
  get backend(): { name: string; reason: string } {
    return { name: this.engine.info.backend, reason: this.engine.info.reason };
  }

  /** A zero image of the image input's size and dtype (warm-ups, shapes by execution). */
  zeroImage(): InputTensor {
    return zeroImage(this.graph);
  }

  /** The input shape the graph was analysed with (open sizes filled), batch 1. */
  concreteInputShape(): number[] {
    const s = this.graph.inputShape;
    if (s.slice(1).some((d) => d === null)) throw new RuntimeError(`the model's input shape ${JSON.stringify(s)} has open dimensions; give an input tensor`);
    return [1, ...(s.slice(1) as number[])];
  }

  /** The input shape the file declares (null = any). */
  get declaredInputShape(): Shape {
    return this.graph.declaredInputShape;
  }

  /** Outputs only. */
  async predict(input: Feeds, options: RunOptions = {}): Promise<{ outputs: HostTensor[]; ms: number }> {
    const { outputs, ms } = await this.run(input, options);
    return { outputs, ms };
  }

  /** Outputs and the outputs of the `capture` nodes, from the same forward pass. */
  async run(input: Feeds, options: RunOptions & { capture?: readonly string[] } = {}): Promise<RunResult> {
    if (this.engine.isDisposed) throw new RuntimeError('the model was unloaded (disposed)');
    const { feeds, uses } = this.feeds(input);
    const overrides = options.overrideGates?.size ? options.overrideGates : undefined;
    if (overrides && !this.engine.overrides) throw new RuntimeError(`the '${this.engine.info.engine}' engine cannot replace a layer's output (overrideGates); load the model on the layers engine`, this.graph.path);
    if (this.tfBackend) await ensureBackend(this.tfBackend.name);
    const t0 = performance.now();
    let result;
    try {
      result = await this.engine.run(feeds, { capture: options.capture, signal: options.signal, onProgress: options.onProgress, overrides });
    } catch (e) {
      if (e instanceof RuntimeError && defaultsHint(uses)) throw new RuntimeError(`${e.file ? e.message.slice(e.file.length + 2) : e.message}${defaultsHint(uses)}`, e.file);
      throw e;
    }
    const { outputs, captured } = result;
    return { outputs, captured, ms: performance.now() - t0, inputs: uses };
  }

  /**
   * One tensor per graph input. A single tensor goes to the image input and every other input
   * gets its default (inputs.ts); a map must name every input. The image tensor is checked
   * against the declared shape.
   */
  private feeds(input: Feeds): { feeds: Map<string, InputTensor>; uses: InputUse[] } {
    const image = imageInputSpec(this.graph);
    if (!isMap(input)) {
      this.checkInput(input, this.graph.declaredInputShape);
      if (feedDtype(this.graph, image) === 'int32' && !(input.data instanceof Int32Array))
        throw new RuntimeError(`the image input '${image.name}' takes integer pixels (${image.dtype}): give an Int32Array`, this.graph.path);
      return feedsWithDefaults(this.graph, input, this.inputValues);
    }
    for (const name of this.graph.inputs) if (!input.has(name)) throw new RuntimeError(`no tensor given for input '${name}'`, this.graph.path);
    this.checkInput(input.get(image.name)!, this.graph.declaredInputShape);
    const uses = this.graph.inputs.map((name): InputUse => {
      const t = input.get(name)!;
      return { name, shape: [...t.shape], dtype: t.data instanceof Int32Array ? 'int32' : 'float32', value: name === image.name ? 'image' : 'tensor' };
    });
    return { feeds: new Map(input), uses };
  }

  private checkInput(input: InputTensor, declared: Shape): void {
    const { shape, data } = input;
    const fmt = (s: readonly (number | null)[]) => `[${s.map((d) => (d === null ? 'any' : d)).join(', ')}]`;
    if (!(data instanceof Float32Array) && !(data instanceof Int32Array)) throw new RuntimeError('the input must be a Float32Array or Int32Array');
    if (size(shape) !== data.length) throw new RuntimeError(`the input holds ${data.length} values, but its shape ${fmt(shape)} needs ${size(shape)}`);
    if (shape.length !== declared.length || declared.some((d, i) => d !== null && i > 0 && d !== shape[i]))
      throw new RuntimeError(`the input has shape ${fmt(shape)}, but the model takes ${fmt(declared)}`);
  }

  /** Frees the uploaded weights. */
  dispose(): void {
    this.engine.dispose();
  }

  get isDisposed(): boolean {
    return this.engine.isDisposed;
  }

  /** Bytes of weights held by the engine. */
  get weightBytes(): number {
    return this.engine.weightBytes;
  }
}

/**
 * The one place an engine is chosen. `onnx` (asked, or first for `auto`) when every node the
 * graph needs converts and onnxruntime-node loads; else the layers engine on a TensorFlow.js
 * backend, with why onnx was not taken in the reason. An explicit `onnx` that cannot run is a
 * RuntimeError naming the node.
 */
async function startEngine(graph: ModelGraph, requested: BackendRequest, options: LoadOptions): Promise<{ engine: Engine; tfBackend?: BackendInfo; startMs: number }> {
  let notOnnx: string | undefined;
  if (requested === 'onnx' || requested === 'auto') {
    // onnxruntime cannot replace a node's output between runs: ablation runs stay on TF.js.
    notOnnx = (options.overrides ? 'runs that hold gates at given values (ablate) need the layers engine' : undefined) ?? unsupportedForOnnx(graph, options.capture) ?? (await onnxUnavailable());
    if (requested === 'onnx' && notOnnx) throw new RuntimeError(`backend 'onnx' cannot run this model: ${notOnnx}`, graph.path);
    if (!notOnnx) {
      const threads = options.threads ?? defaultThreads();
      const reason = `${requested === 'auto' ? 'auto' : 'requested'}: onnx (onnxruntime-node, CPU, ${threads} thread${threads === 1 ? '' : 's'})`;
      try {
        return { engine: await loadOnnxEngine(graph, { signal: options.signal, capture: options.capture, threads, reason }), startMs: 0 };
      } catch (e) {
        if (requested === 'onnx' || !(e instanceof RuntimeError)) throw e;
        notOnnx = e.message; // a conversion onnxruntime refused: said in the reason, run on TF.js
      }
    }
  }
  const t0 = performance.now();
  const tf = await initBackend(requested as 'auto' | BackendName);
  const startMs = performance.now() - t0;
  if (options.signal?.aborted) throw new CancelledError();
  const backend = notOnnx ? { ...tf, reason: `${tf.reason}; not onnx: ${notOnnx}` } : tf;
  return { engine: await loadTfjsEngine(graph, backend, { signal: options.signal }), tfBackend: tf, startMs };
}

/** Reads the weights of `graph` and loads them on an engine (backend started if needed). */
export function loadModel(graph: ModelGraph, options: LoadOptions = {}): Promise<LoadedModel> {
  return LoadedModel.create(graph, options);
}

/** Tensors and bytes alive on the TensorFlow.js backend (for leak checks). */
export function runtimeMemory(): { numTensors: number; numBytes: number } {
  if (!currentBackend()) return { numTensors: 0, numBytes: 0 }; // tf.memory() throws before a backend runs
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}
