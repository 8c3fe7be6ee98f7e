/** `excite`: run the model on one image and print every SE block's excitation. */
import { analyze } from '../analysis/report.js';
import { openModel } from '../formats/index.js';
import { excite, loadModel } from '../runtime/excite.js';
import { ModelError } from '../util/errors.js';
import { exciteFolder, listImages } from './exciteFolder.js';
import { table } from './format.js';

export interface ExciteOptions {
  json: boolean;
  backend: string;
  preprocess: string;
  imageSize?: number;
  threads?: number;
}

export async function runExcite(modelPath: string, imagePath: string, o: ExciteOptions): Promise<number> {
  const t0 = performance.now();
  const graph = await openModel(modelPath, { assumedImageSize: o.imageSize });
  const report = analyze(graph);
  if (report.seBlocks.length === 0) throw new ModelError('no SE block found, so there is no excitation to show', modelPath);
  const loaded = await loadModel(graph, { backend: o.backend as never, capture: report.seBlocks.map((b) => b.gateLayer), threads: o.threads });
  try {
    const result = await excite(loaded, report, imagePath, { preprocess: o.preprocess as never });
    result.timings.load += performance.now() - t0 - result.timings.load - result.timings.run;
    if (o.json) {
      console.log(JSON.stringify({ model: modelPath, image: imagePath, ...result }, null, 1));
      return 0;
    }
    console.log(`${report.model.name}: ${result.blocks.length} SE blocks on ${imagePath} (backend ${result.backend}: ${result.backendReason}; preprocess ${result.preprocess})`);
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
    console.log(`top-5 output: ${result.output.top5.map((t) => `${t.index}: ${t.value.toFixed(4)}`).join(', ')}`);
    console.log(`time: load ${result.timings.load.toFixed(0)} ms, run ${result.timings.run.toFixed(0)} ms`);
    return result.blocks.some((b) => b.nonFinite) ? 4 : 0;
  } finally {
    loaded.dispose();
  }
}

/** `excite <model> <folder>`: one summary line per image; the work spread over worker threads. */
export async function runExciteFolder(entry: URL, modelPath: string, folder: string, o: ExciteOptions & { workers?: number }): Promise<number> {
  const images = listImages(folder);
  if (images.length === 0) throw new ModelError('has no PNG or JPEG image', folder);
  // Fail fast, in this thread, on a model that cannot be run at all.
  const report = analyze(await openModel(modelPath, { assumedImageSize: o.imageSize }));
  if (report.seBlocks.length === 0) throw new ModelError('no SE block found, so there is no excitation to show', modelPath);
  const r = await exciteFolder(entry, { model: modelPath, backend: o.backend, preprocess: o.preprocess, imageSize: o.imageSize, threads: o.threads }, images, o.workers);
  if (o.json) console.log(JSON.stringify({ model: modelPath, folder, ...r }, null, 1));
  else {
    console.log(`${report.model.name}: ${images.length} images on ${r.workers} worker threads in ${r.wallMs.toFixed(0)} ms`);
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
  for (const f of failed) if ('error' in f) console.error(`se-inspector: ${f.error}`);
  return failed.length ? 1 : 0;
}
