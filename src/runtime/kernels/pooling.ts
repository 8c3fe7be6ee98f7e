/** Window pooling, global pooling (the SE squeeze) and TF reductions. */
import * as tf from '@tensorflow/tfjs-core';
import { first, pair, type KernelTable, type PrepareContext, type RunFn } from './kernel.js';

function pool(kind: 'max' | 'avg') {
  return (ctx: PrepareContext): RunFn => {
    const a = ctx.node.attrs;
    const size = pair(a.poolSize, 2);
    const strides = pair(a.strides ?? a.poolSize, 2);
    const pad = a.padding === 'same' ? 'same' : 'valid';
    return (inputs) => {
      const x = first(ctx, inputs);
      if (x.rank !== 4) ctx.fail(`expects a 4D NHWC input, got shape [${x.shape.join(', ')}]`);
      // tfjs, like TF, leaves padded positions out of the average for 'same'.
      return kind === 'max' ? tf.maxPool(x as tf.Tensor4D, size, strides, pad) : tf.avgPool(x as tf.Tensor4D, size, strides, pad);
    };
  };
}

function globalPool(kind: 'max' | 'avg') {
  return (ctx: PrepareContext): RunFn => {
    const keep = !!ctx.node.attrs.keepdims;
    return (inputs) => {
      const x = first(ctx, inputs);
      if (x.rank !== 4) ctx.fail(`expects a 4D NHWC input, got shape [${x.shape.join(', ')}]`);
      return kind === 'avg' ? tf.mean(x, [1, 2], keep) : tf.max(x, [1, 2], keep);
    };
  };
}

function reduce(fn: typeof tf.mean) {
  return (ctx: PrepareContext): RunFn => {
    const axis = ctx.node.attrs.axis;
    if (axis === undefined) ctx.fail('has no constant reduction axes');
    const keep = !!ctx.node.attrs.keepdims;
    return (inputs) => fn(first(ctx, inputs), axis, keep);
  };
}

export const poolingKernels: KernelTable = {
  MaxPooling2D: pool('max'),
  AveragePooling2D: pool('avg'),
  'tf.MaxPool': pool('max'),
  'tf.AvgPool': pool('avg'),
  GlobalAveragePooling2D: globalPool('avg'),
  GlobalMaxPooling2D: globalPool('max'),
  'tf.Mean': reduce(tf.mean),
  'tf.Max': reduce(tf.max),
  'tf.Min': reduce(tf.min),
  'tf.Sum': reduce(tf.sum),
};
