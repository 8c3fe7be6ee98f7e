import { FormatError, ModelError } from '../util/errors.js';
import { imageInputIndex } from './inputs.js';
import { ruleFor } from './rules/index.js';
import type { GraphNode, ModelFormat, ModelGraph, NodeAttrs, NodeDomain, Shape, TensorRef, WeightSpec, WeightStore } from './types.js';

/** What a reader hands over: nodes in any order, without shapes. */
export interface RawNode {
  name: string;
  op: string;
  domain: NodeDomain;
  inputs: TensorRef[];
  attrs: NodeAttrs;
  /** Weights the file lists for this node (tfjs manifests, TF constants, HDF5 groups); else implied by the config. */
  weights?: WeightSpec[];
}

export interface GraphSpec {
  name: string;
  format: ModelFormat;
  path: string;
  nodes: RawNode[];
  /** Input nodes (InputLayer / Placeholder) with their declared shapes (null: rank unknown; dtype default float32). */
  inputs: { name: string; shape: Shape | null; dtype?: string }[];
  outputs: TensorRef[];
  producer?: string;
  notes?: string[];
  loadWeights?: () => Promise<WeightStore>;
  loadGraphModel?: ModelGraph['loadGraphModel'];
}

export interface BuildOptions {
  /** Spatial size assumed where the input leaves height/width open (Keras applications default: 224). */
  assumedImageSize?: number;
}

const INPUT_OPS = new Set(['InputLayer', 'tf.Placeholder']);

/** Checks names and edges, orders the nodes, infers every shape and the Keras weight specs. */
export function buildGraph(spec: GraphSpec, options: BuildOptions = {}): ModelGraph {
  const byName = new Map<string, RawNode>();
  for (const n of spec.nodes) {
    if (byName.has(n.name)) throw new FormatError(`two layers are named '${n.name}'`, spec.path);
    byName.set(n.name, n);
  }
  for (const n of spec.nodes)
    for (const i of n.inputs)
      if (!byName.has(i.node)) throw new FormatError(`layer '${n.name}' takes its input from '${i.node}', which does not exist`, spec.path);
  for (const o of spec.outputs)
    if (!byName.has(o.node)) throw new FormatError(`the model's output '${o.node}' does not exist`, spec.path);
  if (spec.inputs.length === 0) throw new FormatError('the model declares no input', spec.path);

  const ordered = topologicalOrder(spec);
  const notes = [...(spec.notes ?? [])];
  const warnings: string[] = [];
  // The image input is the one reports describe; other inputs (states, ratios) may leave even their rank open.
  const image = spec.inputs[imageInputIndex(spec.inputs)];
  const declared = image.shape ?? [];
  for (const i of spec.inputs) if (i.shape) checkInputShape(i.name, i.shape, spec.path);
  const inputShapes = new Map(spec.inputs.map((i) => [i.name, i.shape && fillOpenImageSize(i.shape, options.assumedImageSize ?? 224, notes, i.name)]));
  for (const i of spec.inputs) if (!i.shape) notes.push(`input '${i.name}' declares no shape (not even its rank): shapes that depend on it are unknown`);

  // Shapes and static values by `node:output`.
  const shapes = new Map<string, Shape | null>();
  const values = new Map<string, number[] | null>();
  const multi = new Set<string>();
  // Single-output nodes answer for every output index (Keras refs may count calls, not outputs).
  const key = (r: TensorRef) => `${r.node}:${multi.has(r.node) ? r.output : 0}`;
  const nodes: GraphNode[] = [];
  const unknown = new Map<string, string[]>();
  const dynamic = new Map<string, string[]>();
  const failed: string[] = [];
  for (const raw of ordered) {
    const node: GraphNode = { name: raw.name, op: raw.op, domain: raw.domain, inputs: raw.inputs, attrs: raw.attrs, weights: raw.weights ?? [], outputShape: null };
    const stored = raw.weights;
    let outs: (Shape | null)[] = [];
    if (INPUT_OPS.has(raw.op)) {
      if (!inputShapes.has(raw.name)) throw new FormatError(`input layer '${raw.name}' has no declared shape`, spec.path);
      node.outputShape = inputShapes.get(raw.name) ?? null;
      if (!node.outputShape && raw.domain === 'keras') throw new FormatError(`input layer '${raw.name}' has no declared shape`, spec.path);
      outs = [node.outputShape];
    } else {
      const rule = ruleFor(raw.op);
      const ins = raw.inputs.map((i) => shapes.get(key(i)) ?? null);
      if (!rule) {
        pushTo(unknown, raw.op, raw.name);
      } else if (ins.every((s): s is Shape => s !== null) || rule.partialInputs) {
        const vals = raw.inputs.map((i) => values.get(key(i)) ?? null);
        if (rule.outputShapes) multi.add(node.name);
        const given = ins as Shape[];
        try {
          outs = rule.outputShapes ? rule.outputShapes(node, given, vals) : [rule.outputShape(node, given, vals)];
        } catch (e) {
          // A converted graph nobody here wrote: a rule that does not fit one node leaves its shape unknown, not the model refused.
          if (!(e instanceof ModelError)) throw e;
          if (raw.domain !== 'tf') throw e.file ? e : new ModelError(e.message, spec.path);
          failed.push(e.message);
          outs = [];
        }
        // Dims known only at run time (NaN in shape arithmetic) are open.
        outs = outs.map((o) => o && o.map((d) => (typeof d === 'number' && Number.isFinite(d) ? d : null)));
        node.outputShape = outs[0] ?? null;
        if (node.outputShape === null && raw.domain === 'tf' && ins.every((x) => x !== null)) pushTo(dynamic, raw.op, raw.name);
        if (rule.value) values.set(`${node.name}:0`, rule.value(node, given, vals));
        rule.outputValues?.(node, given, vals).forEach((v, k) => values.set(`${node.name}:${k}`, v));
        if (rule.weights && raw.domain === 'keras') node.weights = reconcileWeights(spec.path, node, stored, rule.weights(node, given));
      }
    }
    outs.forEach((s, k) => shapes.set(`${node.name}:${k}`, s));
    nodes.push(node);
  }
  const some = (names: string[]) => (names.length > 3 ? `${names.slice(0, 3).join("', '")}' and ${names.length - 3} more` : `${names.join("', '")}'`);
  for (const [op, names] of unknown) {
    const what = op === 'Lambda' ? 'Lambda layer (its Python code is never executed)' : `unknown ${op.startsWith('tf.') ? 'op' : 'layer class'} '${op.replace(/^tf\./, '')}'`;
    warnings.push(`${what} in '${some(names)}: output shape and MACs not known from here on`);
  }
  for (const m of failed.slice(0, 3)) warnings.push(`${m}: its shape is left unknown`);
  if (failed.length > 3) warnings.push(`${failed.length - 3} more nodes whose shape rule does not fit: shapes left unknown`);
  for (const [op, names] of dynamic) warnings.push(`op '${op.replace(/^tf\./, '')}' in '${some(names)}: output shape depends on values computed at run time`);
  return {
    name: spec.name,
    format: spec.format,
    path: spec.path,
    nodes,
    inputs: spec.inputs.map((i) => i.name),
    inputSpecs: spec.inputs.map((i) => ({ name: i.name, shape: i.shape, dtype: i.dtype ?? 'float32' })),
    outputs: spec.outputs,
    inputShape: inputShapes.get(image.name) ?? [],
    declaredInputShape: declared,
    notes,
    warnings,
    producer: spec.producer,
    loadWeights: spec.loadWeights,
    loadGraphModel: spec.loadGraphModel,
  };
}

