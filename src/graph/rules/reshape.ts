import type { Dim, Shape } from '../types.js';
import { fail, normAxis, one, operandValue, perSample, type OpRule } from './rule.js';

/** Resolves one -1 in a target shape against the element count of the input. */
/** A TF target shape, batch included: one -1 takes the rest of the element count (an open batch stays open). */
function tfTarget(node: Parameters<OpRule['outputShape']>[0], x: Shape, t: number[]): Shape {
  // NaN: a dim known only at run time (the batch read by Shape); with an open batch in front it is that batch.
  if (t.some((d) => Number.isNaN(d))) {
    const rest = t.slice(1);
    if (Number.isNaN(t[0]) && x[0] === null && x.slice(1).every((d) => d !== null) && rest.every((d) => !Number.isNaN(d))) {
      const per = (x.slice(1) as number[]).reduce((a, b) => a * b, 1);
      const known = rest.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      return [null, ...rest.map((d) => (d === -1 ? per / known : d))];
    }
    return t.map((d) => (Number.isNaN(d) || d === -1 ? null : d));
  }
  const free = t.filter((d) => d === -1).length;
  if (free > 1) fail(node, `target shape ${JSON.stringify(t)} has more than one -1`);
  const known = t.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  if (x.every((d) => d !== null)) {
    const total = (x as number[]).reduce((a, b) => a * b, 1);
    const out = t.map((d) => (d === -1 ? total / known : d));
    if (!Number.isInteger(total / known) || (free === 0 && known !== total)) fail(node, `cannot reshape ${JSON.stringify(x)} (${total} values) to ${JSON.stringify(t)}`);
    return out;
  }
  // An open batch: `-1` in front keeps it open, the rest is per sample.
  if (t[0] === -1 && x[0] === null && x.slice(1).every((d) => d !== null)) return [null, ...t.slice(1)];
  return t.map((d) => (d === -1 ? null : d));
}

function resolveTarget(node: Parameters<OpRule['outputShape']>[0], x: Shape, target: Dim[], batch: Dim = x[0]): Shape {
  if (target.some((d) => d !== null && d !== -1 && !(Number.isInteger(d) && d >= 1))) fail(node, `target shape ${JSON.stringify(target)} has a size that is neither a whole number of at least 1 nor -1`);
  const total = perSample(x);
  const known = target.filter((d) => d !== -1 && d !== null) as number[];
  const product = known.reduce((a, b) => a * b, 1);
  const out = target.map((d) => (d === -1 ? (total === null ? null : total / product) : d));
  if (total !== null && target.every((d) => d !== -1 && d !== null) && product !== total)
    fail(node, `cannot reshape ${JSON.stringify(x)} (${total} values) to ${JSON.stringify(target)}`);
  if (out.some((d) => d !== null && !Number.isInteger(d)))
    fail(node, `cannot reshape ${JSON.stringify(x)} to ${JSON.stringify(target)}`);
  return [batch === -1 || batch === null ? x[0] : batch, ...out];
}

const reshape: OpRule = {
  ops: ['Reshape'],
  outputShape(node, inputs) {
    return resolveTarget(node, one(node, inputs), node.attrs.targetShape ?? fail(node, 'has no target_shape'));
  },
};

/** Values of small integer tensors pass through reshapes (a scalar expanded to a 1-vector of a shape being built). */
const passValue = (node: Parameters<OpRule['outputShape']>[0], _inputs: Shape[], values: (number[] | null)[]) => operandValue(node, 0, values);

/** TF Reshape: the target includes the batch dim (often -1). */
const tfReshape: OpRule = {
  ops: ['tf.Reshape'],
  outputShape(node, inputs, values) {
    const x = one(node, inputs);
    const t = node.attrs.targetShape?.map((d) => d ?? -1) ?? operandValue(node, 1, values)?.map((v) => (v < 0 ? -1 : v));
    if (!t) return null;
    return tfTarget(node, x, t);
  },
  value: passValue,
};

const flatten: OpRule = {
  ops: ['Flatten'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    return [x[0], perSample(x)];
  },
};

const zeroPad: OpRule = {
  ops: ['ZeroPadding2D', 'tf.Pad', 'tf.PadV2', 'tf.MirrorPad'],
  outputShape(node, inputs, values) {
    const x = one(node, inputs);
    const computed = node.domain === 'tf' ? operandValue(node, 1, values) : null;
    const all = node.attrs.paddings ?? (computed && computed.length === 2 * x.length ? x.map((_, i) => [computed[2 * i], computed[2 * i + 1]]) : undefined);
    // TF pads every dimension, the channels included (BlazeFace pads channels before its residual adds).
    if (all) {
      if (all.length !== x.length) fail(node, `pads ${all.length} dimensions of a rank-${x.length} tensor`);
      if (!all.flat().every((q) => Number.isInteger(q) && (q >= 0 || node.op !== 'ZeroPadding2D'))) fail(node, `paddings must be whole numbers${node.op === 'ZeroPadding2D' ? ' of at least 0' : ''}, got ${JSON.stringify(all)}`);
      return x.map((d, i) => (d === null ? null : d + all[i][0] + all[i][1]));
    }
    // TF paddings computed at run time from an open size: unknown statically.
    if (node.domain === 'tf' && !node.attrs.pads) return null;
    const p = node.attrs.pads ?? fail(node, 'has no padding amounts');
    if (!p.flat().every((q) => Number.isInteger(q) && q >= 0)) fail(node, `paddings must be whole numbers of at least 0, got ${JSON.stringify(p)}`);
    const add = (d: Dim, q: number[]) => (d === null ? null : d + q[0] + q[1]);
    return [x[0], add(x[1], p[0]), add(x[2], p[1]), x[3]];
  },
};

const cropping: OpRule = {
  ops: ['Cropping2D'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const p = node.attrs.pads ?? fail(node, 'has no cropping amounts');
    if (!p.flat().every((q) => Number.isInteger(q) && q >= 0)) fail(node, `croppings must be whole numbers of at least 0, got ${JSON.stringify(p)}`);
    const sub = (d: Dim, q: number[], axis: string) => {
      if (d === null) return null;
      if (d - q[0] - q[1] < 1) fail(node, `cropping ${q[0]} + ${q[1]} from a ${axis} of ${d} leaves nothing`);
      return d - q[0] - q[1];
    };
    return [x[0], sub(x[1], p[0], 'height'), sub(x[2], p[1], 'width'), x[3]];
  },
};

const squeeze: OpRule = {
  ops: ['tf.Squeeze'],
  value: passValue,
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const axis = node.attrs.axis;
    const axes = new Set((axis === undefined ? [] : Array.isArray(axis) ? axis : [axis]).map((a) => normAxis(a, x.length)));
    return x.filter((d, i) => !(axes.size === 0 ? d === 1 : axes.has(i)));
  },
};

const expandDims: OpRule = {
  ops: ['tf.ExpandDims'],
  value: passValue,
  outputShape(node, inputs) {
    const x = [...one(node, inputs)];
    const a = node.attrs.axis;
    if (typeof a !== 'number') return null;
    x.splice(a < 0 ? x.length + 1 + a : a, 0, 1);
    return x;
  },
};

export const reshapeRules: OpRule[] = [reshape, tfReshape, flatten, zeroPad, cropping, squeeze, expandDims];
