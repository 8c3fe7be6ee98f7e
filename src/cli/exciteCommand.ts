/** `excite`: run the model on one image and print every SE block's excitation. */
import { analyze } from '../analysis/report.js';
import { openModel } from '../formats/index.js';
import { excite, loadModel, type ExciteResult } from '../runtime/excite.js';
import { completeShapesByExecution } from '../runtime/executionShapes.js';
import { classCount, outputShapeOf, resolveLabels } from '../labels/index.js';
import { ModelError } from '../util/errors.js';
import { listImages } from '../image/folders.js';
import { exciteFolder } from './exciteFolder.js';
import { table } from './format.js';
import { safeText, term } from '../util/terminal.js';

export interface ExciteOptions {
  json: boolean;
  backend: string;
  preprocess: string;
  imageSize?: number;
  /** `--input NAME=VALUE`: values for non-image inputs. */
  inputs: Record<string, number>;
  /** A labels file (text or JSON, one class name per output index). */
  labels?: string;
  threads?: number;
}

/** One line saying what each model input got (the image, zeros, a given value). */
export function inputsLine(inputs: ExciteResult['inputs']): string {
  return `inputs: ${inputs.map((i) => term`${i.name} [${i.shape.join(', ')}] ${i.dtype} = ${i.value}`).join('; ')}`;
}

export async function runExcite(modelPath: string, imagePath: string, o: ExciteOptions): Promise<number> {
  const t0 = performance.now();
  // The same graph as `inspect` analyses: shapes no rule knows measured by running the model.
  const graph = await completeShapesByExecution(await openModel(modelPath, { assumedImageSize: o.imageSize }), { backend: o.backend as never, inputs: o.inputs });
  const report = analyze(graph);
  if (report.seBlocks.length === 0) throw new ModelError('no SE block found, so there is no excitation to show', modelPath);
  const loaded = await loadModel(graph, { backend: o.backend as never, inputs: o.inputs, capture: report.seBlocks.map((b) => b.gateLayer), threads: o.threads });
  try {
    const labels = outputLabels(o.labels, modelPath, outputShapeOf(graph));
    const result = await excite(loaded, report, imagePath, { preprocess: o.preprocess as never, labels: labels?.labels });
    result.timings.load += performance.now() - t0 - result.timings.load - result.timings.run;
    if (o.json) {
      console.log(JSON.stringify({ model: modelPath, image: imagePath, ...result }, null, 1));
      return 0;
    }
    console.log(term`${report.model.name}: ${result.blocks.length} SE blocks on ${imagePath} (backend ${result.backend}: ${result.backendReason}; preprocess ${result.preprocess})`);
    console.log(inputsLine(result.inputs));
    console.log(
      table(
        ['#', 'block', 'C', 'min', 'mean', 'max', 'std', 'excitation (first 8)'],
        result.blocks.map((b, i) => [
          i + 1, b.name, b.channels, b.stats.min.toFixed(4), b.stats.mean.toFixed(4), b.stats.max.toFixed(4), b.stats.std.toFixed(4),
          b.excitation.slice(0, 8).map((v) => v.toFixed(3)).join(' ') + (b.nonFinite ? `  [${b.nonFinite} NaN/Inf values]` : ''),
        ]),
        new Set([0, 2, 3, 4, 5, 6]),
      ),
    );
    console.log(term`top-5 output${labels ? ` (labels: ${labels.source})` : ''}: ${result.output.top5.map((t) => `${t.index}${t.label ? ` ${t.label}` : ''}: ${t.value.toFixed(4)}`).join(', ')}`);
    console.log(`time: load ${result.timings.load.toFixed(0)} ms, run ${result.timings.run.toFixed(0)} ms`);
    return result.blocks.some((b) => b.nonFinite) ? 4 : 0;
  } finally {
    loaded.dispose();
  }
}

/** The labels of the model's output: --labels FILE, else the model's metadata, else ImageNet's for 1000 classes. */
export function outputLabels(file: string | undefined, modelPath: string, shape: readonly (number | null)[] | null) {
  return resolveLabels({ file, modelPath, classes: classCount(shape) });
}

/** `excite <model> <folder>`: one summary line per image; the work spread over worker threads. */
export async function runExciteFolder(entry: URL, modelPath: string, folder: string, o: ExciteOptions & { workers?: number }): Promise<number> {
  const images = listImages(folder);
  if (images.length === 0) throw new ModelError('has no PNG or JPEG image', folder);
  // Fail fast, in this thread, on a model that cannot be run at all.
  const report = analyze(await completeShapesByExecution(await openModel(modelPath, { assumedImageSize: o.imageSize }), { backend: o.backend as never, inputs: o.inputs }));
  if (report.seBlocks.length === 0) throw new ModelError('no SE block found, so there is no excitation to show', modelPath);
  const r = await exciteFolder(entry, { model: modelPath, backend: o.backend, preprocess: o.preprocess, imageSize: o.imageSize, inputs: o.inputs, threads: o.threads }, images, o.workers);
  if (o.json) console.log(JSON.stringify({ model: modelPath, folder, ...r }, null, 1));
  else {
    console.log(term`${report.model.name}: ${images.length} images on ${r.workers} worker threads in ${r.wallMs.toFixed(0)} ms`);
    const first = r.images.find((x) => 'result' in x);
    if (first && 'result' in first && first.result.inputs.length > 1) console.log(inputsLine(first.result.inputs));
    console.log(
      table(
        ['image', 'top-1', 'run ms', 'mean excitation per block'],
        r.images.map((x) =>
          'result' in x
            ? [x.image, `${x.result.output.top5[0]?.index}: ${x.result.output.top5[0]?.value.toFixed(3)}`, x.result.timings.run.toFixed(0), x.result.blocks.map((b) => b.stats.mean.toFixed(2)).join(' ')]
            : [x.image, 'error', '', x.error],
        ),
        new Set([2]),
      ),
    );
  }
  const failed = r.images.filter((x) => 'error' in x);
  for (const f of failed) if ('error' in f) console.error(`se-inspector: ${safeText(f.error)}`);
  return failed.length ? 1 : 0;
}
