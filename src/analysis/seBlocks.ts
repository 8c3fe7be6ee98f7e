/**
 * Finds Squeeze-and-Excitation blocks by dataflow, whatever the spelling: a multiply of a feature
 * map X [N, H, W, C] by a per-channel gate G (either operand), where everything G depends on (besides
 * constants) comes from a global spatial pooling of that same X through per-sample vectors: squeeze
 * (GlobalAveragePooling2D, Mean/Sum over H and W, full-window AvgPool), two linear layers (Dense,
 * 1x1 conv, MatMul, with biases and folded BatchNorm vectors in any order), and between them
 * elementwise functions, evaluated numerically and named (see scalarFunction.ts). A valid gate that
 * has no name is reported as `custom (<ops>)`. An attention gate that pools one tensor and scales
 * another is not SE.
 */
import type { GraphNode, ModelGraph, Shape, StoredPrecision, TensorRef } from '../graph/types.js';
import type { GraphCosts } from './cost.js';
import { evaluateNode, fusedFunction, nameFunction, operandsOf, relativePrecision, SAMPLES, SHAPE_ONLY } from './scalarFunction.js';
export type SeVariant = 'standard' | 'PRE' | 'POST' | 'Identity' | 'plain';

export interface SeBlock {
  name: string;
  /** The layer whose output the block scales. */
  scaledLayer: string;
  channels: number;
  squeezedWidth: number;
  /** Effective reduction ratio C / width (fractional where widths are rounded). */
  ratio: number;
  squeeze: 'avg' | 'max';
  reductionActivation: string;
  gate: string;
  variant: SeVariant;
  params: number;
  macs: number;
  /** Nodes of the block in network order: squeeze, excitation chain, scale. */
  layers: string[];
  squeezeLayer: string;
  reduceLayer: string;
  expandLayer: string;
  /** The node whose output is the excitation (C values per image). */
  gateLayer: string;
  scaleLayer: string;
  /** Whether the reduce/expand layers carry a bias (for the what-if counts). */
  reduceBias: boolean;
  expandBias: boolean;
  /** Spatial size H x W of the scaled map (for the what-if MACs). */
  spatial: number;
}

const MULTIPLY = new Set(['Multiply', 'ops.Multiply', 'tf.Mul']);
const ADD = new Set(['Add', 'ops.Add', 'tf.AddV2', 'tf.Add']);
/** Biases and folded BatchNorm: per-channel affine steps, part of the linear layer they follow. */
const AFFINE = new Set(['tf.BiasAdd', 'tf.AddV2', 'tf.Add', 'tf.Sub', 'tf.Mul', 'tf.RealDiv', 'tf.FusedBatchNorm', 'tf.FusedBatchNormV3', 'BatchNormalization']);
/** Most nodes an excitation may have; real ones have under 20. */
const MAX_EXCITATION = 48;

function isLinear(n: GraphNode): boolean {
  if (n.op === 'Dense' || n.op === 'tf.MatMul' || n.op === 'tf._FusedMatMul') return n.op === 'Dense' || n.weights.some((w) => w.role === 'param' && w.shape.length === 2);
  if (n.op === 'Conv2D') return (n.attrs.kernelSize ?? [1, 1]).every((k) => k === 1) && (n.attrs.groups ?? 1) === 1;
  if (n.op === 'tf.Conv2D' || n.op === 'tf._FusedConv2D') {
    const k = n.weights.find((w) => w.shape.length === 4)?.shape;
    return k?.[0] === 1 && k?.[1] === 1;
  }
  return false;
}

/** A per-channel affine step with a stored vector (bias, folded BatchNorm scale/offset). */
function isAffine(n: GraphNode): boolean {
  if (n.op === 'BatchNormalization') return true;
  if (!AFFINE.has(n.op) || n.inputs.length !== 1) return false;
  return operandsOf(n).some((o) => 'vector' in o);
}

