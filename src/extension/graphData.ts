/** What the graph view draws, from a model's report and its edges. Pure (no vscode). */
import type { GraphData, InspectReport } from '../protocol/messages.js';

export function graphDataOf(report: InspectReport, edges: [number, number][]): GraphData {
  return {
    modelName: report.model.name,
    nodes: report.layers.map((l) => ({ name: l.name, type: l.type, outputShape: l.outputShape, params: l.params, macs: l.macs, ...(l.seBlock ? { seBlock: l.seBlock } : {}) })),
    edges,
    seBlocks: report.seBlocks.map((b) => ({
      name: b.name, layers: b.layers, channels: b.channels, squeezedWidth: b.squeezedWidth, ratio: b.ratio, gate: b.gate, params: b.params, macs: b.macs, scaledLayer: b.scaledLayer, variant: b.variant,
    })),
  };
}
