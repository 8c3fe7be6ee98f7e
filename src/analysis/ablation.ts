/**
 * What each SE block is worth: the block's gate replaced by its mean over a set of images (a
 * constant per-channel scale, which can be folded into the layer before it, so the block's squeeze
 * and excitation layers could go), against the unmodified model on the same images.
 * Pure math over the outputs; running the model is the caller's job.
 */

export interface BlockAblation {
  name: string;
  /** Share of images whose top-1 class is unchanged (0..1). */
  agreement: number;
  /** Mean over images and output values of |ablated - original|. */
  meanAbsChange: number;
  /** What removing the block saves (its own parameters and MACs, from the report). */
  params: number;
  macs: number;
}

/** The mean gate vector of a block over images. */
export function meanGate(gates: readonly ArrayLike<number>[]): Float32Array {
  if (gates.length === 0) throw new RangeError('no gate vectors to average');
  const C = gates[0].length;
  const sum = new Float64Array(C);
  for (const g of gates) {
    if (g.length !== C) throw new RangeError(`gate vectors of different lengths (${C}, ${g.length})`);
    for (let c = 0; c < C; c++) sum[c] += g[c];
  }
  return Float32Array.from(sum, (v) => v / gates.length);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Agreement and mean absolute change of `ablated` against `original` outputs (one per image, same order). */
export function compareOutputs(original: readonly ArrayLike<number>[], ablated: readonly ArrayLike<number>[]): { agreement: number; meanAbsChange: number } {
  if (original.length !== ablated.length || original.length === 0) throw new RangeError(`${original.length} original and ${ablated.length} ablated outputs`);
  let same = 0;
  let abs = 0;
  let count = 0;
  original.forEach((o, i) => {
    const a = ablated[i];
    if (a.length !== o.length) throw new RangeError(`output ${i} has ${a.length} values ablated, ${o.length} original`);
    if (argmax(o) === argmax(a)) same++;
    for (let j = 0; j < o.length; j++) abs += Math.abs(a[j] - o[j]);
    count += o.length;
  });
  return { agreement: same / original.length, meanAbsChange: abs / count };
}

/** Cheapest removals first: most agreement, then least change, then most saved. */
export function rankAblations(rows: readonly BlockAblation[]): BlockAblation[] {
  return [...rows].sort((a, b) => b.agreement - a.agreement || a.meanAbsChange - b.meanAbsChange || b.params - a.params || b.macs - a.macs);
}