const sameRef = (a: TensorRef, b: TensorRef) => a.node === b.node && a.output === b.output;

/** The global spatial pooling of X that `n` is, or undefined. */
function squeezeOf(n: GraphNode, x: TensorRef, xShape: Shape): 'avg' | 'max' | 'sum' | undefined {
  if (!n.inputs[0] || !sameRef(n.inputs[0], x) || n.inputs.length !== 1) return undefined;
  if (n.op === 'GlobalAveragePooling2D') return 'avg';
  if (n.op === 'GlobalMaxPooling2D') return 'max';
  if (n.op === 'tf.Mean' || n.op === 'tf.Max' || n.op === 'tf.Sum') {
    const axes = new Set((Array.isArray(n.attrs.axis) ? n.attrs.axis : [n.attrs.axis]).map((a) => ((a as number) < 0 ? (a as number) + 4 : a)));
    if (axes.size === 2 && axes.has(1) && axes.has(2)) return n.op === 'tf.Mean' ? 'avg' : n.op === 'tf.Max' ? 'max' : 'sum';
  }
  const full = n.attrs.poolSize?.[0] === xShape[1] && n.attrs.poolSize?.[1] === xShape[2] && xShape[1] !== null && n.outputShape?.[1] === 1 && n.outputShape?.[2] === 1;
  if ((n.op === 'tf.AvgPool' || n.op === 'AveragePooling2D') && full) return 'avg';
  if ((n.op === 'tf.MaxPool' || n.op === 'MaxPooling2D') && full) return 'max';
  return undefined;
}

/** A per-sample vector: every dim but the batch and the last is 1. */
function perSampleVector(s: Shape | null): boolean {
  return !!s && s.length >= 2 && s.length <= 4 && s.slice(1, -1).every((d) => d === 1);
}

interface Excitation {
  squeeze: GraphNode;
  kind: 'avg' | 'max';
  /** Nodes between the squeeze and the gate output, in network order. */
  nodes: GraphNode[];
  reduce: GraphNode;
  expand: GraphNode;
  reductionActivation: string;
  gate: string;
  reduceBias: boolean;
  expandBias: boolean;
}

/**
 * Everything the gate depends on, walking back to a squeeze of X: undefined as soon as a node
 * is not a per-sample vector (a feature map, another input) or the pooled tensor is not X.
 */
