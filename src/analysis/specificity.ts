/**
 * How class-specific each SE block's excitation is, from the gates of labelled images (the SENet
 * paper's section 7.2, Fig. 6: early blocks excite alike for every class, late ones per class).
 * Pure math over gate values; running the model is the caller's job.
 *
 * Per block of C gates, over N images in K classes:
 * - `classMeans[k]`: the mean gate of each channel over the images of class k.
 * - `score` in [0, 1]: per channel, the share of the gate's variance across images that the class
 *   explains (between-class variance / total variance, the eta squared of a one-way ANOVA), averaged
 *   over the C channels. A channel whose gate does not vary (total variance below 1e-12) counts 0.
 *   0: the gate does not depend on the class; 1: it depends on nothing else.
 * - `saturation`: the share of all N x C gate values above 0.95 (`high`) and below 0.05 (`low`).
 * - `spread`: the mean over images of the standard deviation of the C gates of one image: near 0
 *   when the block scales every channel alike (e.g. all gates saturated at 1, an identity).
 * - `gateStd`: the mean over channels of each gate's standard deviation across images: 0 when the
 *   gates do not depend on the image at all (a constant scale, foldable into the layer before).
 */
import { ModelError } from '../util/errors.js';

/** Below this a gate's variance across images is taken as none (gates lie in 0..1). */
export const MIN_VARIANCE = 1e-12;
export const HIGH_GATE = 0.95;
export const LOW_GATE = 0.05;

export interface GateSample {
  /** The image, for error messages. */
  image: string;
  /** Index into the class list. */
  label: number;
  /** The gate values of every block, in block order (C values each). */
  gates: ArrayLike<number>[];
}

export interface BlockSpecificity {
  name: string;
  channels: number;
  score: number;
  /** The per-channel shares whose mean is `score`. */
  channelScores: number[];
  classMeans: Record<string, number[]>;
  saturation: { high: number; low: number };
  spread: number;
  gateStd: number;
}

export interface SpecificityResult {
  classes: string[];
  /** Images per class, in class order. */
  counts: number[];
  images: number;
  blocks: BlockSpecificity[];
}

export function classSpecificity(blocks: readonly { name: string; channels: number }[], classes: readonly string[], samples: readonly GateSample[]): SpecificityResult {
  const K = classes.length;
  const counts = new Array<number>(K).fill(0);
  for (const s of samples) {
    if (!(Number.isInteger(s.label) && s.label >= 0 && s.label < K)) throw new RangeError(`sample ${s.image} has label ${s.label}, not one of ${K} classes`);
    if (s.gates.length !== blocks.length) throw new RangeError(`sample ${s.image} has ${s.gates.length} gate vectors for ${blocks.length} blocks`);
    counts[s.label]++;
  }
  const empty = classes.filter((_, k) => counts[k] === 0);
  if (empty.length) throw new ModelError(`class '${empty[0]}' has no image`);
  if (K < 2) throw new ModelError(`class specificity needs images of at least two classes, got ${K}`);
  const N = samples.length;

  const result = blocks.map((block, b): BlockSpecificity => {
    const C = block.channels;
    const sums = Array.from({ length: K }, () => new Float64Array(C));
    const total = new Float64Array(C);
    let high = 0;
    let low = 0;
    let spreadSum = 0;
    for (const s of samples) {
      const g = s.gates[b];
      if (g.length !== C) throw new ModelError(`block '${block.name}' gave ${g.length} gate values on ${s.image}, not ${C}`);
      let mean = 0;
      for (let c = 0; c < C; c++) {
        const v = g[c];
        if (!Number.isFinite(v)) throw new ModelError(`block '${block.name}' has a NaN/Inf gate (channel ${c}) on ${s.image}`);
        sums[s.label][c] += v;
        total[c] += v;
        if (v > HIGH_GATE) high++;
        else if (v < LOW_GATE) low++;
        mean += v;
      }
      mean /= C;
      let sq = 0;
      for (let c = 0; c < C; c++) sq += (g[c] - mean) ** 2;
      spreadSum += Math.sqrt(sq / C);
    }
    const grand = Array.from(total, (t) => t / N);
    const means = sums.map((row, k) => Array.from(row, (v) => v / counts[k]));
    // Two passes: the total variance about the grand mean, then the class means' share of it.
    const totalVar = new Float64Array(C);
    for (const s of samples) for (let c = 0; c < C; c++) totalVar[c] += (s.gates[b][c] - grand[c]) ** 2;
    const gateStd = totalVar.reduce((a, v) => a + Math.sqrt(v / N), 0) / C;
    const channelScores = grand.map((g, c) => {
      const t = totalVar[c] / N;
      if (t < MIN_VARIANCE) return 0;
      let between = 0;
      for (let k = 0; k < K; k++) between += counts[k] * (means[k][c] - g) ** 2;
      return Math.min(1, between / N / t);
    });
    return {
      name: block.name,
      channels: C,
      score: channelScores.reduce((a, v) => a + v, 0) / C,
      channelScores,
      classMeans: Object.fromEntries(classes.map((name, k) => [name, means[k]])),
      saturation: { high: high / (N * C), low: low / (N * C) },
      spread: spreadSum / N,
      gateStd,
    };
  });
  return { classes: [...classes], counts, images: N, blocks: result };
}
