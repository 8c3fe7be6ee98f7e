import { one, type OpRule } from './rule.js';

/** Activations: shape-preserving, no weights, not counted as MACs (as fvcore and thop do). */
const activations: OpRule = {
  ops: [
    'Activation', 'ReLU', 'Softmax', 'LeakyReLU', 'ELU', 'ThresholdedReLU',
    'tf.Relu', 'tf.Relu6', 'tf.Sigmoid', 'tf.Tanh', 'tf.Elu', 'tf.Selu', 'tf.Softmax', 'tf.LeakyRelu',
    'tf.Swish', 'tf.HardSigmoid', 'tf.Softplus', 'tf.Neg', 'tf.Square', 'tf.Sqrt', 'tf.Rsqrt', 'tf.Exp',
    'tf.Prelu', 'tf.LogSoftmax', 'tf.Softsign', 'tf.Selu', 'tf.Gelu',
  ],
  outputShape: (node, inputs) => one(node, inputs),
};

export const activationRules: OpRule[] = [activations];
