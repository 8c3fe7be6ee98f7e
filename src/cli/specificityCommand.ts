/**
 * `specificity <model> <folder>`: every image of a class folder run once (over worker threads, as
 * `excite <model> <folder>`), then per SE block the class-mean excitations, the class-specificity
 * score, saturation and spread (src/analysis/specificity.ts).
 */
import { analyze, type InspectReport } from '../analysis/report.js';
import { classSpecificity, type SpecificityResult } from '../analysis/specificity.js';
import { openModel } from '../formats/index.js';
import type { ExciteResult } from '../runtime/excite.js';
import { ModelError, RuntimeError } from '../util/errors.js';
import { readClassFolder } from '../image/folders.js';
import { exciteFolder, type FolderResult, type FolderTask } from './exciteFolder.js';
import { table } from './format.js';
import { progressLine } from './progress.js';
import { term } from '../util/terminal.js';

export interface FolderRunOptions {
  json: boolean;
  backend: string;
  preprocess: string;
  imageSize?: number;
  workers?: number;
}

/** The model's report, refusing models without SE blocks (nothing to analyse). */
export async function seReport(modelPath: string, imageSize?: number): Promise<InspectReport> {
  const report = analyze(await openModel(modelPath, { assumedImageSize: imageSize }));
  if (report.seBlocks.length === 0) throw new ModelError('no SE block found, so there is no excitation to analyse', modelPath);
  return report;
}

/** Runs the tasks over worker threads with a progress line; the first failed image fails the whole run. */
/** `overrides`: load on an engine that can hold gates at given values, also for the runs that hold none. */
export async function runAll(entry: URL, modelPath: string, tasks: FolderTask[], o: FolderRunOptions, label: string, overrides = false): Promise<{ results: ExciteResult[]; run: FolderResult }> {
  const progress = progressLine(label);
  let run: FolderResult;
  try {
    run = await exciteFolder(entry, { model: modelPath, backend: o.backend, preprocess: o.preprocess, imageSize: o.imageSize, overrides }, tasks, o.workers, progress.update);
  } finally {
    progress.end();
  }
  const results = run.images.map((x) => {
    if ('error' in x) throw new RuntimeError(x.error);
    return x.result;
  });
  return { results, run };
}

export async function computeSpecificity(entry: URL, modelPath: string, folder: string, o: FolderRunOptions): Promise<{ report: InspectReport; result: SpecificityResult; wallMs: number; workers: number }> {
  const report = await seReport(modelPath, o.imageSize);
  const { classes, images } = readClassFolder(folder);
  const { results, run } = await runAll(entry, modelPath, images.map((x) => ({ image: x.image })), o, 'specificity: images');
  const samples = images.map((x, i) => ({ image: x.image, label: x.label, gates: results[i].blocks.map((b) => b.excitation) }));
  return { report, result: classSpecificity(report.seBlocks, classes, samples), wallMs: run.wallMs, workers: run.workers };
}

export function formatSpecificity(r: SpecificityResult): string {
  const bar = (x: number) => '#'.repeat(Math.round(20 * x)).padEnd(20, '.');
  return table(
    ['#', 'block', 'C', 'score', '', 'gates > 0.95', 'gates < 0.05', 'spread', 'gate std'],
    r.blocks.map((b, i) => [i + 1, b.name, b.channels, b.score.toFixed(3), bar(b.score), `${(100 * b.saturation.high).toFixed(1)} %`, `${(100 * b.saturation.low).toFixed(1)} %`, b.spread.toFixed(3), b.gateStd.toFixed(3)]),
    new Set([0, 2, 3, 5, 6, 7, 8]),
  );
}

export async function runSpecificity(entry: URL, modelPath: string, folder: string, o: FolderRunOptions): Promise<number> {
  const { report, result, wallMs, workers } = await computeSpecificity(entry, modelPath, folder, o);
  if (o.json) {
    console.log(JSON.stringify({ model: modelPath, folder, ...result }, null, 1));
    return 0;
  }
  console.log(term`${report.model.name}: class specificity of ${result.blocks.length} SE blocks over ${result.images} images in ${result.classes.length} classes (${workers} threads, ${(wallMs / 1000).toFixed(1)} s)`);
  console.log(formatSpecificity(result));
  console.log('score: share of each gate\'s variance across images explained by the class (between-class / total), averaged over channels; 0 = same for every class, 1 = set by the class alone');
  console.log('spread: std of one image\'s gates across channels, mean over images; gate std: std of each gate across images, mean over channels');
  return 0;
}
