/**
 * Finds Squeeze-and-Excitation blocks in the graph, in every form of se-reference.md:
 * scale = a multiply of a feature map X by a gate G, where G is computed from a global average
 * pooling of that same X through exactly two linear layers (Dense or 1x1 conv: reduce, expand)
 * with activations, reshapes and a gate (sigmoid, or hard sigmoid built from add/relu6/multiply).
 */
import type { GraphNode, ModelGraph, TensorRef } from '../graph/types.js';
import type { GraphCosts } from './cost.js';

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
const SHAPE_ONLY = new Set(['Reshape', 'Flatten', 'Dropout', 'tf.Reshape', 'tf.Squeeze', 'tf.ExpandDims', 'tf.Identity']);
const ACTIVATION_OPS: Record<string, string> = {
  'tf.Relu': 'relu', 'tf.Relu6': 'relu6', 'tf.Sigmoid': 'sigmoid', 'tf.Swish': 'swish', 'tf.Tanh': 'tanh', 'tf.Elu': 'elu',
  'tf.LeakyRelu': 'leaky_relu', 'tf.HardSigmoid': 'hard_sigmoid', LeakyReLU: 'leaky_relu', ELU: 'elu',
};
const SCALAR_OPS = new Set(['ops.Add', 'ops.Multiply', 'ops.TrueDivide', 'ops.Divide', 'tf.AddV2', 'tf.Add', 'tf.Mul', 'tf.RealDiv']);

/** The activation a node applies, by its Keras name ('silu' spelled 'swish'), or undefined. */
export function activationOf(n: GraphNode): string | undefined {
  let a: string | undefined;
  if (n.op === 'Activation') a = n.attrs.activation;
  else if (n.op === 'ReLU') a = n.attrs.maxValue === 6 ? 'relu6' : 'relu';
  else a = ACTIVATION_OPS[n.op];
  if (a === 'silu') return 'swish';
  if (a === 'hard_silu') return 'hard_swish';
  return a;
}

function fusedActivation(n: GraphNode): string | undefined {
  const a = n.attrs.activation;
  return a && a !== 'linear' ? (a === 'silu' ? 'swish' : a) : undefined;
}

function isLinear(n: GraphNode): boolean {
  if (n.op === 'Dense' || n.op === 'tf.MatMul' || n.op === 'tf._FusedMatMul') return true;
  if (n.op === 'Conv2D') return (n.attrs.kernelSize ?? [1, 1]).every((k) => k === 1);
  if (n.op === 'tf.Conv2D' || n.op === 'tf._FusedConv2D') return n.weights[0]?.shape[0] === 1 && n.weights[0]?.shape[1] === 1;
  return false;
}

function isSqueeze(n: GraphNode, graph: Map<string, GraphNode>): 'avg' | 'max' | undefined {
  if (n.op === 'GlobalAveragePooling2D') return 'avg';
  if (n.op === 'GlobalMaxPooling2D') return 'max';
  const x = graph.get(n.inputs[0]?.node ?? '')?.outputShape;
  if ((n.op === 'tf.Mean' || n.op === 'tf.Max') && x?.length === 4) {
    const axes = (Array.isArray(n.attrs.axis) ? n.attrs.axis : [n.attrs.axis]).map((a) => ((a as number) < 0 ? (a as number) + 4 : a));
    if (axes.length === 2 && axes.includes(1) && axes.includes(2)) return n.op === 'tf.Mean' ? 'avg' : 'max';
  }
  if (n.op === 'tf.AvgPool' && x?.length === 4 && n.attrs.poolSize?.[0] === x[1] && n.attrs.poolSize?.[1] === x[2]) return 'avg';
  return undefined;
}

/** A bias added after a bare MatMul/Conv2D in converted graphs (BiasAdd, or AddV2 with a constant vector). */
function isBiasAdd(n: GraphNode): boolean {
  return n.inputs.length === 1 && (n.op === 'tf.BiasAdd' || ADD.has(n.op)) && n.weights.some((w) => w.role === 'param');
}

const sameRef = (a: TensorRef, b: TensorRef) => a.node === b.node && a.output === b.output;

interface Chain {
  squeeze: GraphNode;
  kind: 'avg' | 'max';
  /** squeeze's consumers ... gate, in network order (squeeze excluded). */
  nodes: GraphNode[];
}

/** Walks back from a gate tensor through single-input excitation nodes to a squeeze. */
function traceGate(gate: TensorRef, nodes: Map<string, GraphNode>): Chain | undefined {
  const chain: GraphNode[] = [];
  let cur = nodes.get(gate.node);
  for (let depth = 0; cur && depth < 16; depth++) {
    const kind = isSqueeze(cur, nodes);
    if (kind) return { squeeze: cur, kind, nodes: chain.reverse() };
    const allowed = isLinear(cur) || SHAPE_ONLY.has(cur.op) || isBiasAdd(cur) || activationOf(cur) !== undefined || (SCALAR_OPS.has(cur.op) && (cur.attrs.scalars?.length ?? 0) > 0);
    if (!allowed || cur.inputs.length !== 1) return undefined;
    chain.push(cur);
    cur = nodes.get(cur.inputs[0].node);
  }
  return undefined;
}

