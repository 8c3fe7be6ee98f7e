import { broadcast } from './merge.js';
import { channels, fail, one, operandShapes, param, perSample, positiveSize, type OpRule } from './rule.js';

const dense: OpRule = {
  ops: ['Dense'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    return [...x.slice(0, -1), positiveSize(node, 'units', node.attrs.units)];
  },
  weights(node, inputs) {
    const cin = channels(node, one(node, inputs));
    const ws = [param('kernel', [cin, node.attrs.units!])];
    if (node.attrs.useBias !== false) ws.push(param('bias', [node.attrs.units!]));
    return ws;
  },
  macs(node, inputs) {
    const x = inputs[0];
    const positions = perSample(x.slice(0, -1));
    return positions === null ? null : positions * channels(node, x) * node.attrs.units!;
  },
};

/**
 * TF MatMul / _FusedMatMul / BatchMatMulV2: either operand may be a constant (usually the right one,
 * [in, out], transposed if transpose_b). Batch dims broadcast; MACs = batch x M x K x N per sample.
 */
const tfMatMul: OpRule = {
  ops: ['tf.MatMul', 'tf._FusedMatMul', 'tf.BatchMatMulV2', 'tf.BatchMatMul'],
  outputShape(node, inputs) {
    const [a, b] = operandShapes(node, inputs);
    if (!a || !b || a.length < 2 || b.length < 2) fail(node, `multiplies shapes ${JSON.stringify(a)} and ${JSON.stringify(b)}, not matrices`);
    const m = node.attrs.transposeA ? a[a.length - 1] : a[a.length - 2];
    const n = node.attrs.transposeB ? b[b.length - 2] : b[b.length - 1];
    const batch = a.length > 2 || b.length > 2 ? broadcast(node, a.slice(0, -2), b.slice(0, -2)) : [];
    return [...batch, m, n];
  },
  macs(node, inputs, out) {
    const [a] = operandShapes(node, inputs);
    const k = node.attrs.transposeA ? a[a.length - 2] : a[a.length - 1];
    // Per sample: the batch dim (dim 0 of the output) is not counted.
    const rest = out.slice(1).reduce<number | null>((p, d) => (p === null || d === null ? null : p * d), 1);
    return rest === null || k === null ? null : rest * k;
  },
};

export const denseRules: OpRule[] = [dense, tfMatMul];
