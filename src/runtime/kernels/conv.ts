/**
 * Convolutions. Keras kernels are HWIO ([kh, kw, in/groups, out]; depthwise [kh, kw, in, m]),
 * which is what tfjs expects. `same` padding is TF's (extra row/column at the bottom/right),
 * which tfjs implements the same way. Bias and the common activations run fused in one kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activationFn, fusedActivation } from './activation.js';
import { first, pair, type HostWeight, type KernelTable, type PrepareContext, type RunFn } from './kernel.js';

type Pad = 'same' | 'valid';
type Pads4 = [[number, number], [number, number], [number, number], [number, number]];

/**
 * tfjs' padding for the node: 'same' / 'valid', and for TF's EXPLICIT padding the amounts, applied
 * with tf.pad before a 'valid' convolution (tfjs' fused depthwise kernel takes no explicit pads).
 */
function padOf(ctx: PrepareContext): { pad: Pad; prePad?: Pads4 } {
  const { padding, pads } = ctx.node.attrs;
  if (padding === 'explicit') {
    const p = pads ?? [[0, 0], [0, 0]];
    return { pad: 'valid', prePad: [[0, 0], [p[0][0], p[0][1]], [p[1][0], p[1][1]], [0, 0]] };
  }
  return { pad: padding === 'same' ? 'same' : 'valid' };
}

function as4d(ctx: PrepareContext, x: tf.Tensor): tf.Tensor4D {
  if (x.rank !== 4) ctx.fail(`expects a 4D NHWC input, got shape [${x.shape.join(', ')}]`);
  return x as tf.Tensor4D;
}

/** Activation after a conv/matmul: fused into the kernel when tfjs can, else a separate op. */
export function activationPlan(ctx: PrepareContext, name: string | undefined, alpha?: number) {
  const fused = fusedActivation(name);
  if (fused && alpha !== undefined && fused.activation === 'leakyrelu') fused.leakyreluAlpha = alpha;
  const after = fused ? undefined : activationFn(ctx, name);
  return { fused: fused ?? { activation: 'linear' as const }, after };
}

/** Output channels [from, to) of an HWIO kernel, as a new array. */
function sliceOut(k: HostWeight, from: number, to: number): Float32Array {
  const out = k.shape[3];
  const rows = k.values.length / out;
  const n = to - from;
  const res = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) res.set(k.values.subarray(r * out + from, r * out + to), r * n);
  return res;
}

function kerasConv(ctx: PrepareContext): RunFn {
  const a = ctx.node.attrs;
  const k = ctx.need('kernel');
  const b = a.useBias === false ? undefined : ctx.need('bias');
  const strides = pair(a.strides, 1);
  const dilations = pair(a.dilations, 1);
  const { pad } = padOf(ctx);
  const { fused, after } = activationPlan(ctx, a.activation);
  const groups = a.groups ?? 1;
  if (k.shape.length !== 4) ctx.fail(`has a kernel of shape [${k.shape.join(', ')}], not 4D`);
  if (groups === 1) {
    const filter = ctx.upload(k.values, k.shape) as tf.Tensor4D;
    const bias = b ? ctx.upload(b.values, b.shape) : undefined;
    return (inputs) => {
      const y = tf.fused.conv2d({ x: as4d(ctx, first(ctx, inputs)), filter, strides, pad, dilations, bias, ...fused });
      return after ? after(y) : y;
    };
  }
  // Grouped convolution: tfjs has none, so one conv per group on its slice of the channels.
  const outPer = k.shape[3] / groups;
  if (!Number.isInteger(outPer)) ctx.fail(`has ${k.shape[3]} filters, not divisible by groups=${groups}`);
  const parts = Array.from({ length: groups }, (_, g) => ({
    filter: ctx.upload(sliceOut(k, g * outPer, (g + 1) * outPer), [k.shape[0], k.shape[1], k.shape[2], outPer]) as tf.Tensor4D,
    bias: b ? ctx.upload(b.values.slice(g * outPer, (g + 1) * outPer), [outPer]) : undefined,
  }));
  return (inputs) => {
    const xs = tf.split(as4d(ctx, first(ctx, inputs)), groups, 3);
    const y = tf.concat(parts.map((p, g) => tf.fused.conv2d({ x: xs[g] as tf.Tensor4D, filter: p.filter, strides, pad, dilations, bias: p.bias, ...fused })), 3);
    return after ? after(y) : y;
  };
}

