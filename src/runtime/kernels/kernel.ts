/**
 * What every op family implements: a factory called ONCE per node when a model is loaded (it
 * reads the node's weights, uploads them and precomputes what it can) that returns the function
 * run for that node on every forward pass. Run functions are called inside `tf.tidy`, so their
 * temporaries are freed; they must not dispose their inputs.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '../../graph/types.js';

/** Weight values on the host, as the WeightStore holds them. */
export interface HostWeight {
  values: Float32Array;
  shape: number[];
}

export interface PrepareContext {
  node: GraphNode;
  /** Which Keras defined the activations whose meaning changed (hard_sigmoid: 0.2x+0.5 in Keras 2, relu6(x+3)/6 in Keras 3). */
  keras: 2 | 3;
  /** A Keras weight by its name (kernel, bias, gamma, moving_mean, ...), if the layer has it. */
  weight(name: string): HostWeight | undefined;
  /** Like `weight`, but missing is an error naming the layer. */
  need(name: string): HostWeight;
  /** The i-th stored weight (TF nodes: their constant inputs, in input order). */
  weightAt(i: number): HostWeight | undefined;
  /** Uploads values to the backend; the tensor belongs to the loaded model and lives until it is disposed. */
  upload(values: Float32Array | number[], shape: number[]): tf.Tensor;
  /** An uploaded float32 scalar (shared per value). */
  scalar(value: number): tf.Tensor;
  /** A RuntimeError "cannot run layer 'x' (Op): what". */
  fail(what: string): never;
}

export type RunFn = (inputs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
export type KernelFactory = (ctx: PrepareContext) => RunFn;
export type KernelTable = Record<string, KernelFactory>;

/** The single input of a one-input op. */
export function first(ctx: PrepareContext, inputs: tf.Tensor[]): tf.Tensor {
  const x = inputs[0];
  if (!x) ctx.fail('has no input');
  return x;
}

export function pair(v: number[] | undefined, fallback: number): [number, number] {
  if (!v || v.length === 0) return [fallback, fallback];
  return v.length === 1 ? [v[0], v[0]] : [v[0], v[1]];
}
