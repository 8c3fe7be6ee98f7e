/** The layers of one name across the workspace's models, as a hover lists them. Pure. */
import type { InspectReport, LayerRow } from '../analysis/report.js';

/**
 * One entry per distinct layer: the same model saved as .h5, .keras and tfjs has the same layer
 * (type, shape, params, MACs, SE block) three times; it is listed once, with its files.
 */
export function groupHits<U>(hits: { uri: U; report: InspectReport }[], name: string): { row: LayerRow; report: InspectReport; uris: U[] }[] {
  const groups = new Map<string, { row: LayerRow; report: InspectReport; uris: U[] }>();
  for (const h of hits) {
    const row = h.report.layers.find((l) => l.name === name);
    if (!row) continue;
    const key = JSON.stringify([row.type, row.outputShape, row.params, row.macs, row.seBlock ?? null]);
    const g = groups.get(key);
    if (g) g.uris.push(h.uri);
    else groups.set(key, { row, report: h.report, uris: [h.uri] });
  }
  return [...groups.values()];
}
