/**
 * Shapes by execution: where the static shape rules leave a node's shape unknown (an op without a
 * rule, and everything after it), run the model once at its input size on TF.js and read the shapes
 * of those nodes from the run. Static rules stay first (no weights needed, fast); this completes the
 * cost whenever the model runs.
 *
 * The run feeds a zero image and every other input its default (inputs.ts), except that inputs of
 * unknown rank must be given unless the model broadcasts them itself (see below). The asked nodes are
 * kept alive until the run ends, so they are asked in batches that keep about MEMORY_BUDGET bytes.
 * A node that has no value after a run (the branch of a tf.cond not taken) is found by splitting
 * its batch and stays unknown; nodes inside while-loop bodies are never asked (they have one value
 * per iteration, none after the loop).
 */
import { zeroMacsWithoutShape } from '../analysis/cost.js';
import type { GraphNode, ModelGraph } from '../graph/types.js';
import { CancelledError, InspectorError, userMessage } from '../util/errors.js';
import { currentBackend, initBackend, type BackendRequest } from './backend.js';
import { loadGraphModelEngine, type GraphModelEngine } from './graphModelEngine.js';
import { broadcastByModel, defaultsHint, feedsWithDefaults, imageInputSpec, zeroImage, type InputValues } from './inputs.js';
import { tfjsOpCategory } from '../graph/tfjsOps.js';

export interface ExecutionShapeOptions {
  backend?: BackendRequest;
  /** Values for non-image inputs (`--input NAME=VALUE`); others get zeros. */
  inputs?: InputValues;
  signal?: AbortSignal;
}

/** Bytes of asked tensors one run may keep alive at once. */
const MEMORY_BUDGET = 256 * 1024 ** 2;
const FIRST_BATCH = 64;
/** Runs beyond which the remaining nodes stay unknown (a graph full of dead branches). */
const MAX_RUNS = 200;

/**
 * A node whose shape the rules leave unknown or with an open non-batch dim (a size computed at run
 * time, as after a resize by a ratio input); an open batch dim alone is the model's, not a gap.
 */
function needsMeasure(n: GraphNode): boolean {
  return n.op !== 'tf.Placeholder' && (n.outputShape === null || n.outputShape.slice(1).some((d) => d === null));
}

/**
 * The measured shape where it agrees with what the rules know (same rank, same known non-batch
 * dims); undefined when it does not, and the rule's shape is kept (and a warning says so).
 */
function mergeMeasured(stat: GraphNode['outputShape'], measured: number[]): number[] | undefined {
  if (stat === null) return measured;
  if (stat.length !== measured.length) return undefined;
  return stat.every((d, i) => i === 0 || d === null || d === measured[i]) ? measured : undefined;
}

function consumersOf(graph: ModelGraph): Map<string, GraphNode[]> {
  const consumers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i.node, [...(consumers.get(i.node) ?? []), n]);
  return consumers;
}

/** Nodes inside while-loop frames: reachable from an Enter before its Exit. */
function loopBodyNodes(graph: ModelGraph, consumers: Map<string, GraphNode[]>): Set<string> {
  const inLoop = new Set<string>();
  const queue = graph.nodes.filter((n) => n.op === 'tf.Enter');
  for (const n of queue) inLoop.add(n.name);
  for (let k = 0; k < queue.length; k++)
    for (const c of consumers.get(queue[k].name) ?? [])
      if (c.op !== 'tf.Exit' && !inLoop.has(c.name)) {
        inLoop.add(c.name);
        queue.push(c);
      }
  return inLoop;
}

/**
 * The tf.cond branches each node is on: `<predicate>:<port>` of every Switch output it is reached
 * from without passing a Merge. A branch runs or not as a whole (a node with one dead input is
 * dead), so the nodes of one set of branches are asked together, and a failed ask means a branch
 * not taken: no splitting run after run.
 */
function condBranches(graph: ModelGraph, consumers: Map<string, GraphNode[]>, skip: Set<string>): Map<string, string> {
  const keys = new Map<string, Set<string>>();
  for (const sw of graph.nodes) {
    if (sw.op !== 'tf.Switch' || skip.has(sw.name)) continue;
    const pred = sw.inputs[1]?.node ?? sw.name;
    // The Switch itself is asked for its output 0: the false branch.
    if (!keys.has(sw.name)) keys.set(sw.name, new Set());
    keys.get(sw.name)!.add(`${pred}:0`);
    for (const port of [0, 1]) {
      const key = `${pred}:${port}`;
      const queue = (consumers.get(sw.name) ?? []).filter((c) => c.op !== 'tf.Merge' && c.inputs.some((i) => i.node === sw.name && i.output === port));
      const seen = new Set(queue.map((c) => c.name));
      for (let k = 0; k < queue.length; k++) {
        const n = queue[k];
        if (!keys.has(n.name)) keys.set(n.name, new Set());
        keys.get(n.name)!.add(key);
        for (const c of consumers.get(n.name) ?? [])
          if (c.op !== 'tf.Merge' && !seen.has(c.name)) {
            seen.add(c.name);
            queue.push(c);
          }
      }
    }
  }
  return new Map([...keys].map(([n, k]) => [n, [...k].sort().join(' & ')]));
}

