import type { GraphNode, Shape, WeightSpec } from '../types.js';
import { ModelError } from '../../util/errors.js';

/**
 * What we know about one layer class or TF op: its output shape, the weights a Keras config
 * implies, and its multiply-accumulates. Pure functions; one file per family.
 */
export interface OpRule {
  ops: readonly string[];
  /**
   * The shape of output 0; null when it depends on something not known statically (a value
   * computed at run time). `values` holds, per input, its value when it is a small integer tensor
   * known statically (shape arithmetic: Shape -> StridedSlice -> Pack -> Reshape).
   */
  outputShape(node: GraphNode, inputs: Shape[], values: StaticValues): Shape | null;
  /** Control flow (Switch, Merge): called even when some inputs are unknown (null in `inputs`). */
  partialInputs?: boolean;
  /** Multi-output ops (Split, Unpack, TopKV2, Switch): the shape of every output. */
  outputShapes?(node: GraphNode, inputs: Shape[], values: StaticValues): (Shape | null)[];
  /** The value of output 0 when it is a small integer tensor computable from static shapes and values. */
  value?(node: GraphNode, inputs: Shape[], values: StaticValues): number[] | null;
  /** Multi-output ops: the value of every output (Unpack of a shape). */
  outputValues?(node: GraphNode, inputs: Shape[], values: StaticValues): (number[] | null)[];
  /** Keras layers only: the weights implied by the config and the input shape, in Keras' order. */
  weights?(node: GraphNode, inputs: Shape[]): Omit<WeightSpec, 'id'>[];
  /** Multiply-accumulates for one sample; null when a needed dimension is open. Absent = 0. */
  macs?(node: GraphNode, inputs: Shape[], output: Shape): number | null;
}

/** Per input: its value (flattened) when known statically, else null. */
export type StaticValues = (number[] | null)[];

export function fail(node: GraphNode, what: string): never {
  throw new ModelError(`layer '${node.name}' (${node.op}): ${what}`);
}

export function one(node: GraphNode, inputs: Shape[]): Shape {
  if (inputs.length < 1) fail(node, 'has no input');
  return inputs[0];
}

/** The channel (last) dimension, which every weight shape depends on. */
export function channels(node: GraphNode, shape: Shape): number {
  const c = shape[shape.length - 1];
  if (c === null || c === undefined) fail(node, `input channels are unknown in shape ${JSON.stringify(shape)}`);
  return c;
}

/** Product of the non-batch dims, or null if one is open. */
export function perSample(shape: Shape): number | null {
  let n = 1;
  for (const d of shape.slice(1)) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}

export function pair(value: number[] | undefined, fallback: number): [number, number] {
  if (!value || value.length === 0) return [fallback, fallback];
  if (value.length === 1) return [value[0], value[0]];
  return [value[0], value[1]];
}

/** Keras/TF output length of a windowed op (conv_utils.convOutputLength). */
const whole = (v: number, min: number) => Number.isInteger(v) && v >= min;

/**
 * What Keras checks of a windowed layer (conv_utils, the layer constructors): kernel sizes, strides
 * and dilations are whole numbers of at least 1, paddings whole and not negative. A model that
 * breaks one is refused, not counted with a kernel of 1.5 or a stride of 0.
 */
export function checkWindow(node: GraphNode, kernel: readonly number[], strides: readonly number[], dilations: readonly number[] = [1, 1], pads?: readonly (readonly number[])[]): void {
  const want = (what: string, v: readonly number[]) => fail(node, `${what} must be whole numbers of at least 1, got ${JSON.stringify(v)}`);
  if (!kernel.every((k) => whole(k, 1))) want('kernel sizes', kernel);
  if (!strides.every((s) => whole(s, 1))) want('strides', strides);
  if (!dilations.every((d) => whole(d, 1))) want('dilations', dilations);
  if (pads && !pads.flat().every((p) => whole(p, 0))) fail(node, `paddings must be whole numbers of at least 0, got ${JSON.stringify(pads)}`);
}

/** A size a layer config gives (units, filters, a target dim): a whole number of at least 1. */
export function positiveSize(node: GraphNode, what: string, v: number | undefined): number {
  if (v === undefined) fail(node, `has no ${what}`);
  if (!whole(v, 1)) fail(node, `${what} must be a whole number of at least 1, got ${JSON.stringify(v)}`);
  return v;
}

/** A window's output length, refused when the window leaves nothing (a kernel larger than its valid input). */
export function windowOutputChecked(node: GraphNode, axis: string, size: number | null, kernel: number, stride: number, padding: string, dilation = 1, padTotal = 0): number | null {
  const out = windowOutput(size, kernel, stride, padding, dilation, padTotal);
  if (out === 0) fail(node, `its ${axis} window of ${(kernel - 1) * dilation + 1} does not fit the input's ${size}${padTotal ? ` (+${padTotal} padding)` : ''}: the output would be empty`);
  return out;
}

export function windowOutput(size: number | null, kernel: number, stride: number, padding: string, dilation = 1, padTotal = 0): number | null {
  if (size === null) return null;
  const k = (kernel - 1) * dilation + 1;
  if (padding === 'same') return Math.ceil(size / stride);
  const len = padding === 'explicit' ? size + padTotal - k + 1 : size - k + 1;
  return Math.max(0, Math.ceil(len / stride));
}

export function param(name: string, shape: number[], trainable = true): Omit<WeightSpec, 'id'> {
  return { name, shape, trainable, role: 'param' };
}

/** Normalizes a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/**
 * TF ops in argument order: the tensor inputs with the shapes of constant operands (stored as the
 * node's weights with their positions) put back at their places.
 */
export function operandShapes(node: GraphNode, inputs: Shape[]): Shape[] {
  // Constants without a recorded position (graphs built by hand) follow the tensor inputs.
  if (node.weights.some((w) => w.position === undefined)) return [...inputs, ...node.weights.map((w) => w.shape)];
  const consts = node.weights.filter((w) => w.position !== undefined);
  const total = inputs.length + consts.length;
  const out: Shape[] = [];
  let t = 0;
  for (let i = 0; i < total; i++) {
    const c = consts.find((w) => w.position === i);
    out.push(c ? c.shape : inputs[t++]);
  }
  return out;
}

/** The constant value of a TF operand at `position`, from the reader (attrs) or from static values of tensor inputs. */
export function operandValue(node: GraphNode, position: number, values: StaticValues): number[] | null {
  if (node.weights.some((w) => w.position === undefined)) return position < values.length ? values[position] : node.weights[position - values.length]?.value ?? null;
  const consts = node.weights.filter((w) => w.position !== undefined && w.position < position).length;
  const c = node.weights.find((w) => w.position === position);
  if (c) return c.value ?? null;
  return values[position - consts] ?? null;
}
