/**
 * The elementwise function a run of graph nodes applies, evaluated numerically in float64 at sample
 * points and named by comparison with known activations. Whatever the spelling (a Relu op, a fused
 * activation, Maximum(x, 0), 1 / (1 + exp(-x)), relu6(x + 3) * 0.1666259765625 with the constant
 * stored as float16), equal functions get one name. Tolerances follow the constants' stored precision.
 */
import type { GraphNode, StoredPrecision } from '../graph/types.js';
import { own } from '../util/lookup.js';

/** Sample points: both sides of every kink of the known functions (0, +-3, +-2.5, 6). */
export const SAMPLES = [-8, -6, -5, -4, -3.5, -3, -2.5, -2, -1.5, -1, -0.6, -0.3, -0.1, 0, 0.1, 0.3, 0.6, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8];

type Unary = (x: number) => number;

const sigmoid: Unary = (x) => 1 / (1 + Math.exp(-x));
const relu6: Unary = (x) => Math.min(Math.max(x, 0), 6);
const hardSigmoid: Unary = (x) => relu6(x + 3) / 6;
const erf: Unary = (x) => {
  // Abramowitz-Stegun 7.1.26 is within 1.5e-7, enough to tell gelu from its neighbours.
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
};
const SELU = { alpha: 1.6732632423543772, scale: 1.0507009873554805 };

/** Keras activation names (and fused TF activations) as functions; absent = not evaluable (prelu). */
export const ACTIVATIONS: Record<string, Unary> = {
  linear: (x) => x,
  relu: (x) => Math.max(x, 0),
  relu6,
  sigmoid,
  hard_sigmoid: hardSigmoid,
  tanh: Math.tanh,
  swish: (x) => x * sigmoid(x),
  silu: (x) => x * sigmoid(x),
  hard_swish: (x) => x * hardSigmoid(x),
  hard_silu: (x) => x * hardSigmoid(x),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => SELU.scale * (x > 0 ? x : SELU.alpha * Math.expm1(x)),
  softplus: (x) => Math.log1p(Math.exp(x)),
  softsign: (x) => x / (1 + Math.abs(x)),
  exponential: Math.exp,
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  mish: (x) => x * Math.tanh(Math.log1p(Math.exp(x))),
  leaky_relu: (x) => (x > 0 ? x : 0.2 * x),
};

/** Names we compare against, in order of preference; the Keras 2 hard sigmoid is named apart. */
const KNOWN: [string, Unary][] = [
  ...['linear', 'relu', 'relu6', 'sigmoid', 'hard_sigmoid', 'tanh', 'swish', 'hard_swish', 'elu', 'selu', 'softplus', 'softsign', 'gelu', 'mish', 'exponential'].map((n): [string, Unary] => [n, ACTIVATIONS[n]]),
  ['hard_sigmoid (0.2x + 0.5)', (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1)],
  ['gelu (tanh)', (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))],
];

/**
 * Relative precision of a stored constant: float32 2^-24, float16 2^-11, uint8/uint16 half a
 * quantization step relative to the value.
 */
export function relativePrecision(value: number, stored: StoredPrecision | undefined): number {
  switch (stored?.dtype) {
    case 'float16':
      return 2 ** -11;
    case 'uint8':
    case 'uint16':
      return Math.min(0.05, (stored.scale ?? 0) / 2 / Math.max(Math.abs(value), 1e-12));
    default:
      return 2 ** -24;
  }
}

/** Names the function sampled at SAMPLES, or undefined; `tolerance` is relative (to 1 + |f|). */
export function nameFunction(values: Float64Array, tolerance: number): string | undefined {
  // Worst relative error over the samples; the closest known function within tolerance wins.
  const error = (f: Unary) => Math.max(...SAMPLES.map((x, i) => Math.abs(values[i] - f(x)) / (1 + Math.abs(f(x)))));
  const close = (f: Unary) => error(f) <= tolerance;
  let best: { name: string; e: number } | undefined;
  for (const [name, f] of KNOWN) {
    const e = error(f);
    if (e <= tolerance && (!best || e < best.e)) best = { name, e };
  }
  if (best) return best.name;
  // Leaky relu of any slope: x for x > 0, a x below.
  const neg = SAMPLES.findIndex((x) => x === -1);
  const a = -values[neg];
  if (a > 0 && a < 1 && close((x) => (x > 0 ? x : a * x))) return `leaky_relu(${+a.toPrecision(4)})`;
  return undefined;
}

const OP_PREFIX = /^(tf\.|ops\.)/;

/** Unary TF/Keras ops by bare name. */
const UNARY: Record<string, Unary> = {
  Relu: ACTIVATIONS.relu, Relu6: relu6, Sigmoid: sigmoid, Tanh: Math.tanh, Elu: ACTIVATIONS.elu, Selu: ACTIVATIONS.selu,
  Softplus: ACTIVATIONS.softplus, Softsign: ACTIVATIONS.softsign, Exp: Math.exp, Neg: (x) => -x, Negative: (x) => -x, Reciprocal: (x) => 1 / x,
  Square: (x) => x * x, Sqrt: Math.sqrt, Rsqrt: (x) => 1 / Math.sqrt(x), Abs: Math.abs, Absolute: Math.abs, Swish: ACTIVATIONS.swish,
  HardSigmoid: (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1), Erf: erf, Log: Math.log, Identity: (x) => x,
};