function excitationOf(gate: TensorRef, x: TensorRef, xShape: Shape, nodes: Map<string, GraphNode>, order: Map<string, number>): Excitation | undefined {
  const members = new Map<string, GraphNode>();
  let squeeze: GraphNode | undefined;
  let kind: 'avg' | 'max' | 'sum' | undefined;
  const stack = [gate.node];
  while (stack.length) {
    const n = nodes.get(stack.pop()!);
    if (!n) return undefined;
    if (members.has(n.name) || n === squeeze) continue;
    const k = squeezeOf(n, x, xShape);
    if (k) {
      if (squeeze && squeeze !== n) return undefined;
      squeeze = n;
      kind = k;
      continue;
    }
    if (!perSampleVector(n.outputShape) || n.inputs.length === 0) return undefined;
    members.set(n.name, n);
    if (members.size > MAX_EXCITATION) return undefined;
    for (const i of n.inputs) stack.push(i.node);
  }
  if (!squeeze || !kind) return undefined;
  const inner = [...members.values()].sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  const linear = inner.filter(isLinear);
  if (linear.length !== 2) return undefined;
  const [reduce, expand] = linear;
  // Each node's source: the squeeze or the linear layer its value comes from; one per node.
  const source = new Map<string, string>([[squeeze.name, squeeze.name]]);
  for (const n of inner) {
    const from = new Set(n.inputs.map((i) => source.get(i.node)));
    if (from.size !== 1 || from.has(undefined)) return undefined;
    source.set(n.name, isLinear(n) ? n.name : [...from][0]!);
  }
  const inputOf = (l: GraphNode) => nodes.get(l.inputs[0].node)!;
  if (source.get(inputOf(reduce).name) !== squeeze.name || source.get(inputOf(expand).name) !== reduce.name || source.get(gate.node) !== expand.name) return undefined;

  const from = (start: GraphNode) => inner.filter((n) => n !== start && source.get(n.name) === start.name);
  const pre = segment(squeeze, inputOf(reduce), from(squeeze));
  const mid = segment(reduce, inputOf(expand), from(reduce));
  const post = segment(expand, nodes.get(gate.node)!, from(expand));
  if (!pre || !mid || !post) return undefined;
  // Before the first linear layer only a scaling: 1 for a mean, 1 / (H W) for a sum.
  const hw = typeof xShape[1] === 'number' && typeof xShape[2] === 'number' ? xShape[1] * xShape[2] : undefined;
  const scale = pre.values[SAMPLES.indexOf(1)];
  const isScaling = SAMPLES.every((t, i) => Math.abs(pre.values[i] - scale * t) <= pre.tolerance * (1 + Math.abs(scale * t)));
  if (!isScaling || pre.affine) return undefined;
  const expected = kind === 'sum' ? (hw ? 1 / hw : NaN) : 1;
  if (Math.abs(scale - expected) > pre.tolerance * 4 + 1e-9 * expected) return undefined;
  const named = (s: Segment) => (s.name && !s.affine ? s.name : `custom (${s.ops.join(', ') || 'linear'})`);
  return {
    squeeze,
    kind: kind === 'sum' ? 'avg' : kind,
    nodes: inner,
    reduce,
    expand,
    reductionActivation: named(mid),
    gate: named(post),
    reduceBias: hasBias(reduce, inner),
    expandBias: hasBias(expand, inner),
  };
}

interface Segment {
  values: Float64Array;
  tolerance: number;
  name: string | undefined;
  /** Ops that shape the function (not reshapes), by their bare names. */
  ops: string[];
  /** A per-channel affine step after a nonlinearity: the function differs per channel. */
  affine: boolean;
}

/**
 * The scalar function from the output of `start` (a squeeze or linear layer, its own activation
 * included) to the output of `end`, at the sample points; undefined if a node on the way is not
 * elementwise.
 */
function segment(start: GraphNode, end: GraphNode, fromStart: GraphNode[]): Segment | undefined {
  const ops: string[] = [];
  const constants: { value: number; storedAs?: StoredPrecision }[] = [];
  const values = new Map<string, Float64Array>();
  const pure = new Set<string>();
  let affine = false;
  const own = fusedFunction(start);
  if (!own && isLinear(start)) return undefined;
  values.set(start.name, Float64Array.from(SAMPLES, own ?? ((t) => t)));
  if (isLinear(start) && (start.attrs.activation ?? 'linear') !== 'linear') ops.push(start.attrs.activation!);
  else pure.add(start.name);
  if (end !== start) {
    // The nodes fed by `start` that `end` depends on, in network order.
    const between = fromStart.filter((n) => n === end || dependsOn(end, n, fromStart));
    for (const n of between) {
      const ins = n.inputs.map((i) => values.get(i.node));
      if (ins.some((v) => !v)) return undefined;
      if (isAffine(n)) {
        // Part of the linear layer when it follows it directly; per-channel otherwise.
        if (!n.inputs.every((i) => pure.has(i.node))) affine = true;
        else pure.add(n.name);
        values.set(n.name, ins[0]!);
        continue;
      }
      const v = evaluateNode(n, ins as Float64Array[], constants);
      if (!v) return undefined;
      if (SHAPE_ONLY.has(n.op)) {
        if (n.inputs.every((i) => pure.has(i.node))) pure.add(n.name);
      } else ops.push(n.op.replace(/^(tf\.|ops\.)/, ''));
      values.set(n.name, v);
    }
  }
  const out = values.get(end.name);
  if (!out || out.some((v) => Number.isNaN(v))) return undefined;
  // Each constant's stored precision may move the function by about its relative error.
  const tolerance = 1e-6 + 4 * constants.reduce((a, c) => a + relativePrecision(c.value, c.storedAs), 0);
  return { values: out, tolerance, name: nameFunction(out, tolerance), ops, affine };
}

