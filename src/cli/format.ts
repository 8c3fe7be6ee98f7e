/** Plain-text tables for the terminal. */
import type { InspectReport } from '../analysis/report.js';
import { formatShape } from '../graph/types.js';
import { int } from '../util/format.js';
import { safeText, term } from '../util/terminal.js';

export const mega = (n: number) => (n / 1e6).toFixed(2) + 'M';
export const giga = (n: number) => (n / 1e9).toFixed(3) + 'G';
const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}%`;

export function table(headers: string[], rows: (string | number)[][], right = new Set<number>()): string {
  // Cells hold names from the file: one cell stays one cell on one line.
  const cells = [headers, ...rows.map((r) => r.map((c) => safeText(String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function formatReport(r: InspectReport, options: { layers?: boolean } = {}): string {
  const out: string[] = [];
  const t = r.totals;
  out.push(term`${r.model.name}  (${r.model.format}: ${r.model.path})`);
  out.push(`input ${formatShape(r.model.inputShape)}${r.model.producer ? term`, written by ${r.model.producer}` : ''}`);
  out.push(`params ${int(t.params)} (trainable ${int(t.trainableParams)}, non-trainable ${int(t.nonTrainableParams)})`);
  out.push(`MACs ${int(t.macs)} (${giga(t.macs)}), FLOPs ${int(t.flops)} (${giga(t.flops)}, = 2 x MACs)${t.complete ? '' : '  [incomplete: see warnings]'}`);
  out.push('');
  if (r.seBlocks.length) {
    out.push(`SE blocks: ${r.seBlocks.length}`);
    out.push(
      table(
        ['#', 'block', 'scales', 'C', 'width', 'r', 'act', 'gate', 'variant', 'params', 'MACs', '% params'],
        r.seBlocks.map((b, i) => [i + 1, b.name, b.scaledLayer, b.channels, b.squeezedWidth, +b.ratio.toFixed(2), b.reductionActivation, b.gate, b.variant, int(b.params), int(b.macs), (100 * b.share.params).toFixed(2)]),
        new Set([0, 3, 4, 5, 9, 10, 11]),
      ),
    );
    out.push('');
    out.push(`What if (every SE block at width max(1, floor(C / r))); baseline without SE: ${int(r.whatIf.baseline.params)} params, ${int(r.whatIf.baseline.macs)} MACs`);
    out.push(
      table(
        ['r', 'params', 'vs no SE', 'MACs', 'vs no SE'],
        r.whatIf.byRatio.map((x) => [`${x.r === null ? 'mixed' : +x.r.toFixed(3)}${x.own ? ' (model)' : ''}`, int(x.params), `${int(x.paramsDelta)} (${pct(x.paramsPercent)})`, int(x.macs), `${int(x.macsDelta)} (${pct(x.macsPercent)})`]),
        new Set([1, 2, 3, 4]),
      ),
    );
  } else out.push('SE blocks: none');
  if (options.layers) {
    out.push('');
    out.push(table(['layer', 'type', 'output', 'params', 'MACs', 'SE block'], r.layers.map((l) => [l.name, l.type, formatShape(l.outputShape), int(l.params), int(l.macs), l.seBlock ?? '']), new Set([3, 4])));
  }
  for (const n of r.notes) out.push(term`note: ${n}`);
  for (const w of r.warnings) out.push(term`warning: ${w}`);
  out.push(`counting: ${r.conventions.macs}`);
  return out.join('\n');
}
