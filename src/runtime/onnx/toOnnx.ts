/**
 * Our ModelGraph (Keras / tfjs-layers semantics, NHWC) as an ONNX graph, built in memory.
 *
 * - Layout: onnxruntime's CPU convolutions and pools are NCHW. A 4D tensor is transposed to NCHW
 *   once, where the first op that wants it meets it, and stays NCHW through every op that does not
 *   care (activations, merges, BatchNorm, padding, pooling); it goes back to NHWC only where the
 *   meaning depends on the order (Flatten, Reshape, Dense on a 4D map) and at the graph's outputs
 *   and captured nodes, which therefore come out exactly as the layers engine returns them.
 * - BatchNormalization right after a convolution that nothing else reads is folded into the
 *   convolution's kernel and bias (one pass less, one set of weights less).
 * - Weights are not written into the protobuf: each is handed to a WeightSink (an external data
 *   file) as soon as it is converted and dropped, so the converter never holds the model's weights.
 * - Definitions follow the layers engine (src/runtime/kernels/*), so both give the same numbers.
 *
 * `unsupportedForOnnx` is the cheap check (no weights read) that says why a graph cannot convert.
 */
import type { GraphNode, ModelGraph, WeightStore } from '../../graph/types.js';
import { RuntimeError } from '../../util/errors.js';
import { kerasGeneration } from '../executor.js';
import type { AttrValue, OnnxGraph, OnnxInitializer, OnnxNode, OnnxValueInfo } from './onnxProto.js';

/** A tensor of the ONNX graph: its name, its rank, and whether a 4D one is held as NCHW. */
interface Val {
  name: string;
  rank: number;
  nchw: boolean;
}

/**
 * Where the weights go as they are converted, one at a time: their location in the external data.
 * `put` must be done with `bytes` when it returns (the converter reuses the buffer behind them).
 */
export interface WeightSink {
  put(bytes: Uint8Array): { location: string; offset: number };
}

export interface ConvertedGraph {
  graph: OnnxGraph;
  /** ONNX output name of each graph output, in `graph.outputs` order. */
  outputNames: string[];
  /** ONNX output name of each captured node. */
  captureNames: Map<string, string>;
  weightBytes: number;
}

const IDENTITY_OPS = new Set(['Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'ActivityRegularization']);
const INPUT_OPS = new Set(['InputLayer']);
const CONV_OPS = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);
const MERGE_OPS = new Set(['Add', 'Multiply', 'Subtract', 'Average', 'Maximum', 'Minimum']);
const ELEMENTWISE_OPS: Record<string, string> = {
  'ops.Add': 'Add', 'ops.Multiply': 'Mul', 'ops.Subtract': 'Sub', 'ops.Divide': 'Div', 'ops.TrueDivide': 'Div', 'ops.Maximum': 'Max', 'ops.Minimum': 'Min',
};
const MERGE_ONNX: Record<string, string> = { Add: 'Add', Multiply: 'Mul', Subtract: 'Sub', Average: 'Add', Maximum: 'Max', Minimum: 'Min' };
const ACTIVATIONS = new Set([
  'linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'log_softmax', 'softplus', 'softsign', 'elu', 'selu', 'exponential', 'leaky_relu',
  'hard_sigmoid', 'hard_silu', 'hard_swish', 'silu', 'swish', 'gelu', 'mish', 'log_sigmoid', 'hard_tanh', 'tanh_shrink',
]);
const OTHER_OPS = new Set([
  'Dense', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'BatchNormalization', 'LayerNormalization',
  'Rescaling', 'Normalization', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Softmax', 'Concatenate', 'Reshape', 'Flatten',
  'ZeroPadding2D', 'Cropping2D',
]);

/** Every op this converter handles (the rest of RUNNABLE_OPS are TF graph ops). */
export const ONNX_CONVERTIBLE_OPS: readonly string[] = [...INPUT_OPS, ...IDENTITY_OPS, ...CONV_OPS, ...MERGE_OPS, ...Object.keys(ELEMENTWISE_OPS), ...OTHER_OPS];
const CONVERTIBLE = new Set(ONNX_CONVERTIBLE_OPS);

/** Nodes the outputs (and `capture`) depend on, by name. */
function liveNodes(graph: ModelGraph, capture: readonly string[] = []): Set<string> {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const seen = new Set<string>();
  const stack = [...graph.outputs.map((o) => o.node), ...capture];
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const r of byName.get(name)?.inputs ?? []) stack.push(r.node);
  }
  return seen;
}

