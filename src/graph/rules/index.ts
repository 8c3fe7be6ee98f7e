import { activationRules } from './activation.js';
import { convRules } from './conv.js';
import { denseRules } from './dense.js';
import { mergeRules } from './merge.js';
import { normalizationRules } from './normalization.js';
import { poolingRules } from './pooling.js';
import { reshapeRules } from './reshape.js';
import { tensorRules } from './tensor.js';
import type { OpRule } from './rule.js';

const table = new Map<string, OpRule>();
for (const rule of [...convRules, ...denseRules, ...poolingRules, ...normalizationRules, ...activationRules, ...mergeRules, ...reshapeRules, ...tensorRules]) {
  for (const op of rule.ops) table.set(op, rule);
}

/** The rule for a layer class or TF op (`tf.` prefix), or undefined when we do not know it. */
export function ruleFor(op: string): OpRule | undefined {
  return table.get(op);
}

export const KNOWN_OPS: readonly string[] = [...table.keys()];