function kerasDepthwise(ctx: PrepareContext): RunFn {
  const a = ctx.node.attrs;
  const k = ctx.need('depthwise_kernel');
  const b = a.useBias === false ? undefined : ctx.need('bias');
  const filter = ctx.upload(k.values, k.shape) as tf.Tensor4D;
  const bias = b ? ctx.upload(b.values, b.shape) : undefined;
  const strides = pair(a.strides, 1);
  const dilations = pair(a.dilations, 1);
  const { pad } = padOf(ctx);
  const { fused, after } = activationPlan(ctx, a.activation);
  return (inputs) => {
    const y = tf.fused.depthwiseConv2d({ x: as4d(ctx, first(ctx, inputs)), filter, strides, pad, dilations, bias, ...fused });
    return after ? after(y) : y;
  };
}

function kerasSeparable(ctx: PrepareContext): RunFn {
  const a = ctx.node.attrs;
  const dk = ctx.need('depthwise_kernel');
  const pk = ctx.need('pointwise_kernel');
  const b = a.useBias === false ? undefined : ctx.need('bias');
  const depthwise = ctx.upload(dk.values, dk.shape) as tf.Tensor4D;
  const pointwise = ctx.upload(pk.values, pk.shape) as tf.Tensor4D;
  const bias = b ? ctx.upload(b.values, b.shape) : undefined;
  const strides = pair(a.strides, 1);
  const dilation = pair(a.dilations, 1);
  const pad = a.padding === 'same' ? 'same' : 'valid';
  const act = activationFn(ctx, a.activation);
  return (inputs) => {
    let y: tf.Tensor = tf.separableConv2d(as4d(ctx, first(ctx, inputs)), depthwise, pointwise, strides, pad, dilation);
    if (bias) y = tf.add(y, bias);
    return act ? act(y) : y;
  };
}

/**
 * TF convolutions: filter = constant input 1; _Fused* add the next constant (BiasAdd), then an
 * `Add` operand if fused, then the activation. Operands that are not constants follow the input.
 */
function tfConv(depthwise: boolean) {
  return (ctx: PrepareContext): RunFn => {
    const a = ctx.node.attrs;
    const k = ctx.weightAt(0);
    if (!k || k.shape.length !== 4) ctx.fail('has no constant 4D filter');
    const filter = ctx.upload(k.values, k.shape) as tf.Tensor4D;
    const fusedOps = a.fusedOps ?? [];
    const constants = ctx.node.weights.slice(1).map((_, i) => {
      const w = ctx.weightAt(i + 1)!;
      return ctx.upload(w.values, w.shape);
    });
    const strides = pair(a.strides, 1);
    const dilations = pair(a.dilations, 1);
    const { pad, prePad } = padOf(ctx);
    const { fused, after } = activationPlan(ctx, fusedOps.length ? a.activation : undefined, a.negativeSlope);
    const actAfterAdd = activationFn(ctx, fusedOps.length ? a.activation : undefined);
    const wantsBias = fusedOps.includes('BiasAdd');
    const wantsAdd = fusedOps.includes('Add');
    if (fusedOps.some((f) => f !== 'BiasAdd' && f !== 'Add' && f.toLowerCase().replace(/_/g, '') !== (a.activation ?? '').replace(/_/g, '')))
      ctx.fail(`fuses ${JSON.stringify(fusedOps)}, which is not supported`);
    return (inputs) => {
      const x0 = as4d(ctx, first(ctx, inputs));
      const x = prePad ? tf.pad(x0, prePad) : x0;
      const extra = [...constants, ...inputs.slice(1)];
      const bias = wantsBias ? extra.shift() : undefined;
      const addend = wantsAdd ? extra.shift() : undefined;
      if ((wantsBias && !bias) || (wantsAdd && !addend)) ctx.fail(`fuses ${JSON.stringify(fusedOps)} but has too few operands`);
      const args = { x, filter, strides, pad, dilations, bias };
      let y: tf.Tensor;
      if (addend) {
        y = depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
        y = tf.add(y, addend);
        return actAfterAdd ? actAfterAdd(y) : y;
      }
      y = depthwise ? tf.fused.depthwiseConv2d({ ...args, ...fused }) : tf.fused.conv2d({ ...args, ...fused });
      return after ? after(y) : y;
    };
  };
}

export const convKernels: KernelTable = {
  Conv2D: kerasConv,
  DepthwiseConv2D: kerasDepthwise,
  SeparableConv2D: kerasSeparable,
  'tf.Conv2D': tfConv(false),
  'tf._FusedConv2D': tfConv(false),
  'tf.DepthwiseConv2dNative': tfConv(true),
  'tf.FusedDepthwiseConv2dNative': tfConv(true),
};