/** Largest input side and per-sample size we count or run: beyond them a model is refused, not grown without bound. */
export const MAX_INPUT_SIDE = 16384;
export const MAX_INPUT_ELEMENTS = 2 ** 28;

/** A declared input: every size a whole number of at least 1 (or open), within the limits. */
function checkInputShape(name: string, shape: Shape, path: string): void {
  if (shape.some((d) => d !== null && !(Number.isInteger(d) && d >= 1)))
    throw new FormatError(`input '${name}' declares the shape ${JSON.stringify(shape)}: every size must be a whole number of at least 1 (or open)`, path);
  const sides = shape.slice(1, 3);
  const perSample = shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1);
  if (shape.length === 4 && sides.some((d) => d !== null && d > MAX_INPUT_SIDE))
    throw new FormatError(`refused: input '${name}' declares ${sides.join(' x ')} pixels, beyond the limit of ${MAX_INPUT_SIDE} per side`, path);
  if (perSample > MAX_INPUT_ELEMENTS) throw new FormatError(`refused: input '${name}' declares ${perSample} values per sample, beyond the limit of ${MAX_INPUT_ELEMENTS}`, path);
}

/** Appends in place (copying the list per call made 100,000 layers quadratic). */
function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  list.push(value);
}

function fillOpenImageSize(shape: Shape, size: number, notes: string[], name: string): Shape {
  if (shape.length === 4 && (shape[1] === null || shape[2] === null)) {
    notes.push(`input '${name}' leaves its image size open; shapes and MACs assume ${size}x${size}`);
    return [shape[0], shape[1] ?? size, shape[2] ?? size, shape[3]];
  }
  return shape;
}

/** The file's weights must be the ones the config implies: same count, same shapes. */
function reconcileWeights(path: string, node: GraphNode, stored: WeightSpec[] | undefined, implied: Omit<WeightSpec, 'id'>[]): WeightSpec[] {
  if (stored === undefined) return implied.map((w) => ({ ...w, id: `${node.name}/${w.name}` }));
  const fmt = (ws: { shape: number[] }[]) => ws.map((w) => `[${w.shape.join(',')}]`).join(' ');
  if (stored.length !== implied.length || stored.some((w, i) => w.shape.join(',') !== implied[i].shape.join(',')))
    throw new FormatError(`weights of layer '${node.name}' (${node.op}) are ${fmt(stored) || 'missing'} in the file, but its config implies ${fmt(implied)}`, path);
  return stored.map((w, i) => ({ ...w, name: implied[i].name, trainable: implied[i].trainable, role: 'param' }));
}

/** Kahn's algorithm in file order; a cycle is an error naming its members (the tfjs graph reader sets while-loop back edges aside). */
function topologicalOrder(spec: GraphSpec): RawNode[] {
  const indegree = new Map<string, number>();
  const consumers = new Map<string, RawNode[]>();
  for (const n of spec.nodes) {
    indegree.set(n.name, n.inputs.length);
    for (const i of n.inputs) pushTo(consumers, i.node, n);
  }
  const queue = spec.nodes.filter((n) => indegree.get(n.name) === 0);
  const out: RawNode[] = [];
  for (let k = 0; k < queue.length; k++) {
    const n = queue[k];
    out.push(n);
    for (const c of consumers.get(n.name) ?? []) {
      const d = indegree.get(c.name)! - 1;
      indegree.set(c.name, d);
      if (d === 0) queue.push(c);
    }
  }
  if (out.length !== spec.nodes.length) {
    const stuck = spec.nodes.filter((n) => indegree.get(n.name)! > 0).map((n) => n.name);
    throw new FormatError(`the graph has a cycle through '${stuck.slice(0, 4).join("', '")}'`, spec.path);
  }
  return out;
}