function nodeProblem(node: GraphNode): string | undefined {
  if (node.domain === 'tf' || node.op.startsWith('tf.')) return `node '${node.name}' is a TensorFlow graph op (${node.op.replace(/^tf\./, '')}); TF ops are not converted to ONNX`;
  if (!CONVERTIBLE.has(node.op)) return `layer '${node.name}' (${node.op}) has no ONNX conversion`;
  const act = node.attrs.activation;
  if ((node.op === 'Activation' || CONV_OPS.has(node.op) || node.op === 'Dense') && act !== undefined && !ACTIVATIONS.has(act)) return `layer '${node.name}' has activation '${act}', which has no ONNX conversion`;
  return undefined;
}

/** Why the graph cannot run on ONNX, or undefined when every node it needs converts (no weights read). */
export function unsupportedForOnnx(graph: ModelGraph, capture: readonly string[] = []): string | undefined {
  if (graph.format === 'tfjs-graph') return 'graph models run on tfjs-converter';
  const live = liveNodes(graph, capture);
  for (const node of graph.nodes) {
    if (!live.has(node.name)) continue;
    const p = nodeProblem(node);
    if (p) return p;
  }
  return undefined;
}

const pair = (v: number[] | undefined, fallback: number): [number, number] => (!v || v.length === 0 ? [fallback, fallback] : v.length === 1 ? [v[0], v[0]] : [v[0], v[1]]);
/** NHWC axis -> NCHW axis of a 4D tensor. */
const NCHW_AXIS = [0, 2, 3, 1];

export function convertToOnnx(graph: ModelGraph, weights: WeightStore, sink: WeightSink, capture: readonly string[] = []): ConvertedGraph {
  const problem = unsupportedForOnnx(graph, capture);
  if (problem) throw new RuntimeError(`backend 'onnx' cannot run this model: ${problem}`, graph.path);
  return new Converter(graph, weights, sink).convert(capture);
}

class Converter {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxInitializer[] = [];
  private readonly values = new Map<string, Val>();
  private readonly scalars = new Map<string, string>();
  /** NHWC <-> NCHW copies already made, by source name. */
  private readonly relaid = new Map<string, Val>();
  private readonly used = new Set<string>();
  private weightBytes = 0;
  private readonly keras: 2 | 3;
  /** BatchNormalization nodes folded into the convolution before them: BN name -> conv name. */
  private readonly folded = new Map<string, string>();
  private readonly foldInto = new Map<string, GraphNode>();
  /** Rewritten kernels are built here, one at a time, and written out before the next: no garbage per weight. */
  private scratchBuffer = new Float32Array(0);

  constructor(
    private readonly graph: ModelGraph,
    private readonly weights: WeightStore,
    private readonly sink: WeightSink,
  ) {
    this.keras = kerasGeneration(graph);
  }

  convert(capture: readonly string[]): ConvertedGraph {
    const g = this.graph;
    const live = liveNodes(g, capture);
    this.planFolding(live, new Set(capture));
    const inputs: OnnxValueInfo[] = g.inputs.map((name, i) => {
      const spec = g.inputSpecs[i];
      const shape = spec?.shape ?? (i === 0 ? g.declaredInputShape : null);
      if (!shape) throw new RuntimeError(`backend 'onnx' cannot run this model: input '${name}' has no known rank`, g.path);
      const dtype = spec?.dtype === 'int32' ? 'int32' : 'float';
      return { name, dtype, dims: shape.map((d, k) => (k === 0 ? 'N' : d)) };
    });
    for (const name of g.inputs) this.used.add(name);
    g.inputs.forEach((name, i) => {
      let v: Val = { name, rank: inputs[i].dims!.length, nchw: false };
      if (inputs[i].dtype === 'int32') v = this.op('Cast', [v.name], { to: 1 }, v, `${name}/cast`);
      this.values.set(`${name}\u0000 0`, v);
    });
    for (const node of g.nodes) {
      if (!live.has(node.name) || g.inputs.includes(node.name)) continue;
      if (INPUT_OPS.has(node.op)) throw new RuntimeError(`backend 'onnx' cannot run this model: input layer '${node.name}' is not fed`, g.path);
      this.values.set(`${node.name}\u0000 0`, this.convertNode(node));
    }
    const outputNames = g.outputs.map((o, i) => this.emitOutput(this.value(o.node, o.output), `output_${i}`));
    const captureNames = new Map<string, string>();
    for (const name of new Set(capture)) captureNames.set(name, this.emitOutput(this.value(name, 0), `capture_${captureNames.size}`));
    const outputs: OnnxValueInfo[] = [...outputNames, ...captureNames.values()].map((name) => ({ name, dtype: 'float', dims: null }));
    return { graph: { name: g.name || 'model', nodes: this.nodes, initializers: this.initializers, inputs, outputs }, outputNames, captureNames, weightBytes: this.weightBytes };
  }

