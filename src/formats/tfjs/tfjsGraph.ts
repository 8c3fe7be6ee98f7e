/**
 * TensorFlow.js graph model: model.json (`format: graph-model`, a TF GraphDef in JSON) + shards.
 * Constant inputs (filters, biases, axes, shapes) fold into the node that consumes them; small
 * integer constants are read now because shapes depend on them.
 */
import { buildGraph, type RawNode } from '../../graph/build.js';
import type { NodeAttrs, Shape, StoredPrecision, TensorRef, WeightSpec } from '../../graph/types.js';
import { FormatError } from '../../util/errors.js';
import { isObject, type ModelReader } from '../reader.js';
import { parseManifest, readShardBytes, readWeights, type ManifestWeight } from './weightsManifest.js';
import { own } from '../../util/lookup.js';

type Json = Record<string, any>;

function attrString(a: Json | undefined): string | undefined {
  if (!a || typeof a.s !== 'string') return undefined;
  return Buffer.from(a.s, 'base64').toString('utf8');
}
function attrInts(a: Json | undefined): number[] | undefined {
  const l = a?.list?.i;
  return Array.isArray(l) ? l.map(Number) : undefined;
}
function attrStrings(a: Json | undefined): string[] {
  const l = a?.list?.s;
  return Array.isArray(l) ? l.map((s: string) => Buffer.from(s, 'base64').toString('utf8')) : [];
}
function tensorShape(s: Json | undefined): Shape | undefined {
  if (!s || s.unknownRank) return undefined;
  const dims = Array.isArray(s.dim) ? s.dim : [];
  return dims.map((d: Json) => {
    const n = Number(d.size);
    return n < 0 || Number.isNaN(n) ? null : n;
  });
}

/** Spatial part of NHWC 4-vectors such as strides [1, sh, sw, 1]. */
const hw = (v: number[] | undefined) => (v && v.length === 4 ? [v[1], v[2]] : v);

const FUSED_ACTIVATIONS: Record<string, string> = { Relu: 'relu', Relu6: 'relu6', Elu: 'elu', Sigmoid: 'sigmoid', Tanh: 'tanh', LeakyRelu: 'leaky_relu', Prelu: 'prelu' };
/** Ops whose constant operand at position >= 1 is a kernel, bias, scale, offset or slope. */
const PARAM_OPS = new Set(['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', '_FusedMatMul', 'BiasAdd', 'Prelu', 'Conv3D']);
/** Linear ops: a one-element vector added to a one-unit one's output is its bias. */
const LINEAR_OPS = new Set(['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', 'MatMul', '_FusedMatMul', 'BatchMatMulV2', 'Conv2DBackpropInput']);
const ELEMENTWISE_PARAM_OPS = new Set(['Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum']);
const SCALAR_OPS = /^(AddV2|Add|Mul|Sub|RealDiv|Maximum|Minimum|Pow|SquaredDifference|ClipByValue)$/;

/**
 * Parameters by role, not by size: a constant is a parameter when its op uses it as a kernel, bias,
 * scale, offset, slope or BN statistic (whatever its size), and a constant otherwise (scalar
 * operands of arithmetic, axes, shapes, lookup tables, anchors).
 */
function roleOf(op: string, position: number, fused: string[], w: ManifestWeight, oneUnitLinear: boolean): { param: boolean; trainable: boolean } {
  const no = { param: false, trainable: true };
  if (w.dtype !== 'float32' && w.dtype !== 'float16') return no;
  if (PARAM_OPS.has(op)) {
    if (position < 1) return no;
    // _FusedConv2D with FusedBatchNorm: [x, filter, scale, offset, mean, variance]; moving statistics are non-trainable.
    const stats = fused.includes('FusedBatchNorm') && position >= 4;
    return { param: true, trainable: !stats };
  }
  if (op === 'Conv2DBackpropInput') return { param: position === 1, trainable: true };
  if (op === 'MatMul' || op === 'BatchMatMul' || op === 'BatchMatMulV2') return { param: true, trainable: true };
  if (op === 'FusedBatchNorm' || op === 'FusedBatchNormV3') return { param: position >= 1, trainable: position < 3 };
  if (ELEMENTWISE_PARAM_OPS.has(op)) {
    // Per-channel vectors ([C] or [1, ..., 1, C]): a bias, or a folded BatchNorm's scale/offset.
    const perChannel = w.shape.length >= 1 && w.shape.slice(0, -1).every((d) => d === 1);
    const size = w.shape.reduce((a, b) => a * b, 1);
    return { param: perChannel && (size > 1 || oneUnitLinear), trainable: true };
  }
  return no;
}

