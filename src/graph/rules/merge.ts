import type { Dim, GraphNode, Shape } from '../types.js';
import { fail, normAxis, operandShapes, operandValue, perSample, type OpRule, type StaticValues } from './rule.js';
import { own } from '../../util/lookup.js';

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
/** Keras merge layers (not the numpy-like ops.*), which align the batch axis before broadcasting. */
const KERAS_MERGES = new Set(['Add', 'Multiply', 'Subtract', 'Average', 'Maximum', 'Minimum']);

/**
 * Keras' Merge layers expand a lower-rank input at axis 1 until the ranks match (merging.py,
 * `_reshape_required`): an SE gate [N, C] times a 1 x 1 map [N, 1, 1, C] is [N, 1, 1, C], never
 * broadcast against the batch axis as numpy would.
 */
function batchAligned(inputs: Shape[]): Shape[] {
  const rank = Math.max(...inputs.map((s) => s.length));
  return inputs.map((s) => (s.length >= rank || s.length === 0 ? s : [s[0], ...Array<Dim>(rank - s.length).fill(1), ...s.slice(1)]));
}

/** Elementwise merges. Multiplies count one MAC per output element (the SE scale); adds count none. */
const elementwise: OpRule = {
  ops: [
    'Add', 'Multiply', 'Subtract', 'Average', 'Maximum', 'Minimum',
    'ops.Add', 'ops.Multiply', 'ops.Subtract', 'ops.Divide', 'ops.TrueDivide', 'ops.Maximum', 'ops.Minimum',
    'tf.AddV2', 'tf.Add', 'tf.Mul', 'tf.Sub', 'tf.RealDiv', 'tf.Maximum', 'tf.Minimum', 'tf.BiasAdd',
    'tf.AddN', 'tf.SquaredDifference', 'tf.Pow', 'tf.FloorDiv', 'tf.FloorMod', 'tf.DivNoNan', 'tf.Atan2',
    'tf.Equal', 'tf.NotEqual', 'tf.Less', 'tf.LessEqual', 'tf.Greater', 'tf.GreaterEqual', 'tf.LogicalAnd', 'tf.LogicalOr',
    'tf.Select', 'tf.SelectV2',
  ],
  outputShape(node, inputs) {
    // TF constant operands broadcast too (a [C] bias, a [1, 1, 1, C] folded BatchNorm scale, a grid).
    const all = node.domain === 'tf' ? operandShapes(node, inputs) : KERAS_MERGES.has(node.op) ? batchAligned(inputs) : inputs;
    if (all.length === 0) fail(node, 'has no input');
    return all.reduce((acc, s) => broadcast(node, acc, s));
  },
  value: (node, inputs, values) => arithmetic(node, inputs, values),
  macs(node, _inputs, out) {
    return MULTIPLIES.has(node.op) ? perSample(out) : 0;
  },
};

const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  'tf.AddV2': (a, b) => a + b, 'tf.Add': (a, b) => a + b, 'tf.Sub': (a, b) => a - b, 'tf.Mul': (a, b) => a * b,
  'tf.FloorDiv': (a, b) => Math.floor(a / b), 'tf.RealDiv': (a, b) => a / b, 'tf.Maximum': Math.max, 'tf.Minimum': Math.min,
};

/** Shape arithmetic on small integer vectors known statically (`size * 2` before a resize), with scalar constants. */
function arithmetic(node: GraphNode, inputs: Shape[], values: StaticValues): number[] | null {
  const fn = own(ARITHMETIC, node.op);
  if (!fn || node.domain !== 'tf' || node.weights.length + inputs.length !== 2) return null;
  const scalars = node.attrs.scalars ?? [];
  const at = (p: number) => {
    const s = scalars.find((q) => q.position === p);
    return s ? [s.value] : operandValue(node, p, values);
  };
  const [a, b] = [at(0), at(1)];
  if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return null;
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => fn(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
}

const concat: OpRule = {
  ops: ['Concatenate', 'tf.ConcatV2'],
  outputShape(node, tensors) {
    // TF: constant operands (a stored tensor joined to the data) count; the axis is the last operand.
    const inputs = node.domain === 'tf' ? operandShapes(node, tensors).slice(0, -1) : tensors;
    if (inputs.length === 0) fail(node, 'has no input');
    const rank = inputs[0].length;
    if (node.domain === 'tf' && typeof node.attrs.axis !== 'number') return null;
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