  /** Conv -> BatchNormalization pairs where the conv's output goes nowhere else. */
  private planFolding(live: Set<string>, captured: Set<string>): void {
    const readers = new Map<string, number>();
    for (const n of this.graph.nodes) for (const r of n.inputs) readers.set(r.node, (readers.get(r.node) ?? 0) + 1);
    const outputs = new Set(this.graph.outputs.map((o) => o.node));
    const byName = new Map(this.graph.nodes.map((n) => [n.name, n]));
    for (const bn of this.graph.nodes) {
      if (bn.op !== 'BatchNormalization' || !live.has(bn.name) || bn.inputs.length !== 1) continue;
      const conv = byName.get(bn.inputs[0].node);
      if (!conv || !CONV_OPS.has(conv.op) || (conv.attrs.activation ?? 'linear') !== 'linear') continue;
      if (readers.get(conv.name) !== 1 || outputs.has(conv.name) || captured.has(conv.name)) continue;
      this.folded.set(bn.name, conv.name);
      this.foldInto.set(conv.name, bn);
    }
  }

  // --- names, constants, layout ---------------------------------------------------------------

  private fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  private fail(node: GraphNode, what: string): never {
    throw new RuntimeError(`backend 'onnx' cannot run layer '${node.name}' (${node.op}): ${what}`, this.graph.path);
  }

  private value(node: string, output: number): Val {
    const v = this.values.get(`${node}\u0000 ${output}`);
    if (!v) throw new RuntimeError(`backend 'onnx' cannot run this model: '${node}' output ${output} is not computed before it is used`, this.graph.path);
    return v;
  }

  private input(node: GraphNode, i: number): Val {
    const r = node.inputs[i];
    if (!r) this.fail(node, `has no input ${i}`);
    return this.value(r.node, r.output);
  }

  /** An initializer: small ones (shapes, scalars) inline, where shape inference reads them; the rest to the sink. */
  private tensor(base: string, data: Float32Array | BigInt64Array, dims: number[]): string {
    const name = this.fresh(base);
    const dtype = data instanceof BigInt64Array ? 'int64' : 'float';
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (dtype === 'int64' || data.length <= 16) {
      this.initializers.push({ name, dims, dtype, raw: bytes.slice() });
    } else {
      const { location, offset } = this.sink.put(bytes);
      this.initializers.push({ name, dims, dtype, location, offset, byteLength: bytes.byteLength });
    }
    if (data instanceof Float32Array) this.weightBytes += data.byteLength;
    return name;
  }

  private ints(base: string, values: number[]): string {
    return this.tensor(base, BigInt64Array.from(values, (v) => BigInt(v)), [values.length]);
  }

  /** A float32 scalar constant, shared per value. */
  private scalar(v: number): string {
    const key = String(Math.fround(v));
    let name = this.scalars.get(key);
    if (!name) {
      name = this.tensor(`const_${key}`, Float32Array.of(v), []);
      this.scalars.set(key, name);
    }
    return name;
  }

  private emit(op: string, inputs: string[], attrs: Record<string, AttrValue> | undefined, base: string): string {
    const out = this.fresh(base);
    this.nodes.push({ op, inputs, outputs: [out], name: out, attrs });
    return out;
  }

  /** An op whose output has the rank and layout of `like`. */
  private op(op: string, inputs: string[], attrs: Record<string, AttrValue> | undefined, like: Val, base: string): Val {
    return { name: this.emit(op, inputs, attrs, base), rank: like.rank, nchw: like.nchw };
  }

  private toNchw(v: Val): Val {
    if (v.nchw || v.rank !== 4) return v;
    const key = `nchw\u0000${v.name}`;
    let r = this.relaid.get(key);
    if (!r) {
      r = { name: this.emit('Transpose', [v.name], { perm: [0, 3, 1, 2] }, `${v.name}/nchw`), rank: 4, nchw: true };
      this.relaid.set(key, r);
    }
    return r;
  }

  private toNative(v: Val): Val {
    if (!v.nchw) return v;
    const key = `nhwc\u0000${v.name}`;
    let r = this.relaid.get(key);
    if (!r) {
      r = { name: this.emit('Transpose', [v.name], { perm: [0, 2, 3, 1] }, `${v.name}/nhwc`), rank: 4, nchw: false };
      this.relaid.set(key, r);
    }
    return r;
  }

