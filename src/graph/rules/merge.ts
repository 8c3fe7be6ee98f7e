import type { Dim, GraphNode, Shape } from '../types.js';
import { fail, normAxis, perSample, type OpRule } from './rule.js';

/** Numpy broadcasting of two shapes; open dims stay open. */
export function broadcast(node: GraphNode, a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    // Missing leading dims broadcast as 1; an open dim (null) stays open.
    const ia = a.length - rank + i;
    const ib = b.length - rank + i;
    const x = ia < 0 ? 1 : a[ia];
    const y = ib < 0 ? 1 : b[ib];
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === null || y === null) out.push(x ?? y);
    else if (x === y) out.push(x);
    else fail(node, `cannot broadcast shapes ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  }
  return out;
}

const MULTIPLIES = new Set(['Multiply', 'ops.Multiply', 'tf.Mul']);

/** Elementwise merges. Multiplies count one MAC per output element (the SE scale); adds count none. */
const elementwise: OpRule = {
  ops: [
    'Add', 'Multiply', 'Subtract', 'Average', 'Maximum', 'Minimum',
    'ops.Add', 'ops.Multiply', 'ops.Subtract', 'ops.Divide', 'ops.TrueDivide', 'ops.Maximum', 'ops.Minimum',
    'tf.AddV2', 'tf.Add', 'tf.Mul', 'tf.Sub', 'tf.RealDiv', 'tf.Maximum', 'tf.Minimum', 'tf.BiasAdd',
  ],
  outputShape(node, inputs) {
    if (inputs.length === 0) fail(node, 'has no input');
    return inputs.reduce((acc, s) => broadcast(node, acc, s));
  },
  macs(node, _inputs, out) {
    return MULTIPLIES.has(node.op) ? perSample(out) : 0;
  },
};

const concat: OpRule = {
  ops: ['Concatenate', 'tf.ConcatV2'],
  outputShape(node, inputs) {
    if (inputs.length === 0) fail(node, 'has no input');
    const rank = inputs[0].length;
    const axis = normAxis(typeof node.attrs.axis === 'number' ? node.attrs.axis : -1, rank);
    const out = [...inputs[0]];
    for (const s of inputs.slice(1)) {
      if (s.length !== rank) fail(node, `concatenates tensors of different rank: ${JSON.stringify(inputs)}`);
      const a = out[axis];
      const b = s[axis];
      out[axis] = a === null || b === null ? null : a + b;
    }
    return out;
  },
};

export const mergeRules: OpRule[] = [elementwise, concat];