/** Names the gate applied after the expand layer: sigmoid, or hard sigmoid from add(3) / relu6 / multiply(1/6). */
function gateName(expand: GraphNode, after: GraphNode[]): string | undefined {
  const ops = after.filter((n) => !SHAPE_ONLY.has(n.op) && !isBiasAdd(n));
  const hasScalar = (n: GraphNode, pred: (v: number) => boolean) => (n.attrs.scalars ?? []).some((s) => pred(s.value));
  const hard =
    ops.length === 3 &&
    ADD.has(ops[0].op) && hasScalar(ops[0], (v) => Math.abs(v - 3) < 1e-6) &&
    activationOf(ops[1]) === 'relu6' &&
    (hasScalar(ops[2], (v) => Math.abs(v - 1 / 6) < 1e-6) || (/Div/.test(ops[2].op) && hasScalar(ops[2], (v) => Math.abs(v - 6) < 1e-6)));
  if (hard) return 'hard_sigmoid';
  if (ops.length === 0) return fusedActivation(expand);
  if (ops.length === 1 && !fusedActivation(expand)) return activationOf(ops[0]);
  return undefined;
}

function commonPrefix(names: string[]): string {
  let p = names[0] ?? '';
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  return p.replace(/[_/.-]+$/, '');
}

export function findSeBlocks(graph: ModelGraph, costs: GraphCosts): SeBlock[] {
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const consumers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes)
    for (const i of n.inputs) {
      let list = consumers.get(i.node);
      if (!list) consumers.set(i.node, (list = []));
      list.push(n);
    }
  const blocks: SeBlock[] = [];
  for (const scale of graph.nodes) {
    if (!MULTIPLY.has(scale.op) || scale.inputs.length !== 2) continue;
    for (const [xi, gi] of [[0, 1], [1, 0]]) {
      const x = scale.inputs[xi];
      const xShape = nodes.get(x.node)?.outputShape;
      if (!xShape || xShape.length !== 4) continue;
      const chain = traceGate(scale.inputs[gi], nodes);
      // An attention gate pools one tensor and scales another: not SE.
      if (!chain || !sameRef(chain.squeeze.inputs[0], x)) continue;
      const block = describe(graph, chain, scale, x, nodes, consumers, costs);
      if (block) {
        blocks.push(block);
        break;
      }
    }
  }
  return blocks;
}

function describe(graph: ModelGraph, chain: Chain, scale: GraphNode, x: TensorRef, nodes: Map<string, GraphNode>, consumers: Map<string, GraphNode[]>, costs: GraphCosts): SeBlock | undefined {
  const linear = chain.nodes.filter(isLinear);
  if (linear.length !== 2) return undefined;
  const [reduce, expand] = linear;
  const i1 = chain.nodes.indexOf(reduce);
  const i2 = chain.nodes.indexOf(expand);
  const between = chain.nodes.slice(i1 + 1, i2).filter((n) => !SHAPE_ONLY.has(n.op) && !isBiasAdd(n));
  if (between.length > 1 || (between.length === 1 && fusedActivation(reduce))) return undefined;
  const reductionActivation = fusedActivation(reduce) ?? (between[0] ? activationOf(between[0]) : 'linear');
  if (!reductionActivation) return undefined;
  const gate = gateName(expand, chain.nodes.slice(i2 + 1));
  if (!gate) return undefined;
  const xShape = nodes.get(x.node)!.outputShape!;
  const channels = xShape[3];
  const width = reduce.outputShape?.[reduce.outputShape.length - 1];
  if (typeof channels !== 'number' || typeof width !== 'number' || expand.outputShape?.[expand.outputShape.length - 1] !== channels) return undefined;
  const members = [chain.squeeze, ...chain.nodes, scale];
  const cost = (n: GraphNode) => costs.byNode.get(n.name);
  const hasBias = (n: GraphNode) => n.weights.filter((w) => w.role === 'param').length > 1;
  const prefix = commonPrefix([chain.squeeze.name, reduce.name, expand.name, scale.name]);
  return {
    name: prefix.length >= 2 && !/^\d+$/.test(prefix) ? prefix : scale.name,
    scaledLayer: x.node,
    channels,
    squeezedWidth: width,
    ratio: channels / width,
    squeeze: chain.kind,
    reductionActivation,
    gate,
    variant: variantOf(scale, x, nodes, consumers),
    params: members.reduce((a, n) => a + (cost(n)?.params ?? 0), 0),
    macs: members.reduce((a, n) => a + (cost(n)?.macs ?? 0), 0),
    layers: members.map((n) => n.name),
    squeezeLayer: chain.squeeze.name,
    reduceLayer: reduce.name,
    expandLayer: expand.name,
    gateLayer: chain.nodes[chain.nodes.length - 1].name,
    scaleLayer: scale.name,
    reduceBias: hasBias(reduce),
    expandBias: hasBias(expand),
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
 * The SENet paper's integration variants: POST scales the output of a residual addition;
 * otherwise follow the scaled tensor (through single-consumer layers) to a residual addition and
 * look at its other operand O: derived from the scaled output -> PRE, from the block's input X
 * -> Identity, from neither (the shortcut) -> standard. No addition -> plain.
 */
function variantOf(scale: GraphNode, x: TensorRef, nodes: Map<string, GraphNode>, consumers: Map<string, GraphNode[]>): SeVariant {
  if (isResidualAdd(nodes.get(x.node), nodes)) return 'POST';
  let cur = scale;
  for (let step = 0; step < 6; step++) {
    const next = consumers.get(cur.name) ?? [];
    // Past the scale itself, a branch means the block's output already feeds the next unit.
    if (cur !== scale && next.length !== 1) return 'plain';
    const add = next.find((n) => isResidualAdd(n, nodes));
    if (add) {
      const other = add.inputs.find((i) => i.node !== cur.name);
      if (!other) return 'plain';
      const up = ancestors(other.node, nodes);
      if (up.has(scale.name)) return cur === scale ? 'PRE' : 'plain';
      if (up.has(x.node)) return 'Identity';
      return 'standard';
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