function dependsOn(n: GraphNode, on: GraphNode, inner: GraphNode[]): boolean {
  const byName = new Map(inner.map((m) => [m.name, m]));
  const stack = [n.name];
  const seen = new Set<string>();
  while (stack.length) {
    const m = byName.get(stack.pop()!);
    if (!m || seen.has(m.name)) continue;
    seen.add(m.name);
    if (m === on) return true;
    for (const i of m.inputs) stack.push(i.node);
  }
  return false;
}

/** Whether a linear layer carries a bias: its own (Keras use_bias, TF fused BiasAdd) or an affine add right after it. */
function hasBias(l: GraphNode, inner: GraphNode[]): boolean {
  if (l.domain === 'keras') return l.attrs.useBias !== false;
  if (l.weights.filter((w) => w.role === 'param').length > 1) return true;
  return inner.some((n) => n.inputs.length === 1 && n.inputs[0].node === l.name && (n.op === 'tf.BiasAdd' || ADD.has(n.op)) && isAffine(n));
}

function commonPrefix(names: string[]): string {
  let p = names[0] ?? '';
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  return p.replace(/[_/.-]+$/, '');
}

export function findSeBlocks(graph: ModelGraph, costs: GraphCosts): SeBlock[] {
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const order = new Map(graph.nodes.map((n, i) => [n.name, i]));
  const consumers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes)
    for (const i of n.inputs) {
      let list = consumers.get(i.node);
      if (!list) consumers.set(i.node, (list = []));
      list.push(n);
    }
  const blocks: SeBlock[] = [];
  for (const scale of graph.nodes) {
    if (!MULTIPLY.has(scale.op) || scale.inputs.length !== 2 || (scale.domain === 'tf' && scale.weights.length)) continue;
    for (const [xi, gi] of [[0, 1], [1, 0]]) {
      const x = scale.inputs[xi];
      const xShape = nodes.get(x.node)?.outputShape;
      if (!xShape || xShape.length !== 4 || typeof xShape[3] !== 'number') continue;
      const gShape = nodes.get(scale.inputs[gi].node)?.outputShape ?? null;
      if (!perSampleVector(gShape) || gShape![gShape!.length - 1] !== xShape[3]) continue;
      const ex = excitationOf(scale.inputs[gi], x, xShape, nodes, order);
      if (!ex) continue;
      const block = describe(ex, scale, x, xShape, scale.inputs[gi], nodes, consumers, costs);
      if (block) {
        blocks.push(block);
        break;
      }
    }
  }
  return blocks;
}

function describe(ex: Excitation, scale: GraphNode, x: TensorRef, xShape: Shape, gate: TensorRef, nodes: Map<string, GraphNode>, consumers: Map<string, GraphNode[]>, costs: GraphCosts): SeBlock | undefined {
  const channels = xShape[3] as number;
  const width = ex.reduce.outputShape?.[ex.reduce.outputShape.length - 1];
  if (typeof width !== 'number' || ex.expand.outputShape?.[ex.expand.outputShape.length - 1] !== channels) return undefined;
  const members = [ex.squeeze, ...ex.nodes, scale];
  const cost = (n: GraphNode) => costs.byNode.get(n.name);
  const prefix = commonPrefix([ex.squeeze.name, ex.reduce.name, ex.expand.name, scale.name]);
  return {
    name: prefix.length >= 2 && !/^\d+$/.test(prefix) ? prefix : scale.name,
    scaledLayer: x.node,
    channels,
    squeezedWidth: width,
    ratio: channels / width,
    squeeze: ex.kind,
    reductionActivation: ex.reductionActivation,
    gate: ex.gate,
    variant: variantOf(scale, x, nodes, consumers),
    params: members.reduce((a, n) => a + (cost(n)?.params ?? 0), 0),
    macs: members.reduce((a, n) => a + (cost(n)?.macs ?? 0), 0),
    layers: members.map((n) => n.name),
    squeezeLayer: ex.squeeze.name,
    reduceLayer: ex.reduce.name,
    expandLayer: ex.expand.name,
    gateLayer: gate.node,
    scaleLayer: scale.name,
    reduceBias: ex.reduceBias,
    expandBias: ex.expandBias,
    spatial: (xShape[1] ?? 0) * (xShape[2] ?? 0),
  };
}

