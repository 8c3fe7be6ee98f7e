/**
 * TF tensor manipulation ops of converted graphs: layout (Transpose, DepthToSpace, SpaceToBatchND),
 * slicing and joining (StridedSlice, Slice, Pack, Unpack, Split, Tile, GatherV2), resizing, and the
 * shape arithmetic that feeds Reshape (Shape, Fill, Range). No weights, no MACs.
 */
import type { Dim, GraphNode, Shape } from '../types.js';
import { fail, normAxis, one, operandShapes, operandValue, type OpRule, type StaticValues } from './rule.js';
import { own } from '../../util/lookup.js';

const mul = (d: Dim, k: number): Dim => (d === null ? null : d * k);
const div = (node: GraphNode, d: Dim, k: number): Dim => {
  if (d === null) return null;
  if (d % k !== 0) fail(node, `dimension ${d} is not divisible by ${k}`);
  return d / k;
};

/** A shape given as a constant (attrs) or as a statically known tensor input at `position`. */
function shapeOperand(node: GraphNode, fromAttrs: Dim[] | undefined, position: number, values: StaticValues): Shape | null {
  if (fromAttrs) return fromAttrs.map((d) => (d === null || !(d >= 0) ? null : d));
  const v = operandValue(node, position, values);
  return v ? v.map((d) => (!(d >= 0) ? null : d)) : null;
}

const resize: OpRule = {
  ops: ['tf.ResizeBilinear', 'tf.ResizeNearestNeighbor'],
  outputShape(node, inputs, values) {
    const x = one(node, inputs);
    if (x.length !== 4) fail(node, `expects a 4D NHWC input, got ${JSON.stringify(x)}`);
    const size = node.attrs.height !== undefined ? [node.attrs.height, node.attrs.width!] : operandValue(node, 1, values);
    const dim = (d: number) => (d >= 0 ? d : null);
    return size ? [x[0], dim(size[0]), dim(size[1]), x[3]] : null;
  },
};

const depthToSpace: OpRule = {
  ops: ['tf.DepthToSpace', 'tf.SpaceToDepth'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const b = node.attrs.blockSize ?? fail(node, 'has no block_size');
    if (x.length !== 4) fail(node, `expects a 4D NHWC input, got ${JSON.stringify(x)}`);
    return node.op === 'tf.DepthToSpace' ? [x[0], mul(x[1], b), mul(x[2], b), div(node, x[3], b * b)] : [x[0], div(node, x[1], b), div(node, x[2], b), mul(x[3], b * b)];
  },
};

/** SpaceToBatchND (dilated convolutions as converted by TF) and its inverse BatchToSpaceND. */
const spaceToBatch: OpRule = {
  ops: ['tf.SpaceToBatchND', 'tf.BatchToSpaceND'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const block = node.attrs.blockShape;
    const pads = node.attrs.pads;
    if (!block) return null;
    // Paddings computed at run time (`required_space_to_batch_paddings` of an open size): spatial dims open.
    if (!pads) return x.length === 4 ? [null, null, null, x[3]] : null;
    if (block.length !== pads.length) fail(node, `block shape ${JSON.stringify(block)} and paddings ${JSON.stringify(pads)} differ in length`);
    const out = [...x];
    const prod = block.reduce((a, b) => a * b, 1);
    block.forEach((b, i) => {
      const d = x[i + 1];
      const [p0, p1] = pads[i];
      out[i + 1] = node.op === 'tf.SpaceToBatchND' ? div(node, d === null ? null : d + p0 + p1, b) : d === null ? null : d * b - p0 - p1;
    });
    out[0] = node.op === 'tf.SpaceToBatchND' ? mul(x[0], prod) : x[0] === null ? null : div(node, x[0], prod);
    return out;
  },
};

const transpose: OpRule = {
  ops: ['tf.Transpose'],
  outputShape(node, inputs, values) {
    const x = one(node, inputs);
    const perm = node.attrs.perm ?? operandValue(node, 1, values);
    if (!perm) return null;
    if (perm.length !== x.length) fail(node, `permutation ${JSON.stringify(perm)} does not fit shape ${JSON.stringify(x)}`);
    return perm.map((p) => x[p]);
  },
};

