/**
 * The worker's `specificity` request: every image of a class folder run once (class-mean gates and
 * scores, src/analysis/specificity.ts), then once per SE block with that block's gate held at its
 * mean (src/analysis/ablation.ts). The same steps as the CLI's `specificity` and `ablate`, on one
 * thread: the extension host's worker runs one model at a time. Cancelled between images.
 */
import { compareOutputs, meanGate, rankAblations } from '../../analysis/ablation.js';
import { analyze } from '../../analysis/report.js';
import { classSpecificity } from '../../analysis/specificity.js';
import { readClassFolder } from '../../image/folders.js';
import { openModel } from '../../formats/index.js';
import { excite, loadModel } from '../../runtime/index.js';
import { CancelledError, ModelError } from '../../util/errors.js';
import type { SpecificityRequest, SpecificityResult } from './workerProtocol.js';

export async function specificityJob(r: SpecificityRequest, signal: AbortSignal, progress: (text: string, done: number, total: number) => void): Promise<SpecificityResult> {
  const t0 = performance.now();
  const graph = await openModel(r.modelPath);
  const report = analyze(graph, r.ratios);
  const blocks = report.seBlocks;
  if (blocks.length === 0) throw new ModelError('no SE block found, so there is no excitation to analyse', r.modelPath);
  const { classes, images } = readClassFolder(r.folder);
  const total = images.length * (2 + blocks.length);
  let done = 0;
  const capture = blocks.map((b) => b.gateLayer);
  const check = () => {
    if (signal.aborted) throw new CancelledError();
  };

  // 1. The gates on the backend the settings name (as `specificity` runs them).
  let loaded = await loadModel(graph, { backend: r.backend, signal, capture, threads: r.threads || undefined });
  const gates: number[][][] = [];
  try {
    for (const x of images) {
      check();
      progress(`images ${done + 1}/${images.length}`, done, total);
      const res = await excite(loaded, report, x.image, { preprocess: r.preprocess as never, signal });
      gates.push(res.blocks.map((b) => Array.from(b.excitation)));
      done++;
    }
  } finally {
    loaded.dispose();
  }
  check();
  const specificity = classSpecificity(blocks, classes, images.map((x, i) => ({ image: x.image, label: x.label, gates: gates[i] })));

  // 2. Ablation on an engine that can hold a gate (as `ablate`): the original run on it too, so a gate held at its own values changes nothing.
  loaded = await loadModel(graph, { backend: r.backend, signal, capture, overrides: true });
  try {
    const original: number[][] = [];
    const baseGates: number[][][] = [];
    for (const x of images) {
      check();
      progress(`ablation: original run ${original.length + 1}/${images.length}`, done, total);
      const res = await excite(loaded, report, x.image, { preprocess: r.preprocess as never, signal, fullOutput: true });
      original.push(res.output.values!);
      baseGates.push(res.blocks.map((b) => Array.from(b.excitation)));
      done++;
    }
    const rows = [];
    for (const [k, b] of blocks.entries()) {
      const held = new Map([[b.gateLayer, meanGate(baseGates.map((g) => g[k]))]]);
      const ablated: number[][] = [];
      for (const x of images) {
        check();
        progress(`ablation: ${b.name} held, ${ablated.length + 1}/${images.length}`, done, total);
        const res = await excite(loaded, report, x.image, { preprocess: r.preprocess as never, signal, fullOutput: true, overrideGates: held });
        ablated.push(res.output.values!);
        done++;
      }
      rows.push({ name: b.name, ...compareOutputs(original, ablated), params: b.params, macs: b.macs, paramsShare: b.share.params, macsShare: b.share.macs });
    }
    const ablation = rankAblations(rows) as typeof rows;
    return { modelName: report.model.name, classes, counts: specificity.counts, images: images.length, blocks: specificity.blocks.map(({ channelScores: _, ...b }) => b), ablation, wallMs: performance.now() - t0 };
  } finally {
    loaded.dispose();
  }
}
