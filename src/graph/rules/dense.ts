import { channels, fail, one, param, perSample, type OpRule } from './rule.js';

const dense: OpRule = {
  ops: ['Dense'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    return [...x.slice(0, -1), node.attrs.units ?? fail(node, 'has no units')];
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

/** TF MatMul / _FusedMatMul with a constant right-hand side [in, out] (transposed if transpose_b). */
const tfMatMul: OpRule = {
  ops: ['tf.MatMul', 'tf._FusedMatMul'],
  outputShape(node, inputs) {
    const x = one(node, inputs);
    const w = node.weights[0]?.shape;
    if (!w || w.length !== 2) fail(node, 'has no 2D constant weight matrix');
    return [x[0], node.attrs.transposeB ? w[0] : w[1]];
  },
  macs(node) {
    const [a, b] = node.weights[0].shape;
    return a * b;
  },
};

export const denseRules: OpRule[] = [dense, tfMatMul];