function storedAs(w: ManifestWeight, values: number[] | undefined): StoredPrecision {
  const q = w.quantization;
  if (!q) return { dtype: w.dtype as StoredPrecision['dtype'] };
  if (q.dtype === 'float16') return { dtype: 'float16' };
  // One element: the converter stores it as `min` itself (code 0), exactly; any other code is a step away.
  const exact = values?.length === 1 && values[0] === (q.min ?? 0);
  return { dtype: q.dtype, scale: exact ? 0 : q.scale ?? 1 };
}

const TF_DTYPE_NAMES = new Map([['float', 'float32'], ['double', 'float64'], ['half', 'float16']]);
/** TF's DT_FLOAT, DT_INT32, ... as tfjs names them (float32, int32, ...). */
function dtypeName(t: unknown): string {
  const s = String(t ?? 'DT_FLOAT').replace(/^DT_/, '').toLowerCase();
  return TF_DTYPE_NAMES.get(s) ?? s;
}
const CONST_OPS = new Set(['Const']);
const IGNORED_OPS = new Set(['NoOp']);
/** Ops whose output 0 or 1 is their input 0 unchanged, for constants. */
const FORWARDING_OPS = new Set(['Identity', 'Switch']);

function parseRef(input: string): TensorRef {
  const [node, k] = input.split(':');
  return { node, output: k === undefined ? 0 : Number(k) };
}

