/**
 * Elementwise merges and concatenation.
 * - Keras Merge layers (Add, Multiply, ...): inputs of lower rank are expanded at axis 1 until the
 *   ranks match (keras/src/layers/merging/base_merge.py), then broadcast: a [N, C] gate scales the
 *   channels of an [N, H, W, C] map.
 * - Keras 3 functional ops (`ops.Add`, ...) and TF binary ops: numpy broadcasting, with scalar
 *   operands at their argument positions (`attrs.scalars`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { first, type KernelTable, type PrepareContext, type RunFn } from './kernel.js';

type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** By op name (a Map: op names come from the file, and `constructor` must not be found). */
const BINARY = new Map<string, Binary>([
  ['Add', tf.add], ['Multiply', tf.mul], ['Subtract', tf.sub], ['Maximum', tf.maximum], ['Minimum', tf.minimum],
  ['Divide', tf.div], ['TrueDivide', tf.div],
  ['AddV2', tf.add], ['Mul', tf.mul], ['Sub', tf.sub], ['RealDiv', tf.div],
]);

function binaryOf(ctx: PrepareContext, name: string): Binary {
  const fn = BINARY.get(name);
  if (!fn) return ctx.fail(`has no elementwise function '${name}'`);
  return fn;
}

function kerasMerge(kind: 'Add' | 'Multiply' | 'Subtract' | 'Average' | 'Maximum' | 'Minimum') {
  return (ctx: PrepareContext): RunFn => {
    const fn = binaryOf(ctx, kind === 'Average' ? 'Add' : kind);
    return (inputs) => {
      if (inputs.length < (kind === 'Subtract' ? 2 : 1)) ctx.fail(`needs ${kind === 'Subtract' ? 'two inputs' : 'an input'}, got ${inputs.length}`);
      if (kind === 'Subtract' && inputs.length !== 2) ctx.fail(`subtracts exactly two inputs, got ${inputs.length}`);
      const rank = Math.max(...inputs.map((t) => t.rank));
      const xs = inputs.map((t) => {
        let y = t;
        while (y.rank < rank) y = tf.expandDims(y, 1);
        return y;
      });
      let acc = xs[0];
      for (const x of xs.slice(1)) acc = fn(acc, x);
      return kind === 'Average' ? tf.div(acc, inputs.length) : acc;
    };
  };
}

type Operand = { tensor: number } | { constant: tf.Tensor };

/**
 * Operands of a functional op / TF binary op in argument order. Scalars sit at their recorded
 * positions; larger TF constants (positions not recorded) are taken to follow the tensor inputs.
 */
function operands(ctx: PrepareContext): Operand[] {
  const { node } = ctx;
  const scalars = [...(node.attrs.scalars ?? [])];
  const total = node.inputs.length + (node.domain === 'tf' ? node.weights.length : scalars.length);
  const slots: (Operand | undefined)[] = new Array(total).fill(undefined);
  const late: Operand[] = [];
  if (node.domain === 'tf') {
    let s = 0;
    node.weights.forEach((spec, j) => {
      const w = ctx.weightAt(j);
      if (!w) ctx.fail(`constant input '${spec.name}' has no values`);
      const c = { constant: ctx.upload(w.values, w.shape) };
      if (w.values.length === 1 && s < scalars.length && scalars[s].position < total) slots[scalars[s++].position] = c;
      else late.push(c);
    });
  } else {
    for (const sc of scalars) {
      if (sc.position >= total || slots[sc.position]) ctx.fail(`has a scalar operand at an impossible position ${sc.position}`);
      slots[sc.position] = { constant: ctx.scalar(sc.value) };
    }
  }
  let t = 0;
  for (let i = 0; i < total; i++) if (!slots[i] && t < node.inputs.length) slots[i] = { tensor: t++ };
  for (let i = 0; i < total; i++) if (!slots[i]) slots[i] = late.shift();
  if (slots.some((o) => !o) || total < 1) ctx.fail('has operands that cannot be placed');
  return slots as Operand[];
}

function elementwise(name: string) {
  return (ctx: PrepareContext): RunFn => {
    const fn = binaryOf(ctx, name);
    const ops = operands(ctx);
    return (inputs) => {
      const vals = ops.map((o) => ('tensor' in o ? inputs[o.tensor] : o.constant));
      if (vals.some((v) => !v)) ctx.fail(`expects ${ctx.node.inputs.length} inputs, got ${inputs.length}`);
      let acc = vals[0];
      for (const v of vals.slice(1)) acc = fn(acc, v);
      return acc;
    };
  };
}

function biasAdd(ctx: PrepareContext): RunFn {
  const w = ctx.weightAt(0);
  const bias = w ? ctx.upload(w.values, w.shape) : undefined;
  return (inputs) => {
    const b = bias ?? inputs[1];
    if (!b) ctx.fail('has no bias operand');
    return tf.add(first(ctx, inputs), b);
  };
}

function concat(ctx: PrepareContext): RunFn {
  const axis = ctx.node.attrs.axis;
  if (typeof axis !== 'number') ctx.fail('has no constant concatenation axis');
  if (ctx.node.domain === 'tf' && ctx.node.weights.length > 1) ctx.fail('concatenates constant tensors, which is not supported');
  return (inputs) => {
    if (inputs.length === 0) ctx.fail('has no input');
    return inputs.length === 1 ? inputs[0] : tf.concat(inputs, axis);
  };
}

export const mergeKernels: KernelTable = {
  Add: kerasMerge('Add'),
  Multiply: kerasMerge('Multiply'),
  Subtract: kerasMerge('Subtract'),
  Average: kerasMerge('Average'),
  Maximum: kerasMerge('Maximum'),
  Minimum: kerasMerge('Minimum'),
  'ops.Add': elementwise('Add'),
  'ops.Multiply': elementwise('Multiply'),
  'ops.Subtract': elementwise('Subtract'),
  'ops.Divide': elementwise('Divide'),
  'ops.TrueDivide': elementwise('TrueDivide'),
  'ops.Maximum': elementwise('Maximum'),
  'ops.Minimum': elementwise('Minimum'),
  'tf.AddV2': elementwise('AddV2'),
  'tf.Add': elementwise('AddV2'),
  'tf.Mul': elementwise('Mul'),
  'tf.Sub': elementwise('Sub'),
  'tf.RealDiv': elementwise('RealDiv'),
  'tf.Maximum': elementwise('Maximum'),
  'tf.Minimum': elementwise('Minimum'),
  'tf.BiasAdd': biasAdd,
  Concatenate: concat,
  'tf.ConcatV2': concat,
};
