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
import { CancelledError, InspectorError, RuntimeError } from '../util/errors.js';
import type { BackendInfo } from './backend.js';
import type { ComputeInfo, Engine, EngineLoadOptions, EngineRunOptions, EngineRunResult, HostTensor, InputTensor } from './engine.js';
import { readHost } from './layersEngine.js';
import { tfjsOpCategory } from '../graph/tfjsOps.js';

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

/**
 * tfjs-converter warns on the console when the nodes asked of executeAsync happen to need no control
 * flow (shapes by execution asks for parts of a graph); that advice is for its callers' code, not a
 * user, so this one message is kept off the console while it runs.
 */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('This model execution did not contain any nodes with control flow')) warn(...args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

export async function loadGraphModelEngine(graph: ModelGraph, backend: BackendInfo, options: EngineLoadOptions): Promise<GraphModelEngine> {
  if (!graph.loadGraphModel) throw new RuntimeError(`the ${graph.format} reader gives no graph-model files; the graph-model engine cannot run it`, graph.path);
  const artifacts = await graph.loadGraphModel();
  if (options.signal?.aborted) throw new CancelledError();
  const model = new GraphModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
  try {
    await model.load();
  } catch (e) {
    try {
      model.dispose();
    } catch {
      /* nothing was loaded */
    }
    throw new RuntimeError(`tfjs-converter cannot load this graph model: ${firstLine(e)}`, graph.path);
  }
  const async = graphDefOps(artifacts.modelTopology).some((op) => ASYNC_CATEGORIES.has(tfjsOpCategory(op) ?? ''));
  let bytes = 0;
  for (const list of Object.values(model.weights)) for (const t of list) bytes += t.size * (t.dtype === 'float32' || t.dtype === 'int32' ? 4 : 1);
  const info: ComputeInfo = { engine: 'graph-model', backend: backend.name, threads: 1, reason: `TF.js graph model on tfjs-converter's GraphModel${async ? ' (control flow: executeAsync)' : ''}; ${backend.reason}` };
  return new GraphModelEngine(graph, model, async, bytes, info);
}

export class GraphModelEngine implements Engine {
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
    return this.inScope(async () => {
      const list = await this.execute(inputs, names);
      const host: HostTensor[] = [];
      for (const t of list) host.push(await readHost(t));
      if (options.signal?.aborted) throw new CancelledError();
      options.onProgress?.(1, 1);
      return { outputs: host.slice(0, outputNames.length), captured: new Map(capture.map((n, i) => [n, host[outputNames.length + i]])) };
    });
  }

  /** The shapes of output 0 of `nodes` after one run, without reading their values. */
  async shapesOf(inputs: ReadonlyMap<string, InputTensor>, nodes: readonly string[]): Promise<{ shapes: number[][]; bytes: number }> {
    if (this.disposed) throw new RuntimeError('the model was unloaded (disposed)', this.graph.path);
    return this.inScope(async () => {
      const list = await this.execute(inputs, nodes.map((n) => `${n}:0`));
      return { shapes: list.map((t) => [...t.shape]), bytes: list.reduce((a, t) => a + t.size * 4, 0) };
    });
  }

  /**
   * Runs `fn` in an engine scope that frees every tensor created in it. A failure of the backend
   * itself (wasm: "memory access out of bounds", as on a zero-sized tensor) becomes one RuntimeError,
   * the first one seen.
   */
  private async inScope<T>(fn: () => Promise<T>): Promise<T> {
    let failure: unknown;
    tf.engine().startScope();
    try {
      return await fn();
    } catch (e) {
      failure = e;
      throw this.wrap(e);
    } finally {
      try {
        tf.engine().endScope();
      } catch (e) {
        if (failure === undefined) throw this.wrap(e);
      }
    }
  }

  private wrap(e: unknown): unknown {
    if (e instanceof InspectorError) return e;
    return new RuntimeError(`TF.js could not run the graph model: ${firstLine(e)}`, this.graph.path);
  }

  /** One pass for `names` (inside the caller's scope, which frees every tensor of it). */
  private async execute(inputs: ReadonlyMap<string, InputTensor>, names: string[]): Promise<tf.Tensor[]> {
    const feeds: tf.NamedTensorMap = {};
    for (const name of this.graph.inputs) {
      const t = inputs.get(name);
      if (!t) throw new RuntimeError(`no tensor given for input '${name}'`, this.graph.path);
      feeds[name] = tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? 'int32' : 'float32');
    }
    let result: tf.Tensor | tf.Tensor[];
    try {
      result = this.async ? await quietly(() => this.model.executeAsync(feeds, names)) : this.model.execute(feeds, names);
    } catch (e) {
      // A node on a branch not taken (tf.cond) has no value: tfjs-converter then fails reading it.
      throw this.wrap(e);
    }
    const list = Array.isArray(result) ? result : [result];
    const missing = names.findIndex((_, i) => !list[i]);
    if (missing >= 0) throw new RuntimeError(`node '${names[missing].replace(/:0$/, '')}' has no value after the run (a branch not taken, or inside a loop)`, this.graph.path);
    return list;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    try {
      this.model.dispose();
    } catch {
      // A backend that failed during a run may fail again freeing the weights; the run already said why.
    }
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}