/** One dimension of a strided slice (Python slice semantics with TF's masks). */
function sliceDim(d: Dim, begin: number, end: number, stride: number, beginMasked: boolean, endMasked: boolean): Dim {
  if (d === null) return beginMasked && endMasked && stride === 1 ? null : null;
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  if (stride > 0) {
    const b = beginMasked ? 0 : clamp(begin < 0 ? begin + d : begin, 0, d);
    const e = endMasked ? d : clamp(end < 0 ? end + d : end, 0, d);
    return Math.max(0, Math.ceil((e - b) / stride));
  }
  const b = beginMasked ? d - 1 : clamp(begin < 0 ? begin + d : begin, -1, d - 1);
  const e = endMasked ? -1 : clamp(end < 0 ? end + d : end, -1, d - 1);
  return Math.max(0, Math.ceil((e - b) / stride));
}

interface SliceSpec {
  /** Per output dim of the full (ellipsis-expanded) spec: input axis or 'new'. */
  dims: { axis: number | 'new'; begin: number; end: number; stride: number; beginMasked: boolean; endMasked: boolean; shrink: boolean }[];
}

function stridedSpec(node: GraphNode, rank: number): SliceSpec | null {
  const s = node.attrs.slice;
  if (!s || !s.end || !s.strides) return null;
  const bit = (mask: number | undefined, i: number) => ((mask ?? 0) >> i) & 1;
  const n = s.begin.length;
  const dims: SliceSpec['dims'] = [];
  let axis = 0;
  for (let i = 0; i < n; i++) {
    if (bit(s.ellipsisMask, i)) {
      const rest = Array.from({ length: n - i - 1 }, (_, j) => j + i + 1).filter((j) => !bit(s.newAxisMask, j)).length;
      for (; axis < rank - rest; axis++) dims.push({ axis, begin: 0, end: 0, stride: 1, beginMasked: true, endMasked: true, shrink: false });
      continue;
    }
    if (bit(s.newAxisMask, i)) {
      dims.push({ axis: 'new', begin: 0, end: 0, stride: 1, beginMasked: true, endMasked: true, shrink: false });
      continue;
    }
    dims.push({ axis: axis++, begin: s.begin[i], end: s.end[i], stride: s.strides[i], beginMasked: !!bit(s.beginMask, i), endMasked: !!bit(s.endMask, i), shrink: !!bit(s.shrinkAxisMask, i) });
  }
  for (; axis < rank; axis++) dims.push({ axis, begin: 0, end: 0, stride: 1, beginMasked: true, endMasked: true, shrink: false });
  return { dims };
}

const stridedSlice: OpRule = {
  ops: ['tf.StridedSlice'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const spec = stridedSpec(node, x.length);
    if (!spec) return null;
    const out: Shape = [];
    for (const d of spec.dims) {
      if (d.axis === 'new') out.push(1);
      else if (!d.shrink) out.push(sliceDim(x[d.axis], d.begin, d.end, d.stride, d.beginMasked, d.endMasked));
    }
    return out;
  },
  value(node, inputs, values) {
    const v = values[0];
    const x = inputs[0];
    if (!v || x.length !== 1) return null;
    const spec = stridedSpec(node, 1);
    const d = spec?.dims.find((q) => q.axis === 0);
    if (!spec || !d) return null;
    if (d.shrink) {
      const i = d.begin < 0 ? d.begin + v.length : d.begin;
      return i >= 0 && i < v.length ? [v[i]] : null;
    }
    if (d.stride !== 1) return null;
    const b = d.beginMasked ? 0 : d.begin < 0 ? d.begin + v.length : d.begin;
    const e = d.endMasked ? v.length : d.end < 0 ? d.end + v.length : d.end;
    return v.slice(b, e);
  },
};

