/** `excite <model> <imageA> --compare <imageB>`: two runs of one loaded model and their difference per SE block. */
import { differenceByBlock, rankByDifference } from '../analysis/compare.js';
import { analyze } from '../analysis/report.js';
import { openModel } from '../formats/index.js';
import { excite, loadModel } from '../runtime/excite.js';
import { ModelError } from '../util/errors.js';
import { outputLabels, type ExciteOptions } from './exciteCommand.js';
import { completeShapesByExecution } from '../runtime/executionShapes.js';
import { outputShapeOf } from '../labels/index.js';
import { table } from './format.js';
import { term } from '../util/terminal.js';

export async function runExciteCompare(modelPath: string, imageA: string, imageB: string, o: ExciteOptions): Promise<number> {
  // the same graph, inputs and labels as `excite` on each image alone, so the numbers are the same
  const graph = await completeShapesByExecution(await openModel(modelPath, { assumedImageSize: o.imageSize }), { backend: o.backend as never, inputs: o.inputs });
  const report = analyze(graph);
  if (report.seBlocks.length === 0) throw new ModelError('no SE block found, so there is no excitation to show', modelPath);
  const loaded = await loadModel(graph, { backend: o.backend as never, inputs: o.inputs, capture: report.seBlocks.map((b) => b.gateLayer), threads: o.threads });
  try {
    const labels = outputLabels(o.labels, modelPath, outputShapeOf(graph))?.labels;
    const a = await excite(loaded, report, imageA, { preprocess: o.preprocess as never, labels });
    const b = await excite(loaded, report, imageB, { preprocess: o.preprocess as never, labels });
    const values = (r: typeof a) => r.blocks.map((x) => ({ name: x.name, channels: x.channels, values: x.excitation }));
    const ranked = rankByDifference(differenceByBlock(values(a), values(b)));
    if (o.json) {
      const blocks = ranked.map((d) => ({ name: d.name, index: d.index, channels: d.channels, difference: d.difference, meanAbsDifference: d.meanAbsDifference, maxAbsDifference: d.maxAbsDifference, nonFinite: d.nonFinite }));
      console.log(JSON.stringify({ model: modelPath, a: { model: modelPath, image: imageA, ...a }, b: { model: modelPath, image: imageB, ...b }, blocks }, null, 1));
      return 0;
    }
    console.log(term`${report.model.name}: ${imageB} minus ${imageA}, ${ranked.length} SE blocks from most to least different (backend ${a.backend}; preprocess ${a.preprocess})`);
    console.log(
      table(
        ['rank', '#', 'block', 'C', 'mean |B-A|', 'max |B-A|', 'mean A', 'mean B', 'B-A (first 8 channels)'],
        ranked.map((d, i) => [
          i + 1, d.index + 1, d.name, d.channels, d.meanAbsDifference.toFixed(4), d.maxAbsDifference.toFixed(4), a.blocks[d.index].stats.mean.toFixed(4), b.blocks[d.index].stats.mean.toFixed(4),
          d.difference.slice(0, 8).map((v) => (v === null ? 'NaN' : `${v >= 0 ? '+' : ''}${v.toFixed(3)}`)).join(' ') + (d.nonFinite ? `  [${d.nonFinite} NaN/Inf]` : ''),
        ]),
        new Set([0, 1, 3, 4, 5, 6, 7]),
      ),
    );
    console.log(`top-1: A ${a.output.top5[0]?.index} (${a.output.top5[0]?.value.toFixed(4)}), B ${b.output.top5[0]?.index} (${b.output.top5[0]?.value.toFixed(4)})`);
    return a.blocks.some((x) => x.nonFinite) || b.blocks.some((x) => x.nonFinite) ? 4 : 0;
  } finally {
    loaded.dispose();
  }
}
