/**
 * Runs a ModelGraph on TensorFlow.js node by node, in the graph's topological order.
 *
 * - `compileGraph` is called once per loaded model: every node's kernel reads its weights and
 *   uploads them to the backend (they stay there until `dispose`), so runs only compute.
 * - `execute` runs the nodes needed for the outputs (and for the nodes asked to be kept), each in
 *   `tf.tidy`. Every intermediate tensor is reference-counted over its consumers and disposed after
 *   the last one; the outputs and the kept tensors (the SE gates) are handed to the caller. So a run
 *   that keeps the gates costs what a plain predict costs.
 * - An AbortSignal is checked between nodes, and the event loop gets a turn every ~20 ms so an
 *   abort (or a UI) can happen during a long run.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode, ModelGraph, WeightStore } from '../graph/types.js';
import { CancelledError, InspectorError, RuntimeError } from '../util/errors.js';
import { INPUT_OPS, kernelFor } from './kernels/index.js';
import type { HostWeight, PrepareContext, RunFn } from './kernels/kernel.js';

interface CompiledNode {
  node: GraphNode;
  /** Absent for graph inputs. */
  run?: RunFn;
  /** Why this node cannot run (unsupported op outside the path to the outputs). */
  unsupported?: string;
  inputs: { slot: number; output: number }[];
}

export interface ExecuteOptions {
  /** Node names whose output 0 is returned besides the graph outputs (not disposed). */
  keep?: readonly string[];
  signal?: AbortSignal;
  /** Called after each node with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Node names whose output 0 is replaced, in every example of the batch, by the given values
   * (one example's worth, e.g. an SE gate's C values): what-if runs such as a gate held constant.
   */
  overrides?: ReadonlyMap<string, Float32Array>;
}

export interface ExecuteResult {
  /** One tensor per graph output; the caller disposes them. */
  outputs: tf.Tensor[];
  /** Output 0 of each kept node; the caller disposes them. */
  kept: Map<string, tf.Tensor>;
}

interface Plan {
  order: number[];
  /** uses[slot][output]: consumers in this plan + graph outputs + kept. */
  uses: number[][];
}

const YIELD_EVERY_MS = 20;

/** The Keras whose activation definitions apply (hard_sigmoid changed between 2 and 3). */
export function kerasGeneration(graph: ModelGraph): 2 | 3 {
  if (graph.format === 'tfjs-layers') return 2; // tfjs-layers implements the Keras 2 definitions
  const p = graph.producer ?? '';
  if (/keras[ v]*2\./i.test(p) || /keras[ v]*1\./i.test(p)) return 2;
  return 3;
}

function unsupportedText(node: GraphNode): string {
  const op = node.op.replace(/^tf\./, '');
  if (node.op === 'Lambda') return `cannot run layer '${node.name}': unsupported op 'Lambda' (its Python code is never executed)`;
  return `cannot run layer '${node.name}': unsupported op '${op}'`;
}

export class CompiledGraph {
  readonly nodes: CompiledNode[] = [];
  private readonly index = new Map<string, number>();
  private readonly owned: tf.Tensor[] = [];
  /** The same, for lookups: a kernel that returns a weight as is must not get it disposed. */
  private readonly ownedSet = new Set<tf.Tensor>();
  private readonly scalars = new Map<number, tf.Tensor>();
  private readonly plans = new Map<string, Plan>();
  private readonly inputSlots: number[];
  private readonly outputRefs: { slot: number; output: number }[];
  private disposed = false;
  /** tfjs backend holding the weights; runs happen there. */
  private readonly backendName = tf.getBackend();

  constructor(readonly graph: ModelGraph, weights: WeightStore) {
    graph.nodes.forEach((n, i) => this.index.set(n.name, i));
    this.inputSlots = graph.inputs.map((name) => this.slotOf(name, 'input'));
    this.outputRefs = graph.outputs.map((o) => ({ slot: this.slotOf(o.node, 'output'), output: o.output }));
    const live = this.ancestors(this.outputRefs.map((r) => r.slot));
    const keras = kerasGeneration(graph);
    // Kernels keep what they uploaded, never the host copies: drop the store once all are prepared,
    // so the weights of a large model are not held twice (run closures keep their context).
    let source: WeightStore | undefined = weights;
    const read = (id: string) => source?.get(id);
    try {
      graph.nodes.forEach((node, i) => {
        const inputs = node.inputs.map((r) => {
          const slot = this.slotOf(r.node, `input of layer '${node.name}'`);
          if (slot >= i) throw new RuntimeError(`cannot run layer '${node.name}': its input '${r.node}' comes later in the graph order`);
          return { slot, output: r.output };
        });
        const compiled: CompiledNode = { node, inputs };
        this.nodes.push(compiled);
        if (INPUT_OPS.has(node.op)) return;
        const factory = kernelFor(node.op);
        if (!factory) {
          compiled.unsupported = unsupportedText(node);
          if (live.has(i)) throw new RuntimeError(compiled.unsupported);
          return;
        }
        compiled.run = factory(this.context(node, read, keras));
      });
    } catch (e) {
      this.dispose();
      throw e;
    } finally {
      source = undefined;
    }
  }

