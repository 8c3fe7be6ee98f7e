/** The inspection report: what `inspect --json` prints and what the extension shows. */
import type { ModelFormat, ModelGraph, Shape } from '../graph/types.js';
import { countGraph, MAC_CONVENTION } from './cost.js';
import { findSeBlocks, type SeBlock } from './seBlocks.js';
import { DEFAULT_RATIOS, whatIf, type WhatIf } from './whatIf.js';

export interface LayerRow {
  name: string;
  type: string;
  outputShape: Shape | null;
  params: number | null;
  trainableParams: number | null;
  macs: number | null;
  /** Name of the SE block this layer belongs to, if any. */
  seBlock?: string;
}

export interface InspectReport {
  model: { path: string; format: ModelFormat; name: string; inputShape: Shape; declaredInputShape: Shape; producer?: string; runnable: boolean };
  totals: { params: number; trainableParams: number; nonTrainableParams: number; macs: number; flops: number; complete: boolean };
  conventions: { macs: string };
  layers: LayerRow[];
  seBlocks: (SeBlock & { share: { params: number; macs: number } })[];
  whatIf: WhatIf;
  notes: string[];
  warnings: string[];
}

export function analyze(graph: ModelGraph, ratios: number[] = DEFAULT_RATIOS): InspectReport {
  const costs = countGraph(graph);
  const blocks = findSeBlocks(graph, costs);
  const owner = new Map<string, string>();
  for (const b of blocks) for (const l of b.layers) owner.set(l, b.name);
  const layers: LayerRow[] = graph.nodes.map((n) => {
    const c = costs.byNode.get(n.name)!;
    const row: LayerRow = { name: n.name, type: n.op, outputShape: n.outputShape, params: c.params, trainableParams: c.trainableParams, macs: c.macs };
    const se = owner.get(n.name);
    if (se) row.seBlock = se;
    return row;
  });
  const layerCost = (name: string) => {
    const c = costs.byNode.get(name);
    return { params: c?.params ?? 0, macs: c?.macs ?? 0 };
  };
  const { totals } = costs;
  const warnings = [...graph.warnings];
  if (blocks.length === 0) warnings.push('no SE block found: the report shows the cost of the model only');
  return {
    model: {
      path: graph.path,
      format: graph.format,
      name: graph.name,
      inputShape: graph.inputShape,
      declaredInputShape: graph.declaredInputShape,
      producer: graph.producer,
      runnable: !!graph.loadWeights,
    },
    totals,
    conventions: { macs: MAC_CONVENTION },
    layers,
    seBlocks: blocks.map((b) => ({ ...b, share: { params: totals.params ? b.params / totals.params : 0, macs: totals.macs ? b.macs / totals.macs : 0 } })),
    whatIf: whatIf(totals, blocks, layerCost, ratios),
    notes: graph.notes,
    warnings,
  };
}
