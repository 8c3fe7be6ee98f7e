/** Dense (on any rank: applied to the last axis) and TF MatMul / _FusedMatMul. */
import * as tf from '@tensorflow/tfjs-core';
import { activationPlan } from './conv.js';
import { first, type KernelTable, type PrepareContext, type RunFn } from './kernel.js';

function dense(ctx: PrepareContext): RunFn {
  const a = ctx.node.attrs;
  const k = ctx.need('kernel');
  if (k.shape.length !== 2) ctx.fail(`has a kernel of shape [${k.shape.join(', ')}], not 2D`);
  const b = a.useBias === false ? undefined : ctx.need('bias');
  const kernel = ctx.upload(k.values, k.shape) as tf.Tensor2D;
  const bias = b ? ctx.upload(b.values, b.shape) : undefined;
  const { fused, after } = activationPlan(ctx, a.activation);
  const [cin, units] = k.shape;
  return (inputs) => {
    const x = first(ctx, inputs);
    if (x.shape[x.rank - 1] !== cin) ctx.fail(`expects ${cin} input features, got shape [${x.shape.join(', ')}]`);
    const flat = (x.rank === 2 ? x : tf.reshape(x, [-1, cin])) as tf.Tensor2D;
    let y: tf.Tensor = tf.fused.matMul({ a: flat, b: kernel, bias, ...fused });
    if (x.rank !== 2) y = tf.reshape(y, [...x.shape.slice(0, -1), units]);
    return after ? after(y) : y;
  };
}

/** a x b with b the constant (or the second tensor input); _FusedMatMul adds the bias and activation. */
function tfMatMul(ctx: PrepareContext): RunFn {
  const a = ctx.node.attrs;
  const w = ctx.weightAt(0);
  const b = w ? (ctx.upload(w.values, w.shape) as tf.Tensor2D) : undefined;
  const biasW = ctx.weightAt(1);
  const fusedOps = a.fusedOps ?? [];
  const bias = fusedOps.includes('BiasAdd') && biasW ? ctx.upload(biasW.values, biasW.shape) : undefined;
  if (fusedOps.includes('BiasAdd') && !biasW) ctx.fail('fuses BiasAdd but has no constant bias');
  const { fused, after } = activationPlan(ctx, fusedOps.length ? a.activation : undefined, a.negativeSlope);
  return (inputs) => {
    const x = first(ctx, inputs) as tf.Tensor2D;
    const rhs = (b ?? inputs[1]) as tf.Tensor2D | undefined;
    if (!rhs) ctx.fail('has no right-hand operand');
    const y = tf.fused.matMul({ a: x, b: rhs, transposeA: !!a.transposeA, transposeB: !!a.transposeB, bias, ...fused });
    return after ? after(y) : y;
  };
}

export const denseKernels: KernelTable = {
  Dense: dense,
  'tf.MatMul': tfMatMul,
  'tf._FusedMatMul': tfMatMul,
};