  /** A per-channel (last NHWC axis) constant shaped to broadcast against `v`. */
  private channelConst(base: string, data: Float32Array, v: Val): string {
    return this.tensor(base, data, v.nchw ? [data.length, 1, 1] : [data.length]);
  }

  private emitOutput(v: Val, base: string): string {
    return this.emit('Identity', [this.toNative(v).name], undefined, base);
  }

  private weight(node: GraphNode, name: string): { values: Float32Array; shape: number[] } {
    const spec = node.weights.find((w) => w.name === name);
    if (!spec) this.fail(node, `has no '${name}' weight`);
    const values = this.weights.get(spec.id);
    if (!values) this.fail(node, `its weight '${spec.name}' (${spec.id}) is missing from the file`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) this.fail(node, `its weight '${spec.name}' holds ${values.length} values, but its shape [${spec.shape.join(', ')}] needs ${size}`);
    return { values, shape: spec.shape };
  }

  private scratch(n: number): Float32Array {
    if (this.scratchBuffer.length < n) this.scratchBuffer = new Float32Array(n);
    return this.scratchBuffer.subarray(0, n);
  }

  // --- activations ----------------------------------------------------------------------------

  private activation(node: GraphNode, name: string | undefined, x: Val): Val {
    const base = `${node.name}/${name}`;
    const un = (op: string, attrs?: Record<string, AttrValue>) => this.op(op, [x.name], attrs, x, base);
    const lastAxis = x.nchw ? 1 : -1;
    const mul = (a: Val, b: Val) => this.op('Mul', [a.name, b.name], undefined, x, base);
    switch (name ?? 'linear') {
      case 'linear':
        return x;
      case 'relu':
        return un('Relu');
      case 'relu6':
        return this.op('Clip', [x.name, this.scalar(0), this.scalar(6)], undefined, x, base);
      case 'sigmoid':
        return un('Sigmoid');
      case 'tanh':
        return un('Tanh');
      case 'softmax':
        return un('Softmax', { axis: lastAxis });
      case 'log_softmax':
        return un('LogSoftmax', { axis: lastAxis });
      case 'softplus':
        return un('Softplus');
      case 'softsign':
        return un('Softsign');
      case 'elu':
        return un('Elu');
      case 'selu':
        return un('Selu');
      case 'exponential':
        return un('Exp');
      case 'leaky_relu':
        return un('LeakyRelu', { alpha: { float: 0.2 } });
      case 'hard_sigmoid':
        // Keras 2 / tfjs-layers: clip(0.2x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6 = clip(x/6 + 0.5, 0, 1)
        return un('HardSigmoid', { alpha: { float: this.keras === 2 ? 0.2 : 1 / 6 }, beta: { float: 0.5 } });
      case 'hard_silu':
      case 'hard_swish':
        return un('HardSwish');
      case 'silu':
      case 'swish':
        return mul(x, un('Sigmoid'));
      case 'gelu': {
        const e = this.op('Erf', [this.op('Mul', [x.name, this.scalar(Math.SQRT1_2)], undefined, x, base).name], undefined, x, base);
        const half = this.op('Mul', [x.name, this.scalar(0.5)], undefined, x, base);
        return mul(half, this.op('Add', [e.name, this.scalar(1)], undefined, x, base));
      }
      case 'mish':
        return mul(x, this.op('Tanh', [un('Softplus').name], undefined, x, base));
      case 'log_sigmoid':
        return this.op('Neg', [this.op('Softplus', [un('Neg').name], undefined, x, base).name], undefined, x, base);
      case 'hard_tanh':
        return this.op('Clip', [x.name, this.scalar(-1), this.scalar(1)], undefined, x, base);
      case 'tanh_shrink':
        return this.op('Sub', [x.name, un('Tanh').name], undefined, x, base);
      default:
        return this.fail(node, `unsupported activation '${name}'`);
    }
  }

  /** Keras ReLU(max_value, negative_slope, threshold), as the layers engine computes it. */
  private kerasRelu(node: GraphNode, x: Val): Val {
    const maxValue = node.attrs.maxValue ?? null;
    const slope = node.attrs.negativeSlope ?? 0;
    const threshold = node.attrs.threshold ?? 0;
    const base = `${node.name}/relu`;
    const op = (o: string, ins: string[], attrs?: Record<string, AttrValue>) => this.op(o, ins, attrs, x, base);
    if (slope === 0 && threshold === 0) {
      if (maxValue === null) return op('Relu', [x.name]);
      return op('Clip', [x.name, this.scalar(0), this.scalar(maxValue)]);
    }
    if (slope !== 0 && maxValue === null && threshold === 0) return op('LeakyRelu', [x.name], { alpha: { float: slope } });
    const negX = op('Neg', [x.name]);
    const negative = slope !== 0 ? op('Relu', [threshold !== 0 ? op('Add', [negX.name, this.scalar(threshold)]).name : negX.name]) : undefined;
    let y = threshold !== 0 ? op('Mul', [x.name, op('Cast', [op('Greater', [x.name, this.scalar(threshold)]).name], { to: 1 }).name]) : op('Relu', [x.name]);
    if (maxValue !== null) y = op('Clip', [y.name, this.scalar(0), this.scalar(maxValue)]);
    return negative ? op('Sub', [y.name, op('Mul', [negative.name, this.scalar(slope)]).name]) : y;
  }

