/**
 * Normalization in inference mode and the shape-preserving layers that do nothing at inference.
 * BatchNormalization: (x - moving_mean) / sqrt(moving_variance + eps) * gamma + beta, where gamma
 * is absent with `scale=False` (attrs.scaleGamma) and beta with `center=False`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { first, type KernelTable, type PrepareContext, type RunFn } from './kernel.js';

function batchNorm(ctx: PrepareContext): RunFn {
  const a = ctx.node.attrs;
  const up = (name: string) => {
    const w = ctx.need(name);
    return ctx.upload(w.values, w.shape) as tf.Tensor1D;
  };
  const gamma = a.scaleGamma === false ? undefined : up('gamma');
  const beta = a.center === false ? undefined : up('beta');
  const mean = up('moving_mean');
  const variance = up('moving_variance');
  const eps = a.epsilon ?? 1e-3;
  return (inputs) => tf.batchNorm(first(ctx, inputs), mean, variance, beta, gamma, eps);
}

/** TF FusedBatchNorm(V3) in inference: constant inputs scale, offset, mean, variance. */
function tfBatchNorm(ctx: PrepareContext): RunFn {
  const ws = [0, 1, 2, 3].map((i) => ctx.weightAt(i));
  if (ws.some((w) => !w)) ctx.fail('needs constant scale, offset, mean and variance inputs');
  const [scale, offset, mean, variance] = ws.map((w) => ctx.upload(w!.values, w!.shape) as tf.Tensor1D);
  const eps = ctx.node.attrs.epsilon ?? 1e-4;
  return (inputs) => tf.batchNorm(first(ctx, inputs), mean, variance, offset, scale, eps);
}

function layerNorm(ctx: PrepareContext): RunFn {
  const a = ctx.node.attrs;
  const gw = a.scaleGamma === false ? undefined : ctx.need('gamma');
  const bw = a.center === false ? undefined : ctx.need('beta');
  const gamma = gw ? ctx.upload(gw.values, gw.shape) : undefined;
  const beta = bw ? ctx.upload(bw.values, bw.shape) : undefined;
  const eps = a.epsilon ?? 1e-3;
  return (inputs) => {
    const x = first(ctx, inputs);
    const { mean, variance } = tf.moments(x, -1, true);
    let inv: tf.Tensor = tf.rsqrt(tf.add(variance, eps));
    if (gamma) inv = tf.mul(inv, gamma);
    let res: tf.Tensor = tf.mul(tf.neg(mean), inv);
    if (beta) res = tf.add(res, beta);
    return tf.add(tf.mul(x, inv), res);
  };
}

function rescaling(ctx: PrepareContext): RunFn {
  const { scale, offset } = ctx.node.attrs;
  if (scale === undefined) ctx.fail('has no scalar scale');
  const s = ctx.scalar(scale);
  const o = offset ? ctx.scalar(offset) : undefined;
  return (inputs) => {
    const y = tf.mul(first(ctx, inputs), s);
    return o ? tf.add(y, o) : y;
  };
}

/** Keras Normalization: (x - mean) / max(sqrt(variance), 1e-7) over the channel axis. */
function normalization(ctx: PrepareContext): RunFn {
  const a = ctx.node.attrs;
  const mean = a.mean ?? ctx.need('mean').values;
  const variance = a.variance ?? ctx.need('variance').values;
  const m = ctx.upload(Array.from(mean), [mean.length]);
  const inv = ctx.upload(Array.from(variance, (v) => 1 / Math.max(Math.sqrt(v), 1e-7)), [variance.length]);
  return (inputs) => tf.mul(tf.sub(first(ctx, inputs), m), inv);
}

/** Inference-time identity: the input tensor itself is the output. */
const identity = (ctx: PrepareContext): RunFn => (inputs) => first(ctx, inputs);

export const normalizationKernels: KernelTable = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  Rescaling: rescaling,
  Normalization: normalization,
  Dropout: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  ActivityRegularization: identity,
  'tf.FusedBatchNorm': tfBatchNorm,
  'tf.FusedBatchNormV3': tfBatchNorm,
  'tf.Identity': identity,
  'tf.StopGradient': identity,
};
