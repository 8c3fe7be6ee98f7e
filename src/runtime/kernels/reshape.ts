/** Shape ops: Reshape, Flatten, padding, cropping, TF Reshape/Pad/Squeeze/ExpandDims. */
import * as tf from '@tensorflow/tfjs-core';
import { first, type KernelTable, type PrepareContext, type RunFn } from './kernel.js';

/** Keras Reshape: target_shape excludes the batch dimension; -1 (or an open dim) is inferred. */
function reshape(ctx: PrepareContext): RunFn {
  const target = ctx.node.attrs.targetShape;
  if (!target) ctx.fail('has no target_shape');
  const dims = target.map((d) => (d === null ? -1 : d));
  if (dims.filter((d) => d === -1).length > 1) ctx.fail(`has more than one open dimension in target_shape ${JSON.stringify(target)}`);
  return (inputs) => {
    const x = first(ctx, inputs);
    return tf.reshape(x, [x.shape[0], ...dims]);
  };
}

function flatten(ctx: PrepareContext): RunFn {
  return (inputs) => {
    const x = first(ctx, inputs);
    return x.rank === 2 ? x : tf.reshape(x, [x.shape[0], -1]);
  };
}

function spatialPads(ctx: PrepareContext): [[number, number], [number, number], [number, number], [number, number]] {
  const p = ctx.node.attrs.pads;
  if (!p || p.length !== 2) ctx.fail('has no padding amounts');
  return [[0, 0], [p[0][0], p[0][1]], [p[1][0], p[1][1]], [0, 0]];
}

function zeroPad(ctx: PrepareContext): RunFn {
  const pads = spatialPads(ctx);
  return (inputs) => tf.pad(first(ctx, inputs), pads);
}

function cropping(ctx: PrepareContext): RunFn {
  const [, [t, b], [l, r]] = spatialPads(ctx);
  return (inputs) => {
    const x = first(ctx, inputs);
    if (x.rank !== 4) ctx.fail(`expects a 4D NHWC input, got shape [${x.shape.join(', ')}]`);
    const [, H, W] = x.shape as number[];
    const h = H - t - b;
    const w = W - l - r;
    if (h <= 0 || w <= 0) ctx.fail(`crops away the whole ${H}x${W} input`);
    return tf.slice(x, [0, t, l, 0], [-1, h, w, -1]);
  };
}

/** TF Reshape: the target includes the batch dimension (usually -1). */
function tfReshape(ctx: PrepareContext): RunFn {
  const target = ctx.node.attrs.targetShape;
  if (!target) ctx.fail('has no constant shape input');
  const dims = target.map((d) => (d === null ? -1 : d));
  return (inputs) => tf.reshape(first(ctx, inputs), dims);
}

/** TF Pad/PadV2/MirrorPad: the full [rank, 2] paddings constant (constant input 1). */
function tfPad(kind: 'Pad' | 'PadV2' | 'MirrorPad') {
  return (ctx: PrepareContext): RunFn => {
    const w = ctx.weightAt(0);
    let paddings: [number, number][];
    if (w && w.shape.length === 2 && w.shape[1] === 2) paddings = Array.from({ length: w.shape[0] }, (_, i) => [w.values[2 * i], w.values[2 * i + 1]]);
    else paddings = spatialPads(ctx);
    const value = kind === 'PadV2' ? ctx.weightAt(1)?.values[0] ?? 0 : 0;
    const mode = ctx.node.attrs.mode;
    if (kind === 'MirrorPad' && mode !== 'reflect' && mode !== 'symmetric') ctx.fail(`has mirror mode ${JSON.stringify(mode)}; reflect or symmetric expected`);
    return (inputs) => {
      const x = first(ctx, inputs);
      return kind === 'MirrorPad' ? tf.mirrorPad(x, paddings, mode as 'reflect' | 'symmetric') : tf.pad(x, paddings, value);
    };
  };
}

function tfSqueeze(ctx: PrepareContext): RunFn {
  const axis = ctx.node.attrs.axis;
  const axes = axis === undefined ? [] : Array.isArray(axis) ? axis : [axis];
  return (inputs) => tf.squeeze(first(ctx, inputs), axes.length ? axes : undefined);
}

function tfExpandDims(ctx: PrepareContext): RunFn {
  const axis = ctx.node.attrs.axis;
  if (typeof axis !== 'number') ctx.fail('has no constant axis');
  return (inputs) => tf.expandDims(first(ctx, inputs), axis);
}

export const reshapeKernels: KernelTable = {
  Reshape: reshape,
  Flatten: flatten,
  ZeroPadding2D: zeroPad,
  Cropping2D: cropping,
  'tf.Reshape': tfReshape,
  'tf.Pad': tfPad('Pad'),
  'tf.PadV2': tfPad('PadV2'),
  'tf.MirrorPad': tfPad('MirrorPad'),
  'tf.Squeeze': tfSqueeze,
  'tf.ExpandDims': tfExpandDims,
};
