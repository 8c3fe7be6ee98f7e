/**
 * The `layers` engine: our node-by-node executor (executor.ts) on the running TensorFlow.js
 * backend, for graphs read from Keras and tfjs-layers files.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelGraph } from '../graph/types.js';
import { CancelledError, RuntimeError } from '../util/errors.js';
import type { BackendInfo } from './backend.js';
import type { ComputeInfo, Engine, EngineLoadOptions, EngineRunOptions, EngineRunResult, HostTensor, InputTensor } from './engine.js';
import { CompiledGraph } from './executor.js';

export async function loadLayersEngine(graph: ModelGraph, backend: BackendInfo, options: EngineLoadOptions): Promise<Engine> {
  if (!graph.loadWeights) throw new RuntimeError(`architecture only, no weights (${graph.format}): the model cannot be run; open the .keras/.h5 or tfjs model with its weights`, graph.path);
  const weights = await graph.loadWeights();
  if (options.signal?.aborted) throw new CancelledError();
  const compiled = new CompiledGraph(graph, weights);
  return new LayersEngine(graph, compiled, { engine: 'layers', backend: backend.name, threads: 1, reason: backend.reason });
}

/** Reads a tensor back as float32 (int outputs are converted; float32 ones are not copied). */
export async function readHost(t: tf.Tensor): Promise<HostTensor> {
  const d = await t.data();
  return { data: d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>), shape: [...t.shape] };
}

class LayersEngine implements Engine {
  readonly overrides = true;

  constructor(
    private readonly graph: ModelGraph,
    private readonly compiled: CompiledGraph,
    readonly info: ComputeInfo,
  ) {}

  async run(inputs: ReadonlyMap<string, InputTensor>, options: EngineRunOptions = {}): Promise<EngineRunResult> {
    const feeds = this.graph.inputs.map((name) => {
      const t = inputs.get(name);
      if (!t) throw new RuntimeError(`no tensor given for input '${name}'`, this.graph.path);
      return tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? 'int32' : 'float32');
    });
    let result: Awaited<ReturnType<CompiledGraph['execute']>> | undefined;
    try {
      result = await this.compiled.execute(feeds, { keep: options.capture, signal: options.signal, onProgress: options.onProgress, overrides: options.overrides });
      const outputs = await Promise.all(result.outputs.map(readHost));
      const captured = new Map<string, HostTensor>();
      for (const [name, t] of result.kept) captured.set(name, await readHost(t));
      return { outputs, captured };
    } finally {
      const feedSet = new Set(feeds);
      if (result) {
        for (const t of result.outputs) if (!feedSet.has(t)) t.dispose();
        for (const t of result.kept.values()) if (!feedSet.has(t)) t.dispose();
      }
      for (const t of feeds) t.dispose();
    }
  }

  dispose(): void {
    this.compiled.dispose();
  }

  get isDisposed(): boolean {
    return this.compiled.isDisposed;
  }

  get weightBytes(): number {
    return this.compiled.weightBytes;
  }
}