const slice: OpRule = {
  ops: ['tf.Slice'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const s = node.attrs.slice;
    if (!s || !s.size || s.size.length !== x.length) return null;
    return x.map((d, i) => (s.size![i] >= 0 ? s.size![i] : d === null ? null : d - s.begin[i]));
  },
};

/** Shape-preserving ops of converted graphs: casts, elementwise unary math, control flow that forwards its input. */
const sameShape: OpRule = {
  ops: [
    'tf.Cast', 'tf.Floor', 'tf.Ceil', 'tf.Round', 'tf.Sign', 'tf.Abs', 'tf.Reciprocal', 'tf.Log', 'tf.Log1p', 'tf.Sin', 'tf.Cos',
    'tf.ZerosLike', 'tf.OnesLike', 'tf.LogicalNot', 'tf.IsNan', 'tf.ClipByValue', 'tf.Erf', 'tf.Relu1', 'tf.Atan',
    'tf.Enter', 'tf.Exit', 'tf.NextIteration', 'tf.LoopCond', 'tf.Snapshot', 'tf.EnsureShape',
  ],
  outputShape: (node, inputs) => first(node, inputs),
  value(node, _inputs, values) {
    const v = operandValue(node, 0, values);
    const f = own(VALUE_FNS, node.op);
    return v && f ? v.map(f) : null;
  },
};

/** Shape arithmetic through unary ops: image sizes rounded up to a multiple (faceboxes' pad_to_bounding_box). */
const VALUE_FNS: Record<string, (v: number) => number> = {
  'tf.Cast': (v) => v, 'tf.Enter': (v) => v, 'tf.Exit': (v) => v, 'tf.Snapshot': (v) => v,
  'tf.Ceil': Math.ceil, 'tf.Floor': Math.floor, 'tf.Round': Math.round, 'tf.Abs': Math.abs,
};

/** The first operand's shape, a constant one included (a loop's Enter of a stored counter). */
function first(node: GraphNode, inputs: Shape[]): Shape {
  const all = operandShapes(node, inputs);
  if (all.length < 1) fail(node, 'has no input');
  return all[0];
}

/** tf.cond: Switch forwards its data (whatever the predicate) to one of two outputs. */
const switchOp: OpRule = {
  ops: ['tf.Switch'],
  partialInputs: true,
  outputShape: (node, inputs) => switchOp.outputShapes!(node, inputs, [])[0],
  outputShapes(node, inputs) {
    const x = operandShapes(node, inputs)[0] ?? null;
    return [x, x];
  },
};

/**
 * Merge forwards whichever branch ran: dims on which the known branches agree; where a branch is
 * unknown (a resize by a run-time factor), the spatial dims of a 4D result are left open.
 */
const merge: OpRule = {
  ops: ['tf.Merge'],
  partialInputs: true,
  outputShape: (node, inputs) => merge.outputShapes!(node, inputs, [])[0],
  outputShapes(node, inputs) {
    const all = operandShapes(node, inputs) as (Shape | null)[];
    const known = all.filter((s): s is Shape => s !== null);
    if (!known.length || known.some((s) => s.length !== known[0].length)) return [null, []];
    const out = known[0].map((d, i) => (known.every((s) => s[i] === d) ? d : null));
    if (known.length < all.length && out.length === 4) [out[1], out[2]] = [null, null];
    return [out, []];
  },
};

const shapeOp: OpRule = {
  ops: ['tf.Shape', 'tf.Size', 'tf.Rank'],
  outputShape: (node, inputs) => (node.op === 'tf.Shape' ? [one(node, inputs).length] : []),
  value(node, inputs) {
    const x = inputs[0];
    if (node.op === 'tf.Rank') return [x.length];
    // Open dims are NaN: known at run time only, they stay unknown through the arithmetic.
    const dims = x.map((d) => (d === null ? NaN : d));
    return node.op === 'tf.Shape' ? dims : [dims.reduce((a, b) => a * b, 1)];
  },
};