  // --- layers ---------------------------------------------------------------------------------

  private convertNode(node: GraphNode): Val {
    const a = node.attrs;
    const x0 = () => this.input(node, 0);
    if (IDENTITY_OPS.has(node.op)) return x0();
    if (this.folded.has(node.name)) return x0(); // its conv already applied it
    if (CONV_OPS.has(node.op)) return this.conv(node);
    if (MERGE_OPS.has(node.op)) return this.merge(node);
    if (ELEMENTWISE_OPS[node.op]) return this.elementwise(node);
    switch (node.op) {
      case 'Dense':
        return this.dense(node);
      case 'Activation':
        return this.activation(node, a.activation, x0());
      case 'ReLU':
        return this.kerasRelu(node, x0());
      case 'LeakyReLU': {
        const x = x0();
        return this.op('LeakyRelu', [x.name], { alpha: { float: a.negativeSlope ?? 0.3 } }, x, node.name);
      }
      case 'ELU': {
        const x = x0();
        return this.op('Elu', [x.name], { alpha: { float: a.scale ?? 1 } }, x, node.name);
      }
      case 'ThresholdedReLU': {
        const x = x0();
        return this.op('ThresholdedRelu', [x.name], { alpha: { float: a.threshold ?? 1 } }, x, node.name);
      }
      case 'Softmax': {
        const x = x0();
        const axis = typeof a.axis === 'number' ? a.axis : -1;
        return this.op('Softmax', [x.name], { axis: this.axisOf(x, axis) }, x, node.name);
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const x = this.toNchw(this.need4d(node, x0()));
        const attrs: Record<string, AttrValue> = { kernel_shape: pair(a.poolSize, 2), strides: pair(a.strides ?? a.poolSize, 2), auto_pad: a.padding === 'same' ? 'SAME_UPPER' : 'VALID' };
        // Like TF, padded positions are left out of the average (count_include_pad = 0, the default).
        return this.op(node.op === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [x.name], attrs, x, node.name);
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const x = this.toNchw(this.need4d(node, x0()));
        const pooled = this.op(node.op === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', [x.name], undefined, x, node.name);
        if (a.keepdims) return pooled; // [N, C, 1, 1] = NHWC [N, 1, 1, C]
        return { name: this.emit('Flatten', [pooled.name], { axis: 1 }, `${node.name}/flat`), rank: 2, nchw: false };
      }
      case 'BatchNormalization':
        return this.batchNorm(node, x0());
      case 'LayerNormalization':
        return this.layerNorm(node, this.toNative(x0()));
      case 'Rescaling': {
        const x = x0();
        if (a.scale === undefined) this.fail(node, 'has no scalar scale');
        const y = this.op('Mul', [x.name, this.scalar(a.scale)], undefined, x, node.name);
        return a.offset ? this.op('Add', [y.name, this.scalar(a.offset)], undefined, x, node.name) : y;
      }
      case 'Normalization': {
        const x = x0();
        const mean = a.mean ? Float32Array.from(a.mean) : this.weight(node, 'mean').values;
        const variance = a.variance ?? this.weight(node, 'variance').values;
        const inv = Float32Array.from(variance, (v) => 1 / Math.max(Math.sqrt(v), 1e-7));
        const d = this.op('Sub', [x.name, this.channelConst(`${node.name}/mean`, mean, x)], undefined, x, node.name);
        return this.op('Mul', [d.name, this.channelConst(`${node.name}/inv_std`, inv, x)], undefined, x, node.name);
      }
      case 'Concatenate': {
        if (typeof a.axis !== 'number') this.fail(node, 'has no constant concatenation axis');
        const xs = node.inputs.map((_, i) => this.input(node, i));
        if (xs.length === 1) return xs[0];
        const nchw = xs.every((v) => v.rank === 4) && xs.some((v) => v.nchw);
        const ins = xs.map((v) => (nchw ? this.toNchw(v) : this.toNative(v)));
        return this.op('Concat', ins.map((v) => v.name), { axis: this.axisOf(ins[0], a.axis) }, ins[0], node.name);
      }
      case 'Reshape': {
        const x = this.toNative(x0());
        const target = a.targetShape;
        if (!target) this.fail(node, 'has no target_shape');
        const dims = target.map((d) => (d === null ? -1 : d));
        if (dims.filter((d) => d === -1).length > 1) this.fail(node, `has more than one open dimension in target_shape ${JSON.stringify(target)}`);
        if (dims.includes(0)) this.fail(node, 'has a zero in target_shape');
        return { name: this.emit('Reshape', [x.name, this.ints(`${node.name}/shape`, [0, ...dims])], undefined, node.name), rank: dims.length + 1, nchw: false };
      }
      case 'Flatten': {
        const x = this.toNative(x0());
        if (x.rank === 2) return x;
        return { name: this.emit('Flatten', [x.name], { axis: 1 }, node.name), rank: 2, nchw: false };
      }
      case 'ZeroPadding2D': {
        const x = this.toNchw(this.need4d(node, x0()));
        const p = a.pads;
        if (!p || p.length !== 2) this.fail(node, 'has no padding amounts');
        return this.op('Pad', [x.name, this.ints(`${node.name}/pads`, [0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1]])], { mode: 'constant' }, x, node.name);
      }
      case 'Cropping2D': {
        const x = this.toNchw(this.need4d(node, x0()));
        const p = a.pads;
        if (!p || p.length !== 2) this.fail(node, 'has no cropping amounts');
        const end = (n: number) => (n > 0 ? -n : 2 ** 53 - 1);
        const ins = [x.name, this.ints(`${node.name}/starts`, [p[0][0], p[1][0]]), this.ints(`${node.name}/ends`, [end(p[0][1]), end(p[1][1])]), this.ints(`${node.name}/axes`, [2, 3])];
        return this.op('Slice', ins, undefined, x, node.name);
      }
      default:
        return this.fail(node, 'has no ONNX conversion');
    }
  }

