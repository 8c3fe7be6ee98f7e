import type { GraphNode, Shape } from '../types.js';
import { channels, checkWindow, fail, one, operandShapes, operandValue, pair, param, positiveSize, windowOutputChecked, type OpRule } from './rule.js';

/** Spatial output of a 2D window over NHWC input. */
function spatial(node: GraphNode, input: Shape, kernel: [number, number]): [number | null, number | null] {
  if (input.length !== 4) fail(node, `expects a 4D NHWC input, got ${JSON.stringify(input)}`);
  const [sh, sw] = pair(node.attrs.strides, 1);
  const [dh, dw] = pair(node.attrs.dilations, 1);
  const padding = node.attrs.padding ?? 'valid';
  const pads = node.attrs.pads ?? [[0, 0], [0, 0]];
  checkWindow(node, kernel, [sh, sw], [dh, dw], pads);
  return [
    windowOutputChecked(node, 'height', input[1], kernel[0], sh, padding, dh, pads[0][0] + pads[0][1]),
    windowOutputChecked(node, 'width', input[2], kernel[1], sw, padding, dw, pads[1][0] + pads[1][1]),
  ];
}

/**
 * The filter [kh, kw, in, out|multiplier] of a TF conv: a stored constant, or (a box filter built at
 * run time) a tensor input of known shape.
 */
function tfKernel(node: GraphNode, inputs: Shape[] = []): number[] {
  const k = node.weights.find((w) => w.shape.length === 4)?.shape ?? (operandShapes(node, inputs).find((s, i) => i > 0 && s.length === 4 && s.every((d) => d !== null)) as number[] | undefined);
  if (!k || k.length !== 4) fail(node, 'has no 4D filter among its inputs');
  return k;
}

function area(out: Shape): number | null {
  return out[1] === null || out[2] === null ? null : out[1] * out[2];
}

const conv2d: OpRule = {
  ops: ['Conv2D'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const [h, w] = spatial(node, x, pair(node.attrs.kernelSize, 1));
    const filters = positiveSize(node, 'filters', node.attrs.filters);
    // Keras: groups divide both the input channels and the filters.
    const groups = positiveSize(node, 'groups', node.attrs.groups ?? 1);
    const cin = x[3];
    if (typeof cin === 'number' && (cin % groups !== 0 || filters % groups !== 0)) fail(node, `groups=${groups} must divide both its ${cin} input channels and its ${filters} filters`);
    return [x[0], h, w, filters];
  },
  weights(node, inputs) {
    const cin = channels(node, one(node, inputs));
    const groups = node.attrs.groups ?? 1;
    const [kh, kw] = pair(node.attrs.kernelSize, 1);
    const filters = node.attrs.filters!;
    const ws = [param('kernel', [kh, kw, cin / groups, filters])];
    if (node.attrs.useBias !== false) ws.push(param('bias', [filters]));
    return ws;
  },
  macs(node, inputs, out) {
    const a = area(out);
    const [kh, kw] = pair(node.attrs.kernelSize, 1);
    const cin = channels(node, inputs[0]);
    return a === null ? null : a * kh * kw * (cin / (node.attrs.groups ?? 1)) * node.attrs.filters!;
  },
};

const depthwise: OpRule = {
  ops: ['DepthwiseConv2D'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const [h, w] = spatial(node, x, pair(node.attrs.kernelSize, 1));
    return [x[0], h, w, channels(node, x) * positiveSize(node, 'depth_multiplier', node.attrs.depthMultiplier ?? 1)];
  },
  weights(node, inputs) {
    const cin = channels(node, one(node, inputs));
    const [kh, kw] = pair(node.attrs.kernelSize, 1);
    const m = node.attrs.depthMultiplier ?? 1;
    const ws = [param('depthwise_kernel', [kh, kw, cin, m])];
    if (node.attrs.useBias !== false) ws.push(param('bias', [cin * m]));
    return ws;
  },
  macs(node, _inputs, out) {
    const a = area(out);
    const [kh, kw] = pair(node.attrs.kernelSize, 1);
    return a === null ? null : a * kh * kw * (out[3] as number);
  },
};