  private slotOf(name: string, what: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new RuntimeError(`the model's ${what} '${name}' is not a node of the graph`);
    return i;
  }

  private ancestors(slots: number[]): Set<number> {
    const seen = new Set<number>();
    const stack = [...slots];
    while (stack.length) {
      const i = stack.pop()!;
      if (seen.has(i)) continue;
      seen.add(i);
      for (const r of this.graph.nodes[i].inputs) {
        const j = this.index.get(r.node);
        if (j !== undefined) stack.push(j);
      }
    }
    return seen;
  }

  private context(node: GraphNode, read: (id: string) => Float32Array | undefined, keras: 2 | 3): PrepareContext {
    const fail = (what: string): never => {
      throw new RuntimeError(`cannot run layer '${node.name}' (${node.op.replace(/^tf\./, '')}): ${what}`);
    };
    const host = (i: number): HostWeight | undefined => {
      const spec = node.weights[i];
      if (!spec) return undefined;
      const size = spec.shape.reduce((a, b) => a * b, 1);
      // A getter, not the array: a run closure that happens to keep this object (V8 keeps whole
      // scopes) must not keep the weights' host copy alive once `read` has let go of the store.
      // Each access reads (a store may read from the file), so the checks happen there too.
      return {
        get values() {
          const values = read(spec.id) ?? fail(`its weight '${spec.name}' (${spec.id}) is missing from the file`);
          if (values.length !== size) fail(`its weight '${spec.name}' holds ${values.length} values, but its shape [${spec.shape.join(', ')}] needs ${size}`);
          return values;
        },
        shape: spec.shape,
      };
    };
    const ctx: PrepareContext = {
      node,
      keras,
      weight: (name) => {
        const i = node.weights.findIndex((w) => w.name === name);
        return i < 0 ? undefined : host(i);
      },
      need: (name) => ctx.weight(name) ?? fail(`has no '${name}' weight`),
      weightAt: host,
      upload: (values, shape) => {
        const t = tf.tensor(values instanceof Float32Array ? values : Float32Array.from(values), shape, 'float32');
        this.owned.push(t);
        this.ownedSet.add(t);
        return t;
      },
      scalar: (value) => {
        const v = Math.fround(value);
        let t = this.scalars.get(v);
        if (!t) {
          t = tf.scalar(v, 'float32');
          this.scalars.set(v, t);
          this.owned.push(t);
          this.ownedSet.add(t);
        }
        return t;
      },
      fail,
    };
    return ctx;
  }

  /** Which nodes run, and how often each output is used, for one set of kept nodes. */
  private plan(keep: readonly string[]): Plan {
    const key = keep.join('\u0000');
    const cached = this.plans.get(key);
    if (cached) return cached;
    const keepSlots = keep.map((name) => this.slotOf(name, 'layer to capture'));
    for (const s of keepSlots) if (this.nodes[s].unsupported) throw new RuntimeError(this.nodes[s].unsupported!);
    const live = this.ancestors([...this.outputRefs.map((r) => r.slot), ...keepSlots]);
    const order = [...live].sort((a, b) => a - b);
    const uses: number[][] = this.nodes.map(() => []);
    const use = (slot: number, output: number) => {
      uses[slot][output] = (uses[slot][output] ?? 0) + 1;
    };
    for (const i of order) for (const r of this.nodes[i].inputs) use(r.slot, r.output);
    for (const r of this.outputRefs) use(r.slot, r.output);
    for (const s of keepSlots) use(s, 0);
    const plan = { order, uses };
    this.plans.set(key, plan);
    return plan;
  }