/**
 * The graph with the unknown node shapes measured by running the model (`shapeFromExecution`), and
 * a note saying how many and at which size. Unchanged when nothing is unknown or the model is not a
 * TF.js graph model with weights; when the model cannot run, unchanged but for a warning saying why.
 */
export async function completeShapesByExecution(graph: ModelGraph, options: ExecutionShapeOptions = {}): Promise<ModelGraph> {
  if (graph.format !== 'tfjs-graph' || !graph.loadGraphModel) return graph;
  const consumers = consumersOf(graph);
  const loops = loopBodyNodes(graph, consumers);
  const todo = graph.nodes.filter((n) => needsMeasure(n) && !loops.has(n.name)).map((n) => n.name);
  if (todo.length === 0) return graph;
  const branchOf = condBranches(graph, consumers, loops);
  const [, h, w] = graph.inputShape;
  const size = `${h}x${w}`;
  // An input of unknown rank is a setting (a resize ratio) more often than a state; zero may be
  // invalid for it and crash the wasm backend for the rest of the process, so a value is asked for,
  // unless the model broadcasts it to a shape of its own (a recurrent state: a scalar zero is its start).
  const image = imageInputSpec(graph).name;
  const guessed = graph.inputSpecs.filter((s) => s.name !== image && s.shape === null && options.inputs?.[s.name] === undefined && !broadcastByModel(graph, s.name)).map((s) => s.name);
  if (guessed.length)
    return { ...graph, warnings: [...graph.warnings, `node shapes not measured by running the model: input${guessed.length > 1 ? 's' : ''} ${guessed.join(', ')} declare${guessed.length > 1 ? '' : 's'} no shape, so the run would guess ${guessed.length > 1 ? 'their values' : 'its value'}; give ${guessed.map((n) => `--input ${n}=VALUE`).join(' ')}`] };

  let engine: GraphModelEngine | undefined;
  const measured = new Map<string, number[]>();
  let runs = 0;
  let hint = '';
  try {
    // Graph models run on TF.js (tfjs-converter), whichever backend runs the model's images.
    const backend = await initBackend(options.backend === 'onnx' ? 'auto' : (options.backend ?? currentBackend()?.name ?? 'auto'));
    engine = await loadGraphModelEngine(graph, backend, { signal: options.signal });
    const fed = feedsWithDefaults(graph, zeroImage(graph), options.inputs ?? {});
    const feeds = fed.feeds;
    hint = defaultsHint(fed.uses);
    const e = engine;
    const run = (names: string[]) => {
      if (options.signal?.aborted) throw new CancelledError();
      runs++;
      return e.shapesOf(feeds, names);
    };
    let batch = FIRST_BATCH;
    const pending = todo.filter((n) => !branchOf.has(n));
    const mayRun = () => runs < MAX_RUNS;
    // A model that cannot run at all must say so, not pass for branches not taken.
    if (pending.length === 0) await run(graph.outputs.map((o) => o.node).slice(0, 1));
    for (let first = true; pending.length && mayRun(); first = false) {
      const names = pending.splice(0, batch);
      let bytes: number;
      try {
        bytes = await measureSplitting(names, run, measured, mayRun, first ? 0 : Infinity);
      } catch (e) {
        if (e instanceof CancelledError || !(e instanceof InspectorError)) throw e;
        // The first batch failed as a whole: a model that cannot run at all fails on one output alone
        // (and the error says why); else some asked nodes have no value, found by splitting.
        await run(graph.outputs.map((o) => o.node).slice(0, 1));
        bytes = await measureSplitting(names, run, measured, mayRun, Infinity);
      }
      const perNode = bytes / Math.max(1, names.length);
      batch = Math.max(8, Math.min(1024, Math.floor(MEMORY_BUDGET / Math.max(perNode, 1))));
    }
    // Then each set of tf.cond branches in one ask: it fails as a whole when a branch was not taken.
    const groups = new Map<string, string[]>();
    for (const n of todo) if (branchOf.has(n)) groups.set(branchOf.get(n)!, [...(groups.get(branchOf.get(n)!) ?? []), n]);
    for (const names of groups.values()) {
      for (let i = 0; i < names.length && mayRun(); i += batch) {
        const part = names.slice(i, i + batch);
        try {
          const r = await run(part);
          part.forEach((n, k) => measured.set(n, r.shapes[k]));
        } catch (e) {
          if (e instanceof CancelledError || !(e instanceof InspectorError)) throw e;
          break; // a branch not taken: its nodes have no shape in this run
        }
      }
    }
  } catch (e) {
    if (e instanceof CancelledError || !(e instanceof InspectorError)) throw e;
    return { ...graph, warnings: [...graph.warnings, `node shapes could not be measured by running the model at ${size}: ${userMessage(e)}${hint}`] };
  } finally {
    engine?.dispose();
  }
  return withMeasuredShapes(graph, measured, { size, runs, inputs: options.inputs ?? {}, skipped: todo.length - measured.size, inLoops: graph.nodes.filter((n) => needsMeasure(n) && loops.has(n.name)).length });
}

