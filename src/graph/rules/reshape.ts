import type { Dim, Shape } from '../types.js';
import { fail, normAxis, one, perSample, type OpRule } from './rule.js';

/** Resolves one -1 in a target shape against the element count of the input. */
function resolveTarget(node: Parameters<OpRule['outputShape']>[0], x: Shape, target: Dim[]): Shape {
  const total = perSample(x);
  const known = target.filter((d) => d !== -1 && d !== null) as number[];
  const product = known.reduce((a, b) => a * b, 1);
  const out = target.map((d) => (d === -1 ? (total === null ? null : total / product) : d));
  if (total !== null && target.every((d) => d !== -1 && d !== null) && product !== total)
    fail(node, `cannot reshape ${JSON.stringify(x)} (${total} values) to ${JSON.stringify(target)}`);
  if (out.some((d) => d !== null && !Number.isInteger(d)))
    fail(node, `cannot reshape ${JSON.stringify(x)} to ${JSON.stringify(target)}`);
  return [x[0], ...out];
}

const reshape: OpRule = {
  ops: ['Reshape'],
  outputShape(node, inputs) {
    return resolveTarget(node, one(node, inputs), node.attrs.targetShape ?? fail(node, 'has no target_shape'));
  },
};

/** TF Reshape: the target includes the batch dim (often -1). */
const tfReshape: OpRule = {
  ops: ['tf.Reshape'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const t = node.attrs.targetShape ?? fail(node, 'has no constant shape input');
    return resolveTarget(node, x, t.slice(1));
  },
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
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const p = node.attrs.pads ?? fail(node, 'has no padding amounts');
    const add = (d: Dim, q: number[]) => (d === null ? null : d + q[0] + q[1]);
    return [x[0], add(x[1], p[0]), add(x[2], p[1]), x[3]];
  },
};

const cropping: OpRule = {
  ops: ['Cropping2D'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const p = node.attrs.pads ?? fail(node, 'has no cropping amounts');
    const sub = (d: Dim, q: number[]) => (d === null ? null : d - q[0] - q[1]);
    return [x[0], sub(x[1], p[0]), sub(x[2], p[1]), x[3]];
  },
};

const squeeze: OpRule = {
  ops: ['tf.Squeeze'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const axis = node.attrs.axis;
    const axes = new Set((axis === undefined ? [] : Array.isArray(axis) ? axis : [axis]).map((a) => normAxis(a, x.length)));
    return x.filter((d, i) => !(axes.size === 0 ? d === 1 : axes.has(i)));
  },
};

const expandDims: OpRule = {
  ops: ['tf.ExpandDims'],
  outputShape(node, inputs) {
    const x = [...one(node, inputs)];
    const a = node.attrs.axis;
    if (typeof a !== 'number') fail(node, 'has no constant axis');
    x.splice(a < 0 ? x.length + 1 + a : a, 0, 1);
    return x;
  },
};

export const reshapeRules: OpRule[] = [reshape, tfReshape, flatten, zeroPad, cropping, squeeze, expandDims];