  /** Runs the graph on one tensor per graph input (the caller keeps ownership of the feeds). */
  async execute(feeds: tf.Tensor[], options: ExecuteOptions = {}): Promise<ExecuteResult> {
    if (this.disposed) throw new RuntimeError('the model was unloaded (disposed)');
    if (feeds.length !== this.inputSlots.length) throw new RuntimeError(`the model has ${this.inputSlots.length} inputs, ${feeds.length} given`);
    const keep = [...new Set(options.keep ?? [])];
    const { order, uses } = this.plan(keep);
    const overrides = new Map<number, Float32Array>();
    for (const [name, v] of options.overrides ?? []) overrides.set(this.slotOf(name, 'layer to override'), v);
    const { signal, onProgress } = options;
    if (tf.getBackend() !== this.backendName) await tf.setBackend(this.backendName);
    const values: (tf.Tensor[] | undefined)[] = new Array(this.nodes.length);
    const refs = new Map<tf.Tensor, number>();
    const feedSet = new Set(feeds);
    // never freed here: the caller's feeds and the model's own weights
    const keepAlive = (t: tf.Tensor) => feedSet.has(t) || this.ownedSet.has(t);
    const addRef = (t: tf.Tensor, k: number) => refs.set(t, (refs.get(t) ?? 0) + k);
    const release = (t: tf.Tensor) => {
      const r = (refs.get(t) ?? 0) - 1;
      if (r > 0) return void refs.set(t, r);
      refs.delete(t);
      if (!keepAlive(t)) t.dispose();
    };
    let lastYield = performance.now();
    let done = 0;
    try {
      for (const i of order) {
        if (signal?.aborted) throw new CancelledError();
        if (this.disposed) throw new RuntimeError('the model was unloaded (disposed) during the run');
        const now = performance.now();
        if (now - lastYield > YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
          if (signal?.aborted) throw new CancelledError();
          // another model may have switched the (global) backend meanwhile
          if (tf.getBackend() !== this.backendName) await tf.setBackend(this.backendName);
        }
        const c = this.nodes[i];
        let outs: tf.Tensor[];
        const inputPos = this.inputSlots.indexOf(i);
        if (inputPos >= 0) {
          outs = [feeds[inputPos]];
        } else if (!c.run) {
          throw new RuntimeError(c.unsupported ?? `cannot run layer '${c.node.name}': input layer '${c.node.name}' is not fed`);
        } else {
          const ins = c.inputs.map((r) => {
            const t = values[r.slot]?.[r.output];
            if (!t) throw new RuntimeError(`cannot run layer '${c.node.name}': its input '${this.nodes[r.slot].node.name}' has no output ${r.output}`);
            return t;
          });
          try {
            const r = tf.tidy(() => c.run!(ins));
            outs = Array.isArray(r) ? r : [r];
            const o = overrides.get(i);
            if (o) outs = [this.replaced(c.node.name, outs[0], o), ...outs.slice(1)];
          } catch (e) {
            if (e instanceof InspectorError) throw e;
            const msg = String((e as Error)?.message ?? e).split('\n')[0];
            throw new RuntimeError(`cannot run layer '${c.node.name}' (${c.node.op.replace(/^tf\./, '')}): ${msg}`);
          }
        }
        values[i] = outs;
        outs.forEach((t, k) => {
          addRef(t, uses[i][k] ?? 0);
          if (refs.get(t) === 0) release(t);
        });
        for (const r of c.inputs) release(values[r.slot]![r.output]);
        onProgress?.(++done, order.length);
      }
      const outputs = this.outputRefs.map((r) => values[r.slot]![r.output]);
      const kept = new Map(keep.map((name) => [name, values[this.index.get(name)!]![0]]));
      return { outputs, kept };
    } catch (e) {
      for (const t of refs.keys()) if (!keepAlive(t)) t.dispose();
      throw e;
    }
  }

  /** `values` (one example's worth) in place of `t` in every example; `t` is disposed. */
  private replaced(name: string, t: tf.Tensor, values: Float32Array): tf.Tensor {
    const perExample = t.shape.slice(1);
    const size = perExample.reduce((a, b) => a * b, 1);
    if (values.length !== size) {
      t.dispose();
      throw new RuntimeError(`cannot override layer '${name}': its output holds ${size} values per example ([${t.shape.join(', ')}]), ${values.length} given`);
    }
    const out = tf.tidy(() => tf.broadcastTo(tf.tensor(values, [1, ...perExample], 'float32'), t.shape));
    if (!this.ownedSet.has(t)) t.dispose();
    return out;
  }

  /** Frees every uploaded weight. Runs after this fail with a RuntimeError. */
  dispose(): void {
    this.disposed = true;
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
    this.ownedSet.clear();
    this.scalars.clear();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Bytes of weights uploaded to the backend. */
  get weightBytes(): number {
    return this.owned.reduce((a, t) => a + t.size * 4, 0);
  }
}