/**
 * Measures `names` in one run; a failed run is split in halves, at most `splits` levels deep (0: the
 * error is thrown), until the failing nodes are alone, and those stay unknown. Returns the bytes measured.
 */
async function measureSplitting(
  names: string[],
  run: (names: string[]) => Promise<{ shapes: number[][]; bytes: number }>,
  out: Map<string, number[]>,
  mayRun: () => boolean,
  splits: number,
): Promise<number> {
  if (names.length === 0 || !mayRun()) return 0;
  try {
    const { shapes, bytes } = await run(names);
    names.forEach((n, i) => out.set(n, shapes[i]));
    return bytes;
  } catch (e) {
    if (e instanceof CancelledError || !(e instanceof InspectorError) || splits <= 0) throw e;
    if (names.length === 1) return 0;
    const half = Math.ceil(names.length / 2);
    return (await measureSplitting(names.slice(0, half), run, out, mayRun, splits - 1)) + (await measureSplitting(names.slice(half), run, out, mayRun, splits - 1));
  }
}

function withMeasuredShapes(graph: ModelGraph, measured: Map<string, number[]>, how: { size: string; runs: number; inputs: InputValues; skipped: number; inLoops: number }): ModelGraph {
  const disagree: string[] = [];
  const nodes = graph.nodes.map((n): GraphNode => {
    const run = measured.get(n.name);
    if (!run) return n;
    const shape = mergeMeasured(n.outputShape, run);
    if (!shape) {
      disagree.push(`'${n.name}' (${n.op.replace(/^tf\./, '')}) rule ${JSON.stringify(n.outputShape)}, run ${JSON.stringify(run)}`);
      return n;
    }
    return { ...n, outputShape: shape, shapeFromExecution: true, tfjsCategory: tfjsOpCategory(n.op.replace(/^tf\./, '')) };
  });
  // The reader's "unknown op" warnings are settled for ops whose every node now has a shape and 0 MACs.
  const settled = new Set<string>();
  const byOp = new Map<string, GraphNode[]>();
  for (const n of nodes) byOp.set(n.op.replace(/^tf\./, ''), [...(byOp.get(n.op.replace(/^tf\./, '')) ?? []), n]);
  for (const [op, list] of byOp) if (list.every((n) => n.outputShape !== null && zeroMacsWithoutShape(n))) settled.add(op);
  // Ops whose every node was measured but that multiply-accumulate without a rule: the shape is no longer the unknown.
  const measuredOnly = new Set([...byOp].filter(([op, list]) => !settled.has(op) && list.every((n) => n.outputShape !== null)).map(([op]) => op));
  const warnings = graph.warnings
    .filter((w) => {
      const op = /^unknown op '([^']+)'/.exec(w)?.[1];
      return !(op && settled.has(op));
    })
    .map((w) => {
      const op = /^unknown op '([^']+)'/.exec(w)?.[1];
      return op && measuredOnly.has(op) ? w.replace(/^unknown op/, 'no MAC rule for op').replace(/: output shape and MACs not known from here on$/, ': its shapes were measured by running the model, its MACs are not known') : w;
    });
  if (disagree.length) warnings.push(`${disagree.length} shape${disagree.length > 1 ? 's' : ''} measured by running the model disagree${disagree.length > 1 ? '' : 's'} with the static rule (kept): ${disagree.slice(0, 3).join('; ')}${disagree.length > 3 ? ` and ${disagree.length - 3} more` : ''}`);
  const given = Object.entries(how.inputs).map(([k, v]) => `${k}=${v}`);
  const fed = `a zero image${given.length ? `, ${given.join(', ')}` : ''}${graph.inputs.length > 1 + given.length ? ', other inputs zeros' : ''}`;
  const times = how.runs === 1 ? 'once' : `${how.runs} times (batches of nodes)`;
  const notes = [...graph.notes, `${nodes.filter((n, i) => n !== graph.nodes[i]).length} node shapes measured by running the model ${times} at ${how.size} (${fed})${how.skipped ? `; ${how.skipped} stay unknown (no value after the run: a branch not taken)` : ''}${how.inLoops ? `; ${how.inLoops} inside while loops are not measured (one value per iteration)` : ''}`];
  return { ...graph, nodes, notes, warnings };
}
