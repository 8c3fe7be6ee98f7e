/** Turning the runtime's result into what the webviews draw, and into CSV. Pure (no vscode). */
import type { ExcitationRun } from '../protocol/messages.js';
import type { ExciteResult } from './worker/workerProtocol.js';

export function toRun(r: ExciteResult, model: { name: string; path: string }, imagePath: string): ExcitationRun {
  return {
    id: Date.now(),
    modelName: model.name,
    modelPath: model.path,
    imagePath,
    imageName: imagePath.split(/[\\/]/).pop() ?? imagePath,
    backend: r.backend,
    backendReason: r.backendReason,
    preprocess: r.preprocess,
    inputShape: r.inputShape,
    blocks: r.blocks.map((b) => {
      const values = Array.from(b.excitation, (v) => (Number.isFinite(v) ? v : null));
      return { name: b.name, gateLayer: b.gateLayer, channels: b.channels, values, stats: b.stats, nonFinite: values.filter((v) => v === null).length };
    }),
    top5: r.output.top5,
    thumbnail: r.thumbnail,
    labelSource: r.labelSource,
    outputShape: r.output.shape,
    timings: r.timings,
  };
}

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** One row per (block, channel): block index and channel both from 0 (as the heatmap's tooltip), block name, value ('NaN' for invalid values). */
export function runToCsv(run: ExcitationRun): string {
  const lines = ['block_index,block,channel,excitation'];
  run.blocks.forEach((b, i) => b.values.forEach((v, c) => lines.push(`${i},${csvField(b.name)},${c},${v === null ? 'NaN' : v}`)));
  return lines.join('\n') + '\n';
}
