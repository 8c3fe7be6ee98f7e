/**
 * The `graph-model` engine: TensorFlow.js graph models run on tfjs-converter's own GraphModel, the
 * executor their files are written for (every op TF.js has, control flow, its own weight decoding),
 * on the TF.js backend already started (backend.ts).
 *
 * Captured nodes (the SE gates) are asked for by name next to the graph outputs, so they come from
 * the same forward pass. Graphs with control flow or dynamic shapes (Switch/Merge, while loops,
 * NonMaxSuppression, Where) need `executeAsync`; the others run through `execute`, the same pass
 * synchronously (executeAsync would print a warning to use execute on them).
 *
 * Every tensor a run creates lives in one engine scope that is closed when the run ends, failed
 * or not: tfjs-converter frees nothing of a run that throws. This relies on what the worker and the
 * CLI already do: one model run at a time per thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GraphModel } from '@tensorflow/tfjs-converter';
import type { ModelGraph } from '../graph/types.js';
import { CancelledError, RuntimeError } from '../util/errors.js';
import type { BackendInfo } from './backend.js';
import type { ComputeInfo, Engine, EngineLoadOptions, EngineRunOptions, EngineRunResult, HostTensor, InputTensor } from './engine.js';
import { readHost } from './layersEngine.js';
import { tfjsOpCategory } from './tfjsOps.js';

/** Op categories of tfjs-converter that only its async executor runs. */
const ASYNC_CATEGORIES = new Set(['control', 'dynamic', 'hash_table']);

type Json = Record<string, any>;
const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** Every op of the GraphDef, including those of its function library (tf.cond / tf.while bodies). */
export function graphDefOps(topology: unknown): string[] {
  const t = (topology ?? {}) as Json;
  const nodes: Json[] = [...(Array.isArray(t.node) ? t.node : [])];
  for (const f of Array.isArray(t.library?.function) ? t.library.function : []) if (Array.isArray(f?.nodeDef)) nodes.push(...f.nodeDef);
  return nodes.map((n) => String(n?.op ?? ''));
}

export async function loadGraphModelEngine(graph: ModelGraph, backend: BackendInfo, options: EngineLoadOptions): Promise<Engine> {
  if (!graph.loadGraphModel) throw new RuntimeError(`the ${graph.format} reader gives no graph-model files; the graph-model engine cannot run it`, graph.path);
  const artifacts = await graph.loadGraphModel();
  if (options.signal?.aborted) throw new CancelledError();
  const model = new GraphModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
  try {
    await model.load();
  } catch (e) {
    model.dispose();
    throw new RuntimeError(`tfjs-converter cannot load this graph model: ${firstLine(e)}`, graph.path);
  }
  const async = graphDefOps(artifacts.modelTopology).some((op) => ASYNC_CATEGORIES.has(tfjsOpCategory(op) ?? ''));
  let bytes = 0;
  for (const list of Object.values(model.weights)) for (const t of list) bytes += t.size * (t.dtype === 'float32' || t.dtype === 'int32' ? 4 : 1);
  const info: ComputeInfo = { engine: 'graph-model', backend: backend.name, threads: 1, reason: `TF.js graph model on tfjs-converter's GraphModel${async ? ' (control flow: executeAsync)' : ''}; ${backend.reason}` };
  return new GraphModelEngine(graph, model, async, bytes, info);
}

class GraphModelEngine implements Engine {
  private disposed = false;

  constructor(
    private readonly graph: ModelGraph,
    private readonly model: GraphModel,
    private readonly async: boolean,
    readonly weightBytes: number,
    readonly info: ComputeInfo,
  ) {}

  async run(inputs: ReadonlyMap<string, InputTensor>, options: EngineRunOptions = {}): Promise<EngineRunResult> {
    if (this.disposed) throw new RuntimeError('the model was unloaded (disposed)', this.graph.path);
    if (options.signal?.aborted) throw new CancelledError();
    const outputNames = this.graph.outputs.map((o) => `${o.node}:${o.output}`);
    const capture = [...new Set(options.capture ?? [])];
    const names = [...outputNames, ...capture.map((n) => `${n}:0`)];
    options.onProgress?.(0, 1);
    tf.engine().startScope();
    try {
      const feeds: tf.NamedTensorMap = {};
      for (const name of this.graph.inputs) {
        const t = inputs.get(name);
        if (!t) throw new RuntimeError(`no tensor given for input '${name}'`, this.graph.path);
        feeds[name] = tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? 'int32' : 'float32');
      }
      let result: tf.Tensor | tf.Tensor[];
      try {
        result = this.async ? await this.model.executeAsync(feeds, names) : this.model.execute(feeds, names);
      } catch (e) {
        throw new RuntimeError(`TF.js could not run the graph model: ${firstLine(e)}`, this.graph.path);
      }
      const list = Array.isArray(result) ? result : [result];
      const host: HostTensor[] = [];
      for (let i = 0; i < names.length; i++) {
        // A node on a branch not taken (tf.cond) or inside a loop body has no value after the run.
        if (!list[i]) throw new RuntimeError(`node '${names[i].replace(/:0$/, '')}' has no value after the run (a branch not taken, or inside a loop)`, this.graph.path);
        host.push(await readHost(list[i]));
      }
      if (options.signal?.aborted) throw new CancelledError();
      options.onProgress?.(1, 1);
      return { outputs: host.slice(0, outputNames.length), captured: new Map(capture.map((n, i) => [n, host[outputNames.length + i]])) };
    } finally {
      tf.engine().endScope();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}
