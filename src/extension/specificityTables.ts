/** The specificity view's tables as CSV, and the check of its webview's messages. Pure (no vscode). */
import type { SpecificityFromWebview, SpecificityRun } from '../protocol/messages.js';

const field = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const rows = (header: string[], body: (string | number)[][]) => [header, ...body].map((r) => r.map((x) => field(String(x))).join(',')).join('\n') + '\n';

export type SpecificityTable = SpecificityFromWebview.ExportCsv['table'];

/**
 * classMeans: one row per (block, class, channel), the class-mean gate (Fig. 6's lines);
 * scores: one row per block (score, saturation, spread, gate std);
 * ablation: one row per block, cheapest removal first.
 */
export function specificityCsv(run: SpecificityRun, table: SpecificityTable): string {
  switch (table) {
    case 'classMeans':
      return rows(['block_index', 'block', 'class', 'channel', 'mean_excitation'], run.blocks.flatMap((b, i) => run.classes.flatMap((c) => (b.classMeans[c] ?? []).map((v, ch) => [i, b.name, c, ch, v]))));
    case 'scores':
      return rows(['block_index', 'block', 'channels', 'score', 'share_above_0.95', 'share_below_0.05', 'spread', 'gate_std'], run.blocks.map((b, i) => [i, b.name, b.channels, b.score, b.saturation.high, b.saturation.low, b.spread, b.gateStd]));
    case 'ablation':
      return rows(['rank', 'block', 'top1_agreement', 'mean_abs_change', 'params_saved', 'params_share', 'macs_saved', 'macs_share'], run.ablation.map((a, i) => [i + 1, a.name, a.agreement, a.meanAbsChange, a.params, a.paramsShare, a.macs, a.macsShare]));
  }
}

const TABLES: ReadonlySet<string> = new Set<SpecificityTable>(['classMeans', 'scores', 'ablation']);

/** The message if it is one the specificity page sends, else undefined (ignored and logged by the host). */
export function checkSpecificityMessage(m: unknown): SpecificityFromWebview.Message | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
      return { type: 'ready' };
    case 'exportPng':
      return typeof o.dataUrl === 'string' && o.dataUrl.startsWith('data:image/png;base64,') && typeof o.what === 'string' ? { type: 'exportPng', dataUrl: o.dataUrl, what: o.what } : undefined;
    case 'exportCsv':
      return typeof o.table === 'string' && TABLES.has(o.table) ? { type: 'exportCsv', table: o.table as SpecificityTable } : undefined;
    default:
      return undefined;
  }
}