  private need4d(node: GraphNode, x: Val): Val {
    if (x.rank !== 4) this.fail(node, `expects a 4D NHWC input, got rank ${x.rank}`);
    return x;
  }

  /** A Keras (NHWC) axis on `v`'s layout. */
  private axisOf(v: Val, axis: number): number {
    if (!v.nchw) return axis;
    return NCHW_AXIS[axis < 0 ? axis + 4 : axis];
  }

  /** BatchNormalization in inference: y = x * s + t with s = gamma / sqrt(var + eps), t = beta - mean * s. */
  private bnAffine(bn: GraphNode): { s: Float32Array; t: Float32Array } {
    const a = bn.attrs;
    const mean = this.weight(bn, 'moving_mean').values;
    const variance = this.weight(bn, 'moving_variance').values;
    const gamma = a.scaleGamma === false ? undefined : this.weight(bn, 'gamma').values;
    const beta = a.center === false ? undefined : this.weight(bn, 'beta').values;
    const eps = a.epsilon ?? 1e-3;
    const s = new Float32Array(mean.length);
    const t = new Float32Array(mean.length);
    for (let c = 0; c < mean.length; c++) {
      s[c] = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + eps);
      t[c] = (beta ? beta[c] : 0) - mean[c] * s[c];
    }
    return { s, t };
  }

  private batchNorm(node: GraphNode, x: Val): Val {
    const { s, t } = this.bnAffine(node);
    const y = this.op('Mul', [x.name, this.channelConst(`${node.name}/scale`, s, x)], undefined, x, node.name);
    return this.op('Add', [y.name, this.channelConst(`${node.name}/shift`, t, x)], undefined, x, node.name);
  }

  private layerNorm(node: GraphNode, x: Val): Val {
    const a = node.attrs;
    const gamma = a.scaleGamma === false ? undefined : this.weight(node, 'gamma').values;
    const beta = a.center === false ? undefined : this.weight(node, 'beta').values;
    const c = gamma?.length ?? beta?.length ?? node.outputShape?.[node.outputShape.length - 1];
    if (typeof c !== 'number') this.fail(node, 'has neither gamma nor beta and an unknown channel count');
    const ins = [x.name, this.tensor(`${node.name}/gamma`, gamma ?? new Float32Array(c).fill(1), [c])];
    if (beta) ins.push(this.tensor(`${node.name}/beta`, beta, [c]));
    return this.op('LayerNormalization', ins, { axis: -1, epsilon: { float: a.epsilon ?? 1e-3 } }, x, node.name);
  }

  /** Conv2D / DepthwiseConv2D / SeparableConv2D (HWIO kernels -> OIHW), a following BatchNorm folded in. */
  private conv(node: GraphNode): Val {
    const a = node.attrs;
    const x = this.toNchw(this.need4d(node, this.input(node, 0)));
    const bn = this.foldInto.get(node.name);
    const affine = bn ? this.bnAffine(bn) : undefined;
    const strides = pair(a.strides, 1);
    const dilations = pair(a.dilations, 1);
    const autoPad = a.padding === 'same' ? 'SAME_UPPER' : 'VALID';
    const bias = a.useBias === false ? undefined : this.weight(node, 'bias').values;
    let input = x;
    let k: { values: Float32Array; shape: number[] };
    let group = 1;
    let oihw: Float32Array;
    let kernelHW: [number, number];
    let convStrides = strides;
    let convDilations = dilations;
    let convPad = autoPad;
    if (node.op === 'SeparableConv2D') {
      const dk = this.weight(node, 'depthwise_kernel');
      const [kh, kw, cin, m] = dk.shape;
      const dw = this.emit('Conv', [input.name, this.tensor(`${node.name}/depthwise`, depthwiseToOihw(dk.values, dk.shape, this.scratch(dk.values.length)), [cin * m, 1, kh, kw])], { kernel_shape: [kh, kw], strides, dilations, group: cin, auto_pad: autoPad }, `${node.name}/depthwise`);
      input = { name: dw, rank: 4, nchw: true };
      k = this.weight(node, 'pointwise_kernel');
      oihw = hwioToOihw(k.values, k.shape, this.scratch(k.values.length));
      kernelHW = [1, 1];
      convStrides = [1, 1];
      convDilations = [1, 1];
      convPad = 'VALID';
    } else if (node.op === 'DepthwiseConv2D') {
      k = this.weight(node, 'depthwise_kernel');
      group = k.shape[2];
      oihw = depthwiseToOihw(k.values, k.shape, this.scratch(k.values.length));
      kernelHW = [k.shape[0], k.shape[1]];
    } else {
      k = this.weight(node, 'kernel');
      group = a.groups ?? 1;
      oihw = hwioToOihw(k.values, k.shape, this.scratch(k.values.length));
      kernelHW = [k.shape[0], k.shape[1]];
    }
    if (k.shape.length !== 4) this.fail(node, `has a kernel of shape [${k.shape.join(', ')}], not 4D`);
    const cout = node.op === 'DepthwiseConv2D' ? k.shape[2] * k.shape[3] : k.shape[3];
    const perOut = oihw.length / cout;
    let b = bias ? Float32Array.from(bias) : undefined;
    if (affine) {
      if (affine.s.length !== cout) this.fail(node, `is followed by a BatchNormalization of ${affine.s.length} channels, not ${cout}`);
      for (let o = 0; o < cout; o++) {
        const s = affine.s[o];
        for (let i = o * perOut; i < (o + 1) * perOut; i++) oihw[i] *= s;
      }
      const folded = new Float32Array(cout);
      for (let o = 0; o < cout; o++) folded[o] = (b ? b[o] : 0) * affine.s[o] + affine.t[o];
      b = folded;
    }
    const ins = [input.name, this.tensor(`${node.name}/kernel`, oihw, [cout, oihw.length / cout / (kernelHW[0] * kernelHW[1]), ...kernelHW])];
    if (b) ins.push(this.tensor(`${node.name}/bias`, b, [cout]));
    const y: Val = { name: this.emit('Conv', ins, { kernel_shape: kernelHW, strides: convStrides, dilations: convDilations, group, auto_pad: convPad }, bn ? bn.name : node.name), rank: 4, nchw: true };
    return this.activation(node, a.activation, y);
  }

  private dense(node: GraphNode): Val {
    const a = node.attrs;
    const x = this.toNative(this.input(node, 0));
    const k = this.weight(node, 'kernel');
    if (k.shape.length !== 2) this.fail(node, `has a kernel of shape [${k.shape.join(', ')}], not 2D`);
    const bias = a.useBias === false ? undefined : this.weight(node, 'bias');
    const kernel = this.tensor(`${node.name}/kernel`, k.values, k.shape);
    let y: Val;
    if (x.rank === 2) {
      const ins = [x.name, kernel];
      if (bias) ins.push(this.tensor(`${node.name}/bias`, bias.values, bias.shape));
      y = this.op('Gemm', ins, undefined, x, node.name);
    } else {
      y = this.op('MatMul', [x.name, kernel], undefined, x, node.name);
      if (bias) y = this.op('Add', [y.name, this.tensor(`${node.name}/bias`, bias.values, bias.shape)], undefined, x, node.name);
    }
    return this.activation(node, a.activation, y);
  }

  /**
   * Keras merges: lower-rank inputs are expanded at axis 1 until the ranks match, then broadcast.
   * A [N, C] gate against a 4D map is [N, 1, 1, C] in NHWC, [N, C, 1, 1] in NCHW.
   */
  private merge(node: GraphNode): Val {
    const xs = node.inputs.map((_, i) => this.input(node, i));
    if (xs.length < (node.op === 'Subtract' ? 2 : 1)) this.fail(node, `needs ${node.op === 'Subtract' ? 'two inputs' : 'an input'}, got ${xs.length}`);
    if (node.op === 'Subtract' && xs.length !== 2) this.fail(node, `subtracts exactly two inputs, got ${xs.length}`);
    const rank = Math.max(...xs.map((v) => v.rank));
    const nchw = rank === 4 && xs.every((v) => v.rank === 4 || v.rank === 2) && xs.some((v) => v.nchw || v.rank === 4);
    const ins = xs.map((v) => {
      if (nchw) return v.rank === 4 ? this.toNchw(v).name : this.emit('Unsqueeze', [v.name, this.ints(`${node.name}/axes`, [2, 3])], undefined, `${v.name}/expand`);
      const n = this.toNative(v);
      if (n.rank === rank) return n.name;
      const axes = Array.from({ length: rank - n.rank }, (_, i) => i + 1);
      return this.emit('Unsqueeze', [n.name, this.ints(`${node.name}/axes`, axes)], undefined, `${n.name}/expand`);
    });
    const like: Val = { name: '', rank, nchw };
    const onnxOp = MERGE_ONNX[node.op];
    let acc = ins[0];
    for (const v of ins.slice(1)) acc = this.emit(onnxOp, [acc, v], undefined, node.name);
    if (node.op === 'Average') acc = this.emit('Div', [acc, this.scalar(xs.length)], undefined, node.name);
    if (ins.length === 1 && node.op !== 'Average') acc = this.emit('Identity', [acc], undefined, node.name);
    return { ...like, name: acc };
  }

  /** Keras 3 functional ops: numpy broadcasting, with scalar operands at their argument positions. */
  private elementwise(node: GraphNode): Val {
    const scalars = [...(node.attrs.scalars ?? [])];
    const total = node.inputs.length + scalars.length;
    const slots: (string | { tensor: number })[] = new Array(total);
    for (const s of scalars) {
      if (s.position >= total || slots[s.position]) this.fail(node, `has a scalar operand at an impossible position ${s.position}`);
      slots[s.position] = this.scalar(s.value);
    }
    let t = 0;
    for (let i = 0; i < total; i++) if (slots[i] === undefined) slots[i] = { tensor: t++ };
    const xs = node.inputs.map((_, i) => this.input(node, i));
    if (xs.length === 0) this.fail(node, 'has no tensor operand');
    // NCHW only when every tensor operand is 4D (same rank: numpy and ONNX broadcast alike).
    const nchw = xs.every((v) => v.rank === 4) && xs.some((v) => v.nchw);
    const laid = xs.map((v) => (nchw ? this.toNchw(v) : this.toNative(v)));
    const rank = Math.max(...xs.map((v) => v.rank));
    const names = slots.map((s) => (typeof s === 'string' ? s : laid[s.tensor].name));
    let acc = names[0];
    for (const v of names.slice(1)) acc = this.emit(ELEMENTWISE_OPS[node.op], [acc, v], undefined, node.name);
    if (names.length === 1) acc = this.emit('Identity', [acc], undefined, node.name);
    return { name: acc, rank, nchw };
  }
}

/** [kh, kw, cin, cout] -> [cout, cin, kh, kw]. */
function hwioToOihw(k: Float32Array, shape: number[], out: Float32Array): Float32Array {
  const [kh, kw, cin, cout] = shape;
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++) {
        const src = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = k[src + o];
      }
  return out;
}

/** Depthwise [kh, kw, cin, m] -> grouped [cin * m, 1, kh, kw] (output channel c * m + j, as TF orders them). */
function depthwiseToOihw(k: Float32Array, shape: number[], out: Float32Array): Float32Array {
  const [kh, kw, cin, m] = shape;
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < cin; c++)
        for (let j = 0; j < m; j++) out[((c * m + j) * kh + y) * kw + x] = k[((y * kw + x) * cin + c) * m + j];
  return out;
}
