/** Every op the runtime can execute, by graph op name (Keras class, `ops.*`, `tf.*`). */
import { activationKernels } from './activation.js';
import { convKernels } from './conv.js';
import { denseKernels } from './dense.js';
import type { KernelFactory } from './kernel.js';
import { mergeKernels } from './merge.js';
import { normalizationKernels } from './normalization.js';
import { poolingKernels } from './pooling.js';
import { reshapeKernels } from './reshape.js';

const TABLE = new Map<string, KernelFactory>(
  Object.entries({ ...convKernels, ...denseKernels, ...poolingKernels, ...normalizationKernels, ...activationKernels, ...mergeKernels, ...reshapeKernels }),
);

/** Ops that are the graph's inputs: fed, not computed. */
export const INPUT_OPS = new Set(['InputLayer', 'tf.Placeholder']);

export function kernelFor(op: string): KernelFactory | undefined {
  return TABLE.get(op);
}

export const RUNNABLE_OPS: readonly string[] = [...TABLE.keys(), ...INPUT_OPS];
