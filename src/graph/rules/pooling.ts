import type { Shape } from '../types.js';
import { channels, checkWindow, fail, normAxis, one, operandValue, pair, perSample, windowOutputChecked, type OpRule } from './rule.js';

const pool2d: OpRule = {
  ops: ['MaxPooling2D', 'AveragePooling2D', 'tf.MaxPool', 'tf.AvgPool'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    if (x.length !== 4) fail(node, `expects a 4D NHWC input, got ${JSON.stringify(x)}`);
    const [ph, pw] = pair(node.attrs.poolSize, 2);
    const [sh, sw] = pair(node.attrs.strides ?? node.attrs.poolSize, 2);
    const padding = node.attrs.padding ?? 'valid';
    checkWindow(node, [ph, pw], [sh, sw]);
    return [x[0], windowOutputChecked(node, 'height', x[1], ph, sh, padding), windowOutputChecked(node, 'width', x[2], pw, sw, padding), x[3]];
  },
};

/** Global pooling: the SE squeeze. One MAC per input element (the SENet paper's count). */
const globalPool: OpRule = {
  ops: ['GlobalAveragePooling2D', 'GlobalMaxPooling2D'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    if (x.length !== 4) fail(node, `expects a 4D NHWC input, got ${JSON.stringify(x)}`);
    const c = channels(node, x);
    return node.attrs.keepdims ? [x[0], 1, 1, c] : [x[0], c];
  },
  macs(node, inputs) {
    return node.op === 'GlobalAveragePooling2D' ? perSample(inputs[0]) : 0;
  },
};

function reducedShape(x: Shape, axes: number[], keep: boolean): Shape {
  const set = new Set(axes.map((a) => normAxis(a, x.length)));
  return keep ? x.map((d, i) => (set.has(i) ? 1 : d)) : x.filter((_, i) => !set.has(i));
}

/** TF reductions; axes come from the constant second input, resolved by the reader. */
const tfReduce: OpRule = {
  ops: ['tf.Mean', 'tf.Max', 'tf.Sum', 'tf.Min', 'tf.Prod', 'tf.Any', 'tf.All', 'tf.ArgMax', 'tf.ArgMin'],
  outputShape(node, inputs, values) {
    const x = one(node, inputs);
    const axis = node.attrs.axis ?? operandValue(node, 1, values) ?? undefined;
    if (axis === undefined) return null;
    return reducedShape(x, Array.isArray(axis) ? axis : [axis], node.attrs.keepdims ?? false);
  },
  macs(node, inputs) {
    return node.op === 'tf.Mean' ? perSample(inputs[0]) : 0;
  },
};

export const poolingRules: OpRule[] = [pool2d, globalPool, tfReduce];