export const tfjsGraphReader: ModelReader = {
  format: 'tfjs-graph',
  match: (f) => isObject(f.json) && (f.json.format === 'graph-model' || (isObject(f.json.modelTopology) && Array.isArray(f.json.modelTopology.node))),
  async read(file, options) {
    const json = file.json as Json;
    const gdef = json.modelTopology;
    if (!isObject(gdef) || !Array.isArray(gdef.node)) throw new FormatError('model.json of a graph model has no modelTopology.node list', file.path);
    const manifest = parseManifest(file.path, json.weightsManifest ?? []);
    const byName = new Map<string, ManifestWeight>(manifest.weights.map((w) => [w.name, w]));

    const defs = new Map<string, Json>();
    for (const n of gdef.node) {
      if (!isObject(n) || typeof n.name !== 'string' || typeof n.op !== 'string') throw new FormatError(`a graph node is not {name, op}: ${JSON.stringify(n).slice(0, 80)}`, file.path);
      if (defs.has(n.name)) throw new FormatError(`two graph nodes are named '${n.name}'`, file.path);
      defs.set(n.name, n);
    }
    // Constants, seen through the nodes that only forward them: Identity, and the data input (0) of
    // a tf.cond's Switch (rvm's box-filter kernels reach their depthwise conv as Const -> Switch -> Identity).
    const constOf = (name: string): string | undefined => {
      for (let i = 0, d = defs.get(name); d && i < 8; i++, d = defs.get(parseRef(String(d.input?.[0] ?? '')).node)) {
        if (CONST_OPS.has(d.op)) return d.name;
        if (!FORWARDING_OPS.has(d.op)) return undefined;
      }
      return undefined;
    };
    const small = new Set(manifest.weights.filter((w) => w.shape.reduce((a, b) => a * b, 1) <= 64).map((w) => w.name));
    const values = readWeights(file.path, manifest, small);
    const constValues = (name: string) => {
      const v = values.get(name);
      return v ? Array.from(v) : undefined;
    };

    // A linear op with one output unit.
    const oneUnitLinear = (def: Json | undefined) =>
      !!def && LINEAR_OPS.has(def.op) && (def.input ?? []).some((s: string) => {
        const c = constOf(parseRef(String(s)).node);
        const shape = c ? byName.get(c)?.shape : undefined;
        if (!shape || shape.length < 2) return false;
        // Output units: a transposed conv's filter is [kh, kw, out, in]; a depthwise one's [kh, kw, in, multiplier].
        if (def.op === 'Conv2DBackpropInput') return shape[2] === 1;
        return shape[shape.length - 1] === 1 && (!def.op.includes('Depthwise') || shape[2] === 1);
      });
    const nodes: RawNode[] = [];
    const inputs: { name: string; shape: Shape | null; dtype: string }[] = [];
    const notes: string[] = [];
    const signatureInputs: Json = isObject(json.signature?.inputs) ? json.signature.inputs : {};
    const claimed = new Set<string>();
    let backEdges = 0;
    for (const d of defs.values()) {
      if (CONST_OPS.has(d.op) || IGNORED_OPS.has(d.op) || constOf(d.name)) continue;
      const attr: Json = isObject(d.attr) ? d.attr : {};
      const refs: TensorRef[] = [];
      const weights: WeightSpec[] = [];
      const constArgs: { position: number; name: string }[] = [];
      const args = (Array.isArray(d.input) ? d.input : []).map(String).filter((s: string) => !s.startsWith('^')); // drop control edges
      const fused = attrStrings(attr.fused_ops);
      args.forEach((s: string, position: number) => {
        const ref = parseRef(s);
        const def = defs.get(ref.node);
        if (!def) throw new FormatError(`node '${d.name}' takes its input from '${ref.node}', which does not exist`, file.path);
        // A while loop's NextIteration -> Merge edge closes the loop: without it the graph is acyclic
        // and the loop body is seen once (its shapes are those of the first iteration).
        if (d.op === 'Merge' && def.op === 'NextIteration') return void backEdges++;
        const c = constOf(ref.node);
        if (!c) return void refs.push(ref);
        const w = byName.get(c);
        if (!w) throw new FormatError(`constant '${c}' used by '${d.name}' has no entry in weightsManifest`, file.path);
        const other = args.find((a: string, i: number) => i !== position && !constOf(parseRef(a).node));
        const use = roleOf(d.op, position, fused, w, !!other && oneUnitLinear(defs.get(parseRef(other).node)));
        // A constant shared by several ops is one parameter, counted at its first use.
        const role = use.param && !claimed.has(w.name) ? 'param' : 'constant';
        if (role === 'param') claimed.add(w.name);
        const spec: WeightSpec = { id: w.name, name: c, shape: w.shape, trainable: use.trainable, role, storedAs: storedAs(w, constValues(c)), position };
        const small = w.dtype === 'int32' || w.shape.every((d) => d === 1) ? constValues(c) : undefined;
        if (small) spec.value = small;
        weights.push(spec);
        constArgs.push({ position, name: c });
      });
      const attrs = graphAttrs(d, attr, constArgs, constValues, byName, file.path);
      if (d.op === 'Placeholder') {
        const sig = Object.values(signatureInputs).find((s: any) => String(s?.name ?? '').split(':')[0] === d.name) as Json | undefined;
        const shape = tensorShape(attr.shape?.shape) ?? tensorShape(sig?.tensorShape) ?? null;
        inputs.push({ name: d.name, shape, dtype: dtypeName(attr.dtype?.type ?? sig?.dtype) });
      }
      nodes.push({ name: d.name, op: `tf.${d.op}`, domain: 'tf', inputs: refs, attrs, weights });
    }
    if (backEdges) notes.push(`${backEdges} while-loop back edge${backEdges > 1 ? 's' : ''} (NextIteration -> Merge) set aside: a loop body is analysed as one iteration`);

    const consumed = new Set(nodes.flatMap((n) => n.inputs.map((i) => i.node)));
    const sigOut = isObject(json.signature?.outputs) ? Object.values(json.signature.outputs).map((o: any) => parseRef(String(o?.name ?? ''))) : [];
    const outputs = sigOut.length && sigOut.every((o) => nodes.some((n) => n.name === o.node)) ? sigOut : nodes.filter((n) => !consumed.has(n.name) && n.op !== 'tf.Placeholder').map((n) => ({ node: n.name, output: 0 }));
    return buildGraph(
      {
        name: String(json.userDefinedMetadata?.name ?? file.path.split(/[\\/]/).slice(-2, -1)[0] ?? 'graph'),
        format: 'tfjs-graph',
        path: file.path,
        nodes,
        inputs,
        outputs,
        notes,
        producer: [json.generatedBy, json.convertedBy].filter((x) => typeof x === 'string').join(', ') || undefined,
        loadWeights: async () => readWeights(file.path, manifest),
        // The files as tfjs-converter's GraphModel takes them (its own decoding, every op it knows).
        loadGraphModel: async () => ({
          modelTopology: gdef,
          weightSpecs: (json.weightsManifest ?? []).flatMap((g: Json) => g.weights),
          weightData: readShardBytes(file.path, manifest),
          signature: json.signature,
          userDefinedMetadata: json.userDefinedMetadata,
          format: json.format,
          generatedBy: json.generatedBy,
          convertedBy: json.convertedBy,
        }),
      },
      options,
    );
  },
};