const separable: OpRule = {
  ops: ['SeparableConv2D'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const [h, w] = spatial(node, x, pair(node.attrs.kernelSize, 1));
    positiveSize(node, 'depth_multiplier', node.attrs.depthMultiplier ?? 1);
    return [x[0], h, w, positiveSize(node, 'filters', node.attrs.filters)];
  },
  weights(node, inputs) {
    const cin = channels(node, one(node, inputs));
    const [kh, kw] = pair(node.attrs.kernelSize, 1);
    const m = node.attrs.depthMultiplier ?? 1;
    const filters = node.attrs.filters!;
    const ws = [param('depthwise_kernel', [kh, kw, cin, m]), param('pointwise_kernel', [1, 1, cin * m, filters])];
    if (node.attrs.useBias !== false) ws.push(param('bias', [filters]));
    return ws;
  },
  macs(node, inputs, out) {
    const a = area(out);
    const [kh, kw] = pair(node.attrs.kernelSize, 1);
    const mid = channels(node, inputs[0]) * (node.attrs.depthMultiplier ?? 1);
    return a === null ? null : a * (kh * kw * mid + mid * node.attrs.filters!);
  },
};

const tfConv: OpRule = {
  ops: ['Conv2D', '_FusedConv2D'].map((o) => `tf.${o}`),
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const k = tfKernel(node, inputs);
    const [h, w] = spatial(node, x, [k[0], k[1]]);
    return [x[0], h, w, k[3]];
  },
  macs(node, inputs, out) {
    const a = area(out);
    const [kh, kw, cin, cout] = tfKernel(node, inputs);
    return a === null ? null : a * kh * kw * cin * cout;
  },
};

const tfDepthwise: OpRule = {
  ops: ['DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative'].map((o) => `tf.${o}`),
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const k = tfKernel(node, inputs);
    const [h, w] = spatial(node, x, [k[0], k[1]]);
    return [x[0], h, w, k[2] * k[3]];
  },
  macs(node, inputs, out) {
    const a = area(out);
    const [kh, kw, cin, m] = tfKernel(node, inputs);
    return a === null ? null : a * kh * kw * cin * m;
  },
};

/**
 * Conv2DBackpropInput (a transposed convolution): [output_sizes, filter [kh, kw, out, in], x]. The
 * output size is a constant, a statically known tensor, or (else) what the strides and padding give.
 */
const tfConvTranspose: OpRule = {
  ops: ['tf.Conv2DBackpropInput'],
  outputShape(node, inputs, values) {
    const x = inputs[inputs.length - 1];
    if (!x || x.length !== 4) fail(node, `expects a 4D NHWC input, got ${JSON.stringify(x)}`);
    const k = tfKernel(node, inputs);
    const given = node.attrs.targetShape ?? operandValue(node, 0, values)?.map((v) => (v >= 0 ? v : null));
    if (given && given.length === 4) return [x[0], given[1], given[2], k[2]];
    const [sh, sw] = pair(node.attrs.strides, 1);
    const up = (d: number | null, s: number, kk: number) => (d === null ? null : node.attrs.padding === 'same' ? d * s : (d - 1) * s + kk);
    return [x[0], up(x[1], sh, k[0]), up(x[2], sw, k[1]), k[2]];
  },
  macs(node, inputs) {
    // Every input position spreads its channels over the whole kernel: H_in * W_in * kh * kw * in * out.
    const x = inputs[inputs.length - 1];
    const a = area(x);
    const [kh, kw, cout, cin] = tfKernel(node, inputs);
    return a === null ? null : a * kh * kw * cin * cout;
  },
};

export const convRules: OpRule[] = [conv2d, depthwise, separable, tfConv, tfDepthwise, tfConvTranspose];
