/** The report as a file: Markdown for people, JSON exactly as `se-inspector inspect --json` prints it. Pure (no vscode). */
import type { InspectReport } from '../analysis/report.js';
import type { ExcitationRun } from '../protocol/messages.js';
import { int, pct } from '../util/format.js';

/** The CLI's `inspect --json` output. */
export function reportToJson(report: InspectReport): string {
  return JSON.stringify(report, null, 1) + '\n';
}

const cell = (v: unknown) => String(v ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const shape = (s: readonly (number | null)[] | null) => (s ? `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})` : '?');

function mdTable(headers: string[], rows: unknown[][], right: Set<number>): string {
  const head = `| ${headers.map(cell).join(' | ')} |`;
  const rule = `|${headers.map((_, i) => (right.has(i) ? '---:' : '---')).join('|')}|`;
  return [head, rule, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** Summary, SE blocks, what-if, the last run (if any) and every layer, as Markdown tables. */
export function reportToMarkdown(r: InspectReport, displayPath: string, run?: ExcitationRun | null): string {
  const t = r.totals;
  const out: string[] = [
    `# ${r.model.name}`,
    '',
    `\`${displayPath}\` · ${r.model.format}${r.model.producer ? ` (written by ${r.model.producer})` : ''} · input ${shape(r.model.inputShape)}`,
    '',
    `- params: ${int(t.params)} (trainable ${int(t.trainableParams)}, non-trainable ${int(t.nonTrainableParams)})`,
    `- MACs: ${int(t.macs)}; FLOPs: ${int(t.flops)} (2 × MACs)${t.complete ? '' : ' — incomplete, see warnings'}`,
    `- SE blocks: ${r.seBlocks.length}`,
    `- counting convention: ${r.conventions.macs}`,
    ...r.notes.map((n) => `- note: ${n}`),
    ...r.warnings.map((w) => `- warning: ${w}`),
    '',
  ];
  if (r.seBlocks.length) {
    out.push('## SE blocks', '', mdTable(
      ['#', 'block', 'scales', 'C', 'width', 'r', 'gate', 'variant', 'params', 'MACs', 'share (params)'],
      r.seBlocks.map((b, i) => [i, b.name, b.scaledLayer, b.channels, b.squeezedWidth, +b.ratio.toFixed(2), b.gate, b.variant, int(b.params), int(b.macs), pct(b.share.params)]),
      new Set([0, 3, 4, 5, 8, 9, 10]),
    ), '');
    const w = r.whatIf;
    out.push('## What if: every SE block at ratio r', '', mdTable(
      ['r', 'params', 'vs no SE', 'MACs', 'vs no SE'],
      [['no SE', int(w.baseline.params), '—', int(w.baseline.macs), '—'], ...w.byRatio.map((x) => [`${x.r === null ? 'mixed' : +x.r.toFixed(3)}${x.own ? ' (the model)' : ''}`, int(x.params), `+${int(x.paramsDelta)}`, int(x.macs), `+${int(x.macsDelta)}`])],
      new Set([1, 2, 3, 4]),
    ), '');
  }
  if (run) {
    out.push(`## Excitation: ${run.imageName}`, '', `backend ${run.backend}, preprocess ${run.preprocess}, input ${shape(run.inputShape)}`, '', mdTable(
      ['#', 'block', 'C', 'min', 'mean', 'max'],
      run.blocks.map((b, i) => [i, b.name, b.channels, b.stats.min.toFixed(4), b.stats.mean.toFixed(4), b.stats.max.toFixed(4)]),
      new Set([0, 2, 3, 4, 5]),
    ), '', `top-5: ${run.top5.map((x) => `#${x.index}${x.label ? ` ${x.label}` : ''} ${x.value.toFixed(4)}`).join('; ')}`, '');
  }
  out.push(`## Layers (${r.layers.length})`, '', mdTable(
    ['#', 'layer', 'type', 'output', 'params', 'MACs', 'SE block'],
    r.layers.map((l, i) => [i, l.name, l.type, shape(l.outputShape), l.params === null ? '?' : int(l.params), l.macs === null ? '?' : int(l.macs), l.seBlock ?? '']),
    new Set([0, 4, 5]),
  ), '');
  return out.join('\n');
}