const pack: OpRule = {
  ops: ['tf.Pack'],
  outputShape(node, inputs) {
    const all = operandShapes(node, inputs);
    if (all.length === 0) fail(node, 'has no input');
    const x = all[0];
    const out = [...x];
    out.splice(normAxis(typeof node.attrs.axis === 'number' ? node.attrs.axis : 0, x.length + 1), 0, all.length);
    return out;
  },
  value(node, inputs, values) {
    // Stacked scalars: a shape being built from a Shape's slices and constants.
    const all = operandShapes(node, inputs);
    if (all.some((s) => s.length !== 0)) return null;
    const out: number[] = [];
    for (let p = 0; p < all.length; p++) {
      const v = operandValue(node, p, values);
      if (!v || v.length !== 1) return null;
      out.push(v[0]);
    }
    return out;
  },
};

const unpack: OpRule = {
  ops: ['tf.Unpack'],
  outputShape: (node, inputs) => unpack.outputShapes!(node, inputs, [])[0],
  outputShapes(node, inputs) {
    const x = one(node, inputs);
    const axis = normAxis(typeof node.attrs.axis === 'number' ? node.attrs.axis : 0, x.length);
    const n = node.attrs.num ?? x[axis];
    const out = x.filter((_, i) => i !== axis);
    return n === null || n === undefined ? [out] : Array.from({ length: n }, () => out);
  },
  outputValues(node, inputs, values) {
    const v = operandValue(node, 0, values);
    return v && inputs[0]?.length === 1 ? v.map((x) => [x]) : [];
  },
};

const split: OpRule = {
  ops: ['tf.Split', 'tf.SplitV'],
  outputShape: (node, inputs, values) => split.outputShapes!(node, inputs, values)[0] ?? null,
  outputShapes(node, inputs) {
    const x = one(node, inputs);
    if (typeof node.attrs.axis !== 'number') return [null];
    const axis = normAxis(node.attrs.axis, x.length);
    const d = x[axis];
    let sizes: (number | null)[];
    if (node.op === 'tf.Split') {
      const n = node.attrs.num ?? fail(node, 'has no num_split');
      sizes = Array.from({ length: n }, () => (d === null ? null : div(node, d, n)));
    } else {
      const given = node.attrs.sizes;
      if (!given) return [null];
      const known = given.filter((v) => v >= 0).reduce((a, b) => a + b, 0);
      sizes = given.map((v) => (v >= 0 ? v : d === null ? null : d - known));
    }
    return sizes.map((s) => x.map((v, i) => (i === axis ? s : v)));
  },
};

const tile: OpRule = {
  ops: ['tf.Tile'],
  outputShape(node, inputs, values) {
    // The tiled tensor may itself be a constant (a stored grid).
    const x = operandShapes(node, inputs)[0];
    const m = node.attrs.multiples ?? operandValue(node, 1, values);
    if (!m) return null;
    if (m.length !== x.length) fail(node, `multiples ${JSON.stringify(m)} do not fit shape ${JSON.stringify(x)}`);
    return x.map((d, i) => mul(d, m[i]));
  },
};

/** GatherV2: params[:axis] + indices + params[axis+1:] (batch_dims leading dims shared). */
const gather: OpRule = {
  ops: ['tf.GatherV2'],
  outputShape(node, inputs) {
    const [params, indices] = operandShapes(node, inputs);
    if (!params || !indices) fail(node, 'needs params and indices');
    if (typeof node.attrs.axis !== 'number') return null;
    const axis = normAxis(node.attrs.axis, params.length);
    const b = node.attrs.batchDims ?? 0;
    return [...params.slice(0, axis), ...indices.slice(b), ...params.slice(axis + 1)];
  },
};

/** GatherNd: indices[:-1] + params[q:], q = indices' last dim. */
const gatherNd: OpRule = {
  ops: ['tf.GatherNd'],
  outputShape(node, inputs) {
    const [params, indices] = operandShapes(node, inputs);
    if (!params || !indices) fail(node, 'needs params and indices');
    const q = indices[indices.length - 1];
    return q === null ? null : [...indices.slice(0, -1), ...params.slice(q)];
  },
};