function isResidualAdd(n: GraphNode | undefined, nodes: Map<string, GraphNode>): boolean {
  if (!n || !ADD.has(n.op) || n.inputs.length !== 2) return false;
  const [a, b] = n.inputs.map((i) => nodes.get(i.node)?.outputShape);
  return !!a && !!b && a.length === 4 && a.join() === b.join();
}

function ancestors(start: string, nodes: Map<string, GraphNode>): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const n = nodes.get(stack.pop()!);
    if (!n || seen.has(n.name)) continue;
    seen.add(n.name);
    for (const i of n.inputs) stack.push(i.node);
  }
  return seen;
}

/**
 * The SENet paper's integration variants. POST scales the output of a residual addition. Otherwise
 * follow the scaled tensor (through single-consumer layers) to a residual addition with other
 * operand O. Reached directly from the scale: O derived from the block's input X -> Identity (SE
 * on the identity path), else standard (SE on the branch, O the shortcut). Reached through a branch
 * of layers: O is X or derived from it -> PRE (`add(x, branch(SE(x)))`), else standard.
 */
function variantOf(scale: GraphNode, x: TensorRef, nodes: Map<string, GraphNode>, consumers: Map<string, GraphNode[]>): SeVariant {
  if (isResidualAdd(nodes.get(x.node), nodes)) return 'POST';
  let cur = scale;
  for (let step = 0; step < 16; step++) {
    const next = consumers.get(cur.name) ?? [];
    // Past the scale itself, a branch means the block's output already feeds the next unit.
    if (cur !== scale && next.length !== 1) return 'plain';
    const add = next.find((n) => isResidualAdd(n, nodes));
    if (add) {
      const other = add.inputs.find((i) => i.node !== cur.name);
      if (!other) return 'plain';
      const up = ancestors(other.node, nodes);
      if (up.has(scale.name)) return cur === scale ? 'PRE' : 'plain';
      const fromX = up.has(x.node);
      if (cur === scale) return fromX ? 'Identity' : 'standard';
      // Through the branch: the shortcut is X itself (or its projection) -> PRE; else the block's X is
      // inside the branch (MobileNetV3: SE, then the projection, then the add) -> standard.
      return fromX ? 'PRE' : 'standard';
    }
    if (next.length !== 1 || MULTIPLY.has(next[0].op)) return cur === scale && feedsOneResidualUnit(scale, nodes, consumers) ? 'PRE' : 'plain';
    cur = next[0];
  }
  return 'plain';
}

/** SE-PRE with a projection shortcut: both operands of the next residual addition descend from the scale. */
function feedsOneResidualUnit(scale: GraphNode, nodes: Map<string, GraphNode>, consumers: Map<string, GraphNode[]>): boolean {
  const queue = [...(consumers.get(scale.name) ?? [])];
  const seen = new Set<string>();
  while (queue.length && seen.size < 24) {
    const n = queue.shift()!;
    if (seen.has(n.name)) continue;
    seen.add(n.name);
    if (isResidualAdd(n, nodes)) return n.inputs.every((i) => ancestors(i.node, nodes).has(scale.name));
    queue.push(...(consumers.get(n.name) ?? []));
  }
  return false;
}
