/**
 * A model loaded on a backend: weights read from the file and uploaded once, then run as often
 * as wanted. `predict` (outputs only) and `run` (outputs + captured node outputs) are the same
 * forward pass; capturing only keeps the asked tensors instead of disposing them.
 *
 * Inputs and results cross this boundary as plain Float32Arrays, so nothing outside src/runtime
 * touches TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelGraph, Shape } from '../graph/types.js';
import { CancelledError, RuntimeError } from '../util/errors.js';
import { currentBackend, ensureBackend, initBackend, type BackendInfo, type BackendRequest } from './backend.js';
import { CompiledGraph } from './executor.js';

/** A tensor on the host: values in row-major (NHWC) order. */
export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

export interface LoadOptions {
  /** Default: the backend already started by `initBackend`, else `auto`. */
  backend?: BackendRequest;
  signal?: AbortSignal;
  /** Run once on zeros after loading, so the first real run is at speed (wasm compiles on first use). */
  warmup?: boolean;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface RunResult {
  outputs: HostTensor[];
  /** Output 0 of each captured node, by node name. */
  captured: Map<string, HostTensor>;
  /** Milliseconds of the forward pass including reading the results back. */
  ms: number;
}

export interface LoadTimings {
  /** Starting the backend (0 when it already ran). */
  backend: number;
  /** Reading the weights from the file. */
  read: number;
  /** Preparing the kernels and uploading the weights. */
  upload: number;
  /** The warm-up run, if asked. */
  warmup?: number;
  /** All of it. */
  total: number;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export class LoadedModel {
  private constructor(
    readonly graph: ModelGraph,
    readonly backend: BackendInfo,
    private readonly compiled: CompiledGraph,
    readonly timings: LoadTimings,
  ) {}

  /** @internal use `loadModel`. */
  static async create(graph: ModelGraph, options: LoadOptions = {}): Promise<LoadedModel> {
    const t0 = performance.now();
    if (!graph.loadWeights) throw new RuntimeError(`architecture only, no weights (${graph.format}): the model cannot be run; open the .keras/.h5 or tfjs model with its weights`, graph.path);
    if (graph.inputs.length === 0) throw new RuntimeError('the model has no input', graph.path);
    // No backend asked: the one already running, else the best available.
    const backend = await initBackend(options.backend ?? currentBackend()?.name ?? 'auto');
    const tb = performance.now();
    if (options.signal?.aborted) throw new CancelledError();
    const weights = await graph.loadWeights();
    const t1 = performance.now();
    if (options.signal?.aborted) throw new CancelledError();
    const compiled = new CompiledGraph(graph, weights);
    const t2 = performance.now();
    const model = new LoadedModel(graph, backend, compiled, { backend: tb - t0, read: t1 - tb, upload: t2 - t1, total: t2 - t0 });
    if (options.warmup) {
      try {
        const shape = model.concreteInputShape();
        await model.predict({ data: new Float32Array(size(shape)), shape }, { signal: options.signal });
      } catch (e) {
        model.dispose();
        throw e;
      }
      model.timings.warmup = performance.now() - t2;
      model.timings.total = performance.now() - t0;
    }
    return model;
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
  async predict(input: HostTensor, options: RunOptions = {}): Promise<{ outputs: HostTensor[]; ms: number }> {
    const { outputs, ms } = await this.run(input, options);
    return { outputs, ms };
  }

  /** Outputs and the outputs of the `capture` nodes, from the same forward pass. */
  async run(input: HostTensor, options: RunOptions & { capture?: readonly string[] } = {}): Promise<RunResult> {
    if (this.compiled.isDisposed) throw new RuntimeError('the model was unloaded (disposed)');
    this.checkInput(input);
    await ensureBackend(this.backend.name);
    const t0 = performance.now();
    const x = tf.tensor(input.data, input.shape, 'float32');
    let result: Awaited<ReturnType<CompiledGraph['execute']>> | undefined;
    try {
      result = await this.compiled.execute([x], { keep: options.capture, signal: options.signal, onProgress: options.onProgress });
      const read = async (t: tf.Tensor): Promise<HostTensor> => ({ data: (await t.data()) as Float32Array, shape: [...t.shape] });
      const outputs = await Promise.all(result.outputs.map(read));
      const captured = new Map<string, HostTensor>();
      for (const [name, t] of result.kept) captured.set(name, await read(t));
      return { outputs, captured, ms: performance.now() - t0 };
    } finally {
      if (result) {
        for (const t of result.outputs) if (t !== x) t.dispose();
        for (const t of result.kept.values()) if (t !== x) t.dispose();
      }
      x.dispose();
    }
  }

  private checkInput(input: HostTensor): void {
    if (this.graph.inputs.length !== 1) throw new RuntimeError(`model has ${this.graph.inputs.length} inputs; runs take one input tensor`);
    const declared = this.graph.declaredInputShape;
    const { shape, data } = input;
    const fmt = (s: readonly (number | null)[]) => `[${s.map((d) => (d === null ? 'any' : d)).join(', ')}]`;
    if (!(data instanceof Float32Array)) throw new RuntimeError('the input must be a Float32Array');
    if (size(shape) !== data.length) throw new RuntimeError(`the input holds ${data.length} values, but its shape ${fmt(shape)} needs ${size(shape)}`);
    if (shape.length !== declared.length || declared.some((d, i) => d !== null && i > 0 && d !== shape[i]))
      throw new RuntimeError(`the input has shape ${fmt(shape)}, but the model takes ${fmt(declared)}`);
  }

  /** Frees the uploaded weights. */
  dispose(): void {
    this.compiled.dispose();
  }

  get isDisposed(): boolean {
    return this.compiled.isDisposed;
  }

  /** Bytes of weights held on the backend. */
  get weightBytes(): number {
    return this.compiled.weightBytes;
  }
}

/** Reads the weights of `graph` and uploads them to the backend (started if needed). */
export function loadModel(graph: ModelGraph, options: LoadOptions = {}): Promise<LoadedModel> {
  return LoadedModel.create(graph, options);
}

/** Tensors and bytes alive on the backend (for leak checks). */
export function runtimeMemory(): { numTensors: number; numBytes: number } {
  if (!currentBackend()) return { numTensors: 0, numBytes: 0 }; // tf.memory() throws before a backend runs
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}