const fill: OpRule = {
  ops: ['tf.Fill', 'tf.BroadcastTo'],
  outputShape(node, _inputs, values) {
    return shapeOperand(node, node.attrs.targetShape, node.op === 'tf.Fill' ? 0 : 1, values);
  },
};

const topK: OpRule = {
  ops: ['tf.TopKV2'],
  outputShape: (node, inputs, values) => topK.outputShapes!(node, inputs, values)[0],
  outputShapes(node, inputs, values) {
    const x = one(node, inputs);
    const k = operandValue(node, 1, values)?.[0];
    const out = k === undefined ? null : [...x.slice(0, -1), k];
    return [out, out];
  },
};

/** Results whose size depends on the data (Where, NonMaxSuppression, Range of run-time bounds). */
const dataDependent: OpRule = {
  ops: ['tf.Where', 'tf.NonMaxSuppressionV3', 'tf.NonMaxSuppressionV4', 'tf.NonMaxSuppressionV5', 'tf.Range', 'tf.Unique'],
  outputShape(node, inputs, values) {
    if (node.op === 'tf.Where') return [null, one(node, inputs).length];
    if (node.op === 'tf.Range') {
      // Range(start, limit, delta) of statically known bounds has a known length.
      const [start, limit, delta] = [0, 1, 2].map((p) => operandValue(node, p, values)?.[0]);
      const n = start !== undefined && limit !== undefined && delta ? Math.ceil((limit - start) / delta) : NaN;
      return [Number.isFinite(n) ? Math.max(0, n) : null];
    }
    return [null];
  },
};

/** SparseToDense(indices, output_shape, values, default): the shape is its second operand. */
const sparseToDense: OpRule = {
  ops: ['tf.SparseToDense', 'tf.ScatterNd'],
  outputShape: (node, _inputs, values) => shapeOperand(node, undefined, node.op === 'tf.ScatterNd' ? 2 : 1, values),
};

/**
 * TensorList of while loops (tf.map_fn over the batch): a list is given the shape of the tensor it
 * stacks, so that an item read in the loop body has the element shape. TensorArray handles and
 * lists reserved empty stay unknown. No arithmetic.
 */
const tensorLists: OpRule = {
  ops: [
    'TensorArrayV3', 'TensorArrayScatterV3', 'TensorArrayReadV3', 'TensorArraySizeV3', 'TensorArrayGatherV3', 'TensorArrayWriteV3', 'TensorArrayConcatV3', 'TensorArraySplitV3',
    'TensorListReserve', 'TensorListFromTensor', 'TensorListStack', 'TensorListSetItem', 'TensorListGetItem', 'TensorListLength', 'TensorListPushBack', 'TensorListPopBack',
  ].map((o) => `tf.${o}`),
  partialInputs: true,
  outputShape: (node, inputs, values) => tensorLists.outputShapes!(node, inputs, values)[0],
  outputShapes(node, inputs, values) {
    const list = (inputs as (Shape | null)[])[0] ?? null;
    switch (node.op) {
      case 'tf.TensorListStack': {
        // A list filled in a loop body is unknown here, but Stack declares its element shape.
        const element = operandValue(node, 1, values);
        if (list || !element || element.some((d) => !(d >= 0))) return [list];
        return [[null, ...element]];
      }
      case 'tf.TensorListFromTensor':
      case 'tf.TensorListSetItem':
        return [list];
      case 'tf.TensorListGetItem':
        return [list && list.length >= 1 ? list.slice(1) : null];
      case 'tf.TensorListLength':
        return [[]];
      default:
        return [null, null];
    }
  },
};

export const tensorRules: OpRule[] = [tensorLists, sparseToDense, resize, depthToSpace, spaceToBatch, transpose, stridedSlice, slice, sameShape, switchOp, merge, shapeOp, pack, unpack, split, tile, gather, gatherNd, fill, topK, dataDependent];
