/**
 * Activations by their Keras names (inside layers and in Activation layers), activation layers,
 * and TF's unary ops. Definitions follow Keras 3 (keras/src/activations, torch backend):
 *   hard_sigmoid(x) = relu6(x + 3) / 6          (Keras 2 and tfjs-layers: clip(0.2x + 0.5, 0, 1))
 *   hard_silu(x) = hard_swish(x) = x * relu6(x + 3) / 6
 *   silu(x) = swish(x) = x * sigmoid(x)
 *   gelu(x) = x/2 * (1 + erf(x / sqrt 2))       (approximate=False, the Keras default)
 */
import * as tf from '@tensorflow/tfjs-core';
import { first, type KernelTable, type PrepareContext } from './kernel.js';

type Fn = (x: tf.Tensor) => tf.Tensor;

const hardSigmoid3: Fn = (x) => tf.div(tf.relu6(tf.add(x, 3)), 6);
const hardSigmoid2: Fn = (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);

/** Softmax over any axis (tfjs' softmax works on the last one only). */
export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  if (a === x.rank - 1) return tf.softmax(x);
  const shifted = tf.sub(x, tf.max(x, a, true));
  const e = tf.exp(shifted);
  return tf.div(e, tf.sum(e, a, true));
}

/** The function of a Keras activation name; unknown names are an error naming the layer. */
export function activationFn(ctx: PrepareContext, name: string | undefined): Fn | undefined {
  switch (name ?? 'linear') {
    case 'linear':
      return undefined;
    case 'relu':
      return tf.relu;
    case 'relu6':
      return tf.relu6;
    case 'sigmoid':
      return tf.sigmoid;
    case 'tanh':
      return tf.tanh;
    case 'softmax':
      return (x) => softmax(x, -1);
    case 'log_softmax':
      return (x) => tf.logSoftmax(x);
    case 'softplus':
      return tf.softplus;
    case 'softsign':
      return (x) => tf.div(x, tf.add(tf.abs(x), 1));
    case 'elu':
      return tf.elu;
    case 'selu':
      return tf.selu;
    case 'exponential':
      return tf.exp;
    case 'leaky_relu':
      return (x) => tf.leakyRelu(x, 0.2);
    case 'hard_sigmoid':
      return ctx.keras === 2 ? hardSigmoid2 : hardSigmoid3;
    case 'hard_silu':
    case 'hard_swish':
      return (x) => tf.mul(x, hardSigmoid3(x));
    case 'silu':
    case 'swish':
      return (x) => tf.mul(x, tf.sigmoid(x));
    case 'gelu':
      return (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    case 'mish':
      return (x) => tf.mul(x, tf.tanh(tf.softplus(x)));
    case 'log_sigmoid':
      return (x) => tf.neg(tf.softplus(tf.neg(x)));
    case 'hard_tanh':
      return (x) => tf.clipByValue(x, -1, 1);
    case 'tanh_shrink':
      return (x) => tf.sub(x, tf.tanh(x));
    default:
      return ctx.fail(`unsupported activation '${name}'`);
  }
}

/** Activations tfjs fuses into conv/matmul kernels (one pass instead of two). */
export function fusedActivation(name: string | undefined): { activation: tf.fused.Activation; leakyreluAlpha?: number } | undefined {
  switch (name ?? 'linear') {
    case 'linear':
      return { activation: 'linear' };
    case 'relu':
    case 'relu6':
    case 'sigmoid':
    case 'elu':
      return { activation: name as tf.fused.Activation };
    case 'leaky_relu':
      return { activation: 'leakyrelu', leakyreluAlpha: 0.2 };
    default:
      return undefined;
  }
}

/** Keras ReLU(max_value, negative_slope, threshold), as keras/src/activations ReLU.static_call. */
function kerasRelu(ctx: PrepareContext): (x: tf.Tensor) => tf.Tensor {
  const maxValue = ctx.node.attrs.maxValue ?? null;
  const slope = ctx.node.attrs.negativeSlope ?? 0;
  const threshold = ctx.node.attrs.threshold ?? 0;
  if (slope === 0 && threshold === 0) {
    if (maxValue === null) return tf.relu;
    if (maxValue === 6) return tf.relu6;
    return (x) => tf.clipByValue(x, 0, maxValue);
  }
  if (slope !== 0 && maxValue === null && threshold === 0) return (x) => tf.leakyRelu(x, slope);
  return (x) => {
    const negative = slope !== 0 ? tf.relu(threshold !== 0 ? tf.add(tf.neg(x), threshold) : tf.neg(x)) : undefined;
    let y = threshold !== 0 ? tf.mul(x, tf.cast(tf.greater(x, threshold), 'float32')) : tf.relu(x);
    if (maxValue !== null) y = tf.clipByValue(y, 0, maxValue);
    return negative ? tf.sub(y, tf.mul(negative, slope)) : y;
  };
}

const unary = (fn: (x: tf.Tensor) => tf.Tensor) => (ctx: PrepareContext) => (inputs: tf.Tensor[]) => fn(first(ctx, inputs));

export const activationKernels: KernelTable = {
  Activation(ctx) {
    const fn = activationFn(ctx, ctx.node.attrs.activation);
    return (inputs) => (fn ? fn(first(ctx, inputs)) : first(ctx, inputs));
  },
  ReLU: (ctx) => {
    const fn = kerasRelu(ctx);
    return (inputs) => fn(first(ctx, inputs));
  },
  LeakyReLU: (ctx) => {
    const alpha = ctx.node.attrs.negativeSlope ?? 0.3;
    return (inputs) => tf.leakyRelu(first(ctx, inputs), alpha);
  },
  ELU: (ctx) => {
    const alpha = ctx.node.attrs.scale ?? 1;
    if (alpha === 1) return (inputs) => tf.elu(first(ctx, inputs));
    return (inputs) => {
      const x = first(ctx, inputs);
      return tf.where(tf.greater(x, 0), x, tf.mul(tf.sub(tf.exp(x), 1), alpha));
    };
  },
  ThresholdedReLU: (ctx) => {
    const theta = ctx.node.attrs.threshold ?? 1;
    return (inputs) => {
      const x = first(ctx, inputs);
      return tf.mul(x, tf.cast(tf.greater(x, theta), 'float32'));
    };
  },
  Softmax: (ctx) => {
    const axis = typeof ctx.node.attrs.axis === 'number' ? ctx.node.attrs.axis : -1;
    return (inputs) => softmax(first(ctx, inputs), axis);
  },
  'tf.Relu': unary(tf.relu),
  'tf.Relu6': unary(tf.relu6),
  'tf.Sigmoid': unary(tf.sigmoid),
  'tf.Tanh': unary(tf.tanh),
  'tf.Elu': unary(tf.elu),
  'tf.Selu': unary(tf.selu),
  'tf.Softmax': unary((x) => tf.softmax(x)),
  'tf.LeakyRelu': (ctx) => {
    const alpha = ctx.node.attrs.negativeSlope ?? 0.2;
    return (inputs) => tf.leakyRelu(first(ctx, inputs), alpha);
  },
  'tf.Swish': unary((x) => tf.mul(x, tf.sigmoid(x))),
  'tf.HardSigmoid': unary(hardSigmoid3),
  'tf.Softplus': unary(tf.softplus),
  'tf.Neg': unary(tf.neg),
  'tf.Square': unary(tf.square),
  'tf.Sqrt': unary(tf.sqrt),
  'tf.Rsqrt': unary(tf.rsqrt),
  'tf.Exp': unary(tf.exp),
};
