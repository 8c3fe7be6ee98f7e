/**
 * `ablate <model> <folder>`: what each SE block is worth. Every image runs once as is, then once per
 * block with that block's gate held at its mean over the folder (a constant per-channel scale,
 * foldable into the layer before it); top-1 agreement and mean absolute output change against the
 * unmodified model, beside the parameters and MACs the block costs. Cheapest removals first.
 */
import { compareOutputs, meanGate, rankAblations, type BlockAblation } from '../analysis/ablation.js';
import { int } from '../util/format.js';
import { readClassFolder } from '../image/folders.js';
import { table } from './format.js';
import { runAll, seReport, type FolderRunOptions } from './specificityCommand.js';
import { term } from '../util/terminal.js';

export interface AblationResult {
  images: number;
  blocks: (BlockAblation & { paramsShare: number; macsShare: number })[];
}

export async function computeAblation(entry: URL, modelPath: string, folder: string, o: FolderRunOptions): Promise<AblationResult & { model: string; runs: number; wallMs: number }> {
  const report = await seReport(modelPath, o.imageSize);
  const images = readClassFolder(folder).images.map((x) => x.image);
  const t0 = performance.now();
  // The original and the ablated runs on the same engine: a gate held at its own values must change nothing.
  const base = (await runAll(entry, modelPath, images.map((image) => ({ image, fullOutput: true })), o, 'ablate: original run', true)).results;
  const means = report.seBlocks.map((b, k) => meanGate(base.map((r) => r.blocks[k].excitation)));
  const tasks = report.seBlocks.flatMap((b, k) => images.map((image) => ({ image, fullOutput: true, overrideGates: [[b.gateLayer, Array.from(means[k])]] as [string, number[]][] })));
  const ablated = (await runAll(entry, modelPath, tasks, o, 'ablate: runs with one gate held at its mean', true)).results;
  const original = base.map((r) => r.output.values!);
  const rows = report.seBlocks.map((b, k) => {
    const { agreement, meanAbsChange } = compareOutputs(original, ablated.slice(k * images.length, (k + 1) * images.length).map((r) => r.output.values!));
    return { name: b.name, agreement, meanAbsChange, params: b.params, macs: b.macs, paramsShare: b.share.params, macsShare: b.share.macs };
  });
  const ranked = rankAblations(rows) as AblationResult['blocks'];
  return { model: report.model.name, images: images.length, blocks: ranked, runs: images.length * (1 + rows.length), wallMs: performance.now() - t0 };
}

export function formatAblation(r: AblationResult): string {
  return table(
    ['rank', 'block', 'top-1 agreement', 'mean |change|', 'params saved', 'MACs saved'],
    r.blocks.map((b, i) => [i + 1, b.name, `${(100 * b.agreement).toFixed(1)} %`, b.meanAbsChange.toExponential(2), `${int(b.params)} (${(100 * b.paramsShare).toFixed(2)} %)`, `${int(b.macs)} (${(100 * b.macsShare).toFixed(2)} %)`]),
    new Set([0, 2, 3, 4, 5]),
  );
}

export async function runAblate(entry: URL, modelPath: string, folder: string, o: FolderRunOptions): Promise<number> {
  const r = await computeAblation(entry, modelPath, folder, o);
  if (o.json) {
    console.log(JSON.stringify({ model: modelPath, folder, images: r.images, blocks: r.blocks }, null, 1));
    return 0;
  }
  console.log(term`${r.model}: each SE block's gate held at its mean over ${r.images} images (${r.runs} runs, ${(r.wallMs / 1000).toFixed(1)} s); cheapest removals first`);
  console.log(formatAblation(r));
  console.log('agreement: share of images whose top-1 class is unchanged; mean |change|: mean absolute change of the output values; saved: the block\'s own parameters and MACs (the constant scale folds into the layer before it)');
  return 0;
}