/** Binary ops by bare name: TF ops, Keras 3 functional ops and Keras merge layers. */
const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b, AddV2: (a, b) => a + b, Sub: (a, b) => a - b, Subtract: (a, b) => a - b,
  Mul: (a, b) => a * b, Multiply: (a, b) => a * b, RealDiv: (a, b) => a / b, Divide: (a, b) => a / b, TrueDivide: (a, b) => a / b, Div: (a, b) => a / b,
  Maximum: Math.max, Minimum: Math.min, Pow: Math.pow, Power: Math.pow, SquaredDifference: (a, b) => (a - b) ** 2, Average: (a, b) => (a + b) / 2,
};

/** Ops that only reshape or forward: identity on values. */
export const SHAPE_ONLY = new Set([
  'Reshape', 'Flatten', 'Dropout', 'SpatialDropout2D', 'GaussianDropout', 'GaussianNoise', 'ActivityRegularization',
  'tf.Reshape', 'tf.Squeeze', 'tf.ExpandDims', 'tf.Identity', 'tf.StopGradient', 'tf.Snapshot', 'tf.EnsureShape',
]);

/** One operand of a node in argument order: a tensor input, a scalar constant, or a stored vector. */
export type Operand = { tensor: number } | { scalar: number; storedAs?: StoredPrecision } | { vector: true };

/** The operands of `node` in argument order (TF constants sit at their positions; Keras scalars at theirs). */
export function operandsOf(node: GraphNode): Operand[] {
  const scalars = node.attrs.scalars ?? [];
  const vectors = node.domain === 'tf' ? node.weights.filter((w) => w.position !== undefined && !scalars.some((s) => s.position === w.position)) : [];
  const total = node.inputs.length + scalars.length + vectors.length;
  const out: Operand[] = [];
  let t = 0;
  for (let p = 0; p < total; p++) {
    const s = scalars.find((q) => q.position === p);
    if (s) out.push({ scalar: s.value, storedAs: s.storedAs });
    else if (vectors.some((w) => w.position === p)) out.push({ vector: true });
    else out.push({ tensor: t++ });
  }
  return out;
}

/**
 * The scalar function of one node at the sample points, given the values of its tensor inputs; or
 * undefined when the node is not an elementwise function of its inputs alone.
 */
export function evaluateNode(node: GraphNode, inputs: Float64Array[], constants: { value: number; storedAs?: StoredPrecision }[]): Float64Array | undefined {
  const op = node.op.replace(OP_PREFIX, '');
  const n = SAMPLES.length;
  // Reshapes carry their target shape as a constant operand; values pass through.
  if (SHAPE_ONLY.has(node.op)) return inputs[0];
  const map = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  const ops = operandsOf(node);
  if (ops.some((o) => 'vector' in o)) return undefined;
  const operand = (o: Operand, i: number) => ('tensor' in o ? inputs[o.tensor][i] : 'scalar' in o ? o.scalar : NaN);
  for (const o of ops) if ('scalar' in o) constants.push({ value: o.scalar, storedAs: o.storedAs });
  const x = inputs[0];
  if (!x) return undefined;
  if (node.op === 'Activation' || node.op === 'ReLU' || node.op === 'LeakyReLU' || node.op === 'ELU') {
    const f = kerasLayerFunction(node);
    return f && map((i) => f(x[i]));
  }
  if (op === 'LeakyRelu') {
    const a = node.attrs.negativeSlope ?? 0.2;
    return map((i) => (x[i] > 0 ? x[i] : a * x[i]));
  }
  if (op === 'ClipByValue' && ops.length === 3) return map((i) => Math.min(Math.max(operand(ops[0], i), operand(ops[1], i)), operand(ops[2], i)));
  const u = own(UNARY, op);
  if (u && ops.length === 1) return map((i) => u(x[i]));
  const b = own(BINARY, op);
  if (b && ops.length >= 2) return map((i) => ops.slice(1).reduce((acc, o) => b(acc, operand(o, i)), operand(ops[0], i)));
  if (op === 'AddN') return map((i) => inputs.reduce((a, v) => a + v[i], 0));
  return undefined;
}

/** Keras activation layers: Activation(name), ReLU(max_value, negative_slope, threshold), LeakyReLU, ELU. */
function kerasLayerFunction(node: GraphNode): Unary | undefined {
  const a = node.attrs;
  if (node.op === 'Activation') return own(ACTIVATIONS, a.activation ?? '');
  if (node.op === 'LeakyReLU') {
    const s = a.negativeSlope ?? 0.3;
    return (x) => (x > 0 ? x : s * x);
  }
  if (node.op === 'ELU') return ACTIVATIONS.elu;
  const max = a.maxValue ?? Infinity;
  const slope = a.negativeSlope ?? 0;
  const th = a.threshold ?? 0;
  return (x) => Math.min(x >= th ? x : slope * (x - th), max);
}

/** A linear layer's own activation (Keras `activation=`, TF `fused_ops`) as a function; undefined if not evaluable. */
export function fusedFunction(node: GraphNode): Unary | undefined {
  const a = node.attrs.activation ?? 'linear';
  if (a === 'leaky_relu' && node.attrs.negativeSlope !== undefined) {
    const s = node.attrs.negativeSlope;
    return (x) => (x > 0 ? x : s * x);
  }
  return own(ACTIVATIONS, a);
}
