/**
 * What the model would cost with every SE block at reduction ratio r (squeezed width
 * max(1, floor(C / r))), and without SE at all: the SENet paper's Table 10.
 */
import type { SeBlock } from './seBlocks.js';

export const DEFAULT_RATIOS = [2, 4, 8, 16, 32];

export interface RatioRow {
  /** The reduction ratio; for the model's own row, its effective ratio (null when blocks differ). */
  r: number | null;
  own: boolean;
  params: number;
  macs: number;
  paramsDelta: number;
  macsDelta: number;
  paramsPercent: number;
  macsPercent: number;
}

export interface WhatIf {
  baseline: { params: number; macs: number };
  byRatio: RatioRow[];
}

/** Params and MACs of one block if its width were `w` (the reduce/expand layers change; pool, gate and scale stay). */
export function blockCostAtWidth(b: SeBlock, w: number, original: { reduce: { params: number; macs: number }; expand: { params: number; macs: number } }): { params: number; macs: number } {
  const c = b.channels;
  const params = c * w + (b.reduceBias ? w : 0) + w * c + (b.expandBias ? c : 0);
  const macs = 2 * c * w;
  return {
    params: b.params - original.reduce.params - original.expand.params + params,
    macs: b.macs - original.reduce.macs - original.expand.macs + macs,
  };
}

export function whatIf(
  totals: { params: number; macs: number },
  blocks: SeBlock[],
  layerCost: (name: string) => { params: number; macs: number },
  ratios: number[] = DEFAULT_RATIOS,
): WhatIf {
  const seParams = blocks.reduce((a, b) => a + b.params, 0);
  const seMacs = blocks.reduce((a, b) => a + b.macs, 0);
  const baseline = { params: totals.params - seParams, macs: totals.macs - seMacs };
  const row = (r: number | null, own: boolean, params: number, macs: number): RatioRow => ({
    r,
    own,
    params,
    macs,
    paramsDelta: params - baseline.params,
    macsDelta: macs - baseline.macs,
    paramsPercent: baseline.params ? (100 * (params - baseline.params)) / baseline.params : 0,
    macsPercent: baseline.macs ? (100 * (macs - baseline.macs)) / baseline.macs : 0,
  });
  const ratiosOfBlocks = [...new Set(blocks.map((b) => Math.round(b.ratio * 1000) / 1000))];
  const ownRatio = ratiosOfBlocks.length === 1 ? ratiosOfBlocks[0] : null;
  const rows = [...new Set(ratios)].sort((a, b) => a - b).map((r) => {
    let params = baseline.params;
    let macs = baseline.macs;
    for (const b of blocks) {
      const c = blockCostAtWidth(b, Math.max(1, Math.floor(b.channels / r)), { reduce: layerCost(b.reduceLayer), expand: layerCost(b.expandLayer) });
      params += c.params;
      macs += c.macs;
    }
    return row(r, false, params, macs);
  });
  if (blocks.length) {
    const same = rows.find((x) => x.r === ownRatio && x.params === totals.params && x.macs === totals.macs);
    if (same) same.own = true;
    else rows.push(row(ownRatio, true, totals.params, totals.macs));
    rows.sort((a, b) => (a.r ?? Infinity) - (b.r ?? Infinity));
  }
  return { baseline, byRatio: rows };
}