function graphAttrs(d: Json, attr: Json, constArgs: { position: number; name: string }[], constValues: (n: string) => number[] | undefined, byName: Map<string, ManifestWeight>, path: string): NodeAttrs {
  const a: NodeAttrs = {};
  const op: string = d.op;
  const fmt = attrString(attr.data_format);
  if (fmt && fmt !== 'NHWC') throw new FormatError(`node '${d.name}' uses data_format ${fmt}; only NHWC is supported`, path);
  const constAt = (position: number) => {
    const c = constArgs.find((x) => x.position === position);
    return c ? constValues(c.name) : undefined;
  };
  const int = (v: Json | undefined) => (v?.i === undefined ? undefined : Number(v.i));
  const padding = attrString(attr.padding);
  if (padding) a.padding = padding === 'SAME' ? 'same' : padding === 'EXPLICIT' ? 'explicit' : 'valid';
  if (attr.strides && op !== 'StridedSlice') a.strides = hw(attrInts(attr.strides));
  if (attr.dilations) a.dilations = hw(attrInts(attr.dilations));
  if (attr.ksize) a.poolSize = hw(attrInts(attr.ksize));
  const explicit = attrInts(attr.explicit_paddings);
  if (explicit && explicit.length === 8) a.pads = [[explicit[2], explicit[3]], [explicit[4], explicit[5]]];
  const fused = attrStrings(attr.fused_ops);
  if (fused.length) {
    a.fusedOps = fused;
    for (const f of fused) {
      if (f === 'BiasAdd' || f === 'Add' || f === 'FusedBatchNorm') continue;
      const act = own(FUSED_ACTIVATIONS, f);
      if (!act) throw new FormatError(`node '${d.name}' (${op}) fuses '${f}', which is not supported`, path);
      a.activation = act;
    }
  }
  if (attr.transpose_a?.b || attr.adj_x?.b) a.transposeA = true;
  if (attr.transpose_b?.b || attr.adj_y?.b) a.transposeB = true;
  if (typeof attr.epsilon?.f === 'number') a.epsilon = attr.epsilon.f;
  if (typeof attr.alpha?.f === 'number') a.negativeSlope = attr.alpha.f;
  if (typeof attr.leakyrelu_alpha?.f === 'number') a.negativeSlope = attr.leakyrelu_alpha.f;
  switch (op) {
    case 'Mean': case 'Max': case 'Min': case 'Sum': case 'Prod': case 'Any': case 'All':
      a.keepdims = attr.keep_dims?.b === true;
      a.axis = constAt(1);
      break;
    case 'ArgMax': case 'ArgMin':
      a.axis = constAt(1)?.[0];
      break;
    case 'Reshape':
      a.targetShape = constAt(1)?.map((v) => (v < 0 ? -1 : v));
      break;
    case 'ConcatV2':
      a.axis = constAt((d.input as unknown[]).filter((s) => !String(s).startsWith('^')).length - 1)?.[0];
      break;
    case 'Pad': case 'PadV2': case 'MirrorPad': {
      const p = constAt(1);
      if (p && p.length % 2 === 0) a.paddings = Array.from({ length: p.length / 2 }, (_, i) => [p[2 * i], p[2 * i + 1]]);
      if (p && p.length === 8) a.pads = [[p[2], p[3]], [p[4], p[5]]];
      if (op === 'MirrorPad') a.mode = attrString(attr.mode)?.toLowerCase();
      break;
    }
    case 'Squeeze':
      a.axis = attrInts(attr.squeeze_dims);
      break;
    case 'ExpandDims':
      a.axis = constAt(1)?.[0];
      break;
    case 'ResizeBilinear': case 'ResizeNearestNeighbor': {
      const size = constAt(1);
      if (size && size.length === 2) [a.height, a.width] = size;
      break;
    }
    case 'Conv2DBackpropInput':
      a.targetShape = constAt(0)?.map((v) => (v < 0 ? null : v));
      break;
    case 'DepthToSpace': case 'SpaceToDepth':
      a.blockSize = int(attr.block_size);
      break;
    case 'SpaceToBatchND': case 'BatchToSpaceND': {
      a.blockShape = constAt(1);
      const p = constAt(2);
      if (p && p.length % 2 === 0) a.pads = Array.from({ length: p.length / 2 }, (_, i) => [p[2 * i], p[2 * i + 1]]);
      break;
    }
    case 'Transpose':
      a.perm = constAt(1);
      break;
    case 'StridedSlice': {
      const begin = constAt(1);
      if (begin) a.slice = { begin, end: constAt(2), strides: constAt(3), beginMask: int(attr.begin_mask) ?? 0, endMask: int(attr.end_mask) ?? 0, ellipsisMask: int(attr.ellipsis_mask) ?? 0, newAxisMask: int(attr.new_axis_mask) ?? 0, shrinkAxisMask: int(attr.shrink_axis_mask) ?? 0 };
      break;
    }
    case 'Slice': {
      const begin = constAt(1);
      if (begin) a.slice = { begin, size: constAt(2) };
      break;
    }
    case 'Pack':
      a.axis = int(attr.axis) ?? 0;
      break;
    case 'Unpack':
      a.axis = int(attr.axis) ?? 0;
      a.num = int(attr.num);
      break;
    case 'Split':
      a.axis = constAt(0)?.[0];
      a.num = int(attr.num_split);
      break;
    case 'SplitV':
      a.sizes = constAt(1);
      a.axis = constAt(2)?.[0];
      break;
    case 'Tile':
      a.multiples = constAt(1);
      break;
    case 'GatherV2':
      a.axis = constAt(2)?.[0];
      a.batchDims = int(attr.batch_dims) ?? 0;
      break;
    case 'Fill':
      a.targetShape = constAt(0);
      break;
    case 'BroadcastTo':
      a.targetShape = constAt(1);
      break;
  }
  const scalars = constArgs.map((c) => ({ position: c.position, v: constValues(c.name), w: byName.get(c.name)! })).filter((c) => c.v && c.v.length === 1);
  if (scalars.length && SCALAR_OPS.test(op)) a.scalars = scalars.map((c) => ({ position: c.position, value: c.v![0], storedAs: storedAs(c.w, c.v) }));
  return a;
}
