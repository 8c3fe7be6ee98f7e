/**
 * Two runs of one model compared, SE block by SE block: the excitation of run B minus that of
 * run A, channel by channel, and the blocks ranked by how much they differ (mean |B - A|).
 * Pure: the CLI (`excite --compare`) and the extension compute the same numbers here.
 */
import { InspectorError } from '../util/errors.js';

/** One SE block's excitation in one run; null (or a non-finite number) marks an invalid value. */
export interface BlockValues {
  name: string;
  channels: number;
  values: readonly (number | null)[];
}

export interface BlockDifference {
  name: string;
  /** Position of the block in network order (the runs' order). */
  index: number;
  channels: number;
  /** B minus A per channel; null where either value is NaN/Inf. */
  difference: (number | null)[];
  /** Mean of |B - A| over the channels where both values are finite (0 if there are none). */
  meanAbsDifference: number;
  /** Largest |B - A| (0 if no channel is finite in both). */
  maxAbsDifference: number;
  /** Channels left out because a value is NaN/Inf in A or B. */
  nonFinite: number;
}

/** The two runs do not belong to the same model (other blocks or other widths). */
export class ComparisonError extends InspectorError {}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** B minus A for every block, in network order. Throws ComparisonError if the runs' blocks differ. */
export function differenceByBlock(a: readonly BlockValues[], b: readonly BlockValues[]): BlockDifference[] {
  if (a.length !== b.length) throw new ComparisonError(`the runs have ${a.length} and ${b.length} SE blocks: they are not runs of one model`);
  return a.map((x, index) => {
    const y = b[index];
    if (x.name !== y.name || x.channels !== y.channels || x.values.length !== x.channels || y.values.length !== y.channels) {
      throw new ComparisonError(`SE block ${index + 1} is '${x.name}' (C=${x.channels}) in run A but '${y.name}' (C=${y.channels}) in run B`);
    }
    const difference: (number | null)[] = new Array(x.channels);
    let sum = 0;
    let max = 0;
    let counted = 0;
    for (let c = 0; c < x.channels; c++) {
      const va = x.values[c];
      const vb = y.values[c];
      if (!finite(va) || !finite(vb)) {
        difference[c] = null;
        continue;
      }
      const d = vb - va;
      difference[c] = d;
      sum += Math.abs(d);
      if (Math.abs(d) > max) max = Math.abs(d);
      counted++;
    }
    return { name: x.name, index, channels: x.channels, difference, meanAbsDifference: counted ? sum / counted : 0, maxAbsDifference: max, nonFinite: x.channels - counted };
  });
}

/** The blocks from most to least different (mean |B - A|); ties keep network order. */
export function rankByDifference(blocks: readonly BlockDifference[]): BlockDifference[] {
  return [...blocks].sort((p, q) => q.meanAbsDifference - p.meanAbsDifference || p.index - q.index);
}

/** The largest |B - A| over all blocks: the half-width of a diverging colour scale centred on 0. */
export function maxAbsDifference(blocks: readonly BlockDifference[]): number {
  return blocks.reduce((m, b) => Math.max(m, b.maxAbsDifference), 0);
}
