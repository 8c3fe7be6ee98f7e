/**
 * Finding what is under the cursor in a model's JSON text (tfjs model.json, Keras architecture
 * JSON) and describing a layer of the report. Pure: text and offsets in, strings out.
 */
import type { InspectReport, LayerRow } from '../analysis/report.js';
import { formatShape as shape } from '../graph/types.js';
import { int, pct, short } from '../util/format.js';

export interface JsonString {
  /** The decoded string value. */
  value: string;
  /** Character offsets of the token, quotes included. */
  start: number;
  end: number;
  /** Whether the string is an object key (followed by ':'). */
  isKey: boolean;
}

/**
 * The JSON string token containing `offset`. JSON strings never span lines, so the line holding
 * the offset is scanned from its start (a minified model.json is one long line; that is fine).
 */
export function jsonStringAt(text: string, offset: number): JsonString | undefined {
  if (offset < 0 || offset > text.length) return undefined;
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd < 0) lineEnd = text.length;
  let i = lineStart;
  while (i < lineEnd) {
    if (text[i] !== '"') {
      i++;
      continue;
    }
    const start = i;
    i++;
    while (i < lineEnd && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    const end = Math.min(i + 1, lineEnd);
    if (offset >= start && offset < end) {
      let value: string;
      try {
        value = JSON.parse(text.slice(start, end)) as string;
      } catch {
        return undefined;
      }
      let j = end;
      while (j < text.length && /\s/.test(text[j])) j++;
      return { value, start, end, isKey: text[j] === ':' };
    }
    if (start > offset) return undefined;
    i = end;
  }
  return undefined;
}

/** A cheap sniff: could this JSON text be a model we read? (avoids starting the worker for package.json) */
export function looksLikeModelJson(text: string): boolean {
  return /"(class_name|modelTopology|model_config)"\s*:/.test(text.slice(0, 200_000));
}

const ROLE_OF: [keyof InspectReport['seBlocks'][number], string][] = [
  ['squeezeLayer', 'squeeze'],
  ['reduceLayer', 'reduce'],
  ['expandLayer', 'expand'],
  ['gateLayer', 'gate'],
  ['scaleLayer', 'scale'],
];

/** The role of `layer` in its SE block (squeeze, reduce, expand, gate, scale, or part). */
export function seRole(block: InspectReport['seBlocks'][number], layer: string): string {
  const roles = ROLE_OF.filter(([k]) => block[k] === layer).map(([, r]) => r);
  return roles.length ? roles.join(' + ') : 'part';
}

/** Markdown for one layer of a report: type, output shape, params, MACs and its SE block if any. */
export function describeLayer(report: InspectReport, name: string): string | undefined {
  const row: LayerRow | undefined = report.layers.find((l) => l.name === name);
  const block = report.seBlocks.find((b) => b.name === name || b.layers.includes(name) || b.scaledLayer === name);
  if (!row && !block) return undefined;
  const out: string[] = [];
  const t = report.totals;
  if (row) {
    out.push(`**${row.name}** — \`${row.type}\``);
    out.push('');
    out.push(`| | |\n|---|---|`);
    out.push(`| output | \`${shape(row.outputShape)}\` |`);
    out.push(`| params | ${int(row.params)}${row.params !== null && row.trainableParams !== null && row.trainableParams !== row.params ? ` (trainable ${int(row.trainableParams)})` : ''}${row.params && t.params ? ` · ${pct(row.params / t.params)} of model` : ''} |`);
    out.push(`| MACs | ${int(row.macs)}${row.macs !== null && Math.abs(row.macs) >= 1e3 ? ` (${short(row.macs)})` : ''}${row.macs && t.macs ? ` · ${pct(row.macs / t.macs)} of model` : ''} |`);
    if (row.macs !== null) out.push(`| FLOPs | ${int(2 * row.macs)} (2 × MACs) |`);
  }
  if (block) {
    out.push('');
    const role = block.name === name ? 'block' : block.scaledLayer === name && !block.layers.includes(name) ? 'scaled by' : seRole(block, name);
    out.push(`**SE block \`${block.name}\`** (${role}): C = ${block.channels}, width ${block.squeezedWidth}, r = ${+block.ratio.toFixed(2)}, gate ${block.gate}, ${block.variant}`);
    out.push('');
    out.push(`block cost: ${int(block.params)} params (${pct(block.share.params)} of model), ${int(block.macs)} MACs (${pct(block.share.macs, 3)} of model)`);
  }
  return out.join('\n');
}
