import { channels, one, param, type OpRule } from './rule.js';

const batchNorm: OpRule = {
  ops: ['BatchNormalization'],
  outputShape: (node, inputs) => one(node, inputs),
  weights(node, inputs) {
    const c = channels(node, one(node, inputs));
    const ws = [];
    if (node.attrs.scaleGamma !== false) ws.push(param('gamma', [c]));
    if (node.attrs.center !== false) ws.push(param('beta', [c]));
    ws.push(param('moving_mean', [c], false), param('moving_variance', [c], false));
    return ws;
  },
};

const layerNorm: OpRule = {
  ops: ['LayerNormalization'],
  outputShape: (node, inputs) => one(node, inputs),
  weights(node, inputs) {
    const c = channels(node, one(node, inputs));
    const ws = [];
    if (node.attrs.scaleGamma !== false) ws.push(param('gamma', [c]));
    if (node.attrs.center !== false) ws.push(param('beta', [c]));
    return ws;
  },
};

/** Keras Normalization: adapted mean/variance (and a count kept for old saves) are non-trainable weights, unless the config gives them. */
const normalization: OpRule = {
  ops: ['Normalization'],
  outputShape: (node, inputs) => one(node, inputs),
  weights(node, inputs) {
    if (node.attrs.mean) return [];
    const c = channels(node, one(node, inputs));
    return [param('mean', [c], false), param('variance', [c], false), param('count', [], false)];
  },
};

/** Shape-preserving layers without weights. */
const passThrough: OpRule = {
  ops: [
    'Rescaling', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'ActivityRegularization',
    'tf.FusedBatchNorm', 'tf.FusedBatchNormV3', 'tf.Identity', 'tf.StopGradient',
  ],
  outputShape: (node, inputs) => one(node, inputs),
};

export const normalizationRules: OpRule[] = [batchNorm, layerNorm, normalization, passThrough];
