/**
 * `bench`: load the model once, run it once to warm up, then N times, each run capturing every SE
 * gate as `excite` does (or none with `plain`), and report load, first-run, median and fastest ms,
 * FLOPs, GFLOP/s (from the fastest run) and the process's peak RSS.
 */
import { analyze } from '../analysis/report.js';
import { openModel } from '../formats/index.js';
import { imageInput, loadModel, type HostTensor } from '../runtime/excite.js';
import { ModelError } from '../util/errors.js';
import { table } from './format.js';
import { term } from '../util/terminal.js';

export interface BenchOptions {
  json: boolean;
  backend: string;
  runs: number;
  image?: string;
  preprocess: string;
  threads?: number;
  /** Capture nothing: a plain predict (for the capture overhead). */
  plain: boolean;
  imageSize?: number;
}

export interface BenchResult {
  model: string;
  backend: string;
  backendReason: string;
  threads: number;
  runs: number;
  /** Gates captured per run. */
  captured: number;
  ms: { load: number; first: number; median: number; min: number };
  flops: number;
  gflopsPerSecond: number;
  /** Bytes of the weights the model file holds (float32). */
  weightBytes: number;
  /** RSS of this process just before loading, and its peak over the whole command. */
  rssBeforeBytes: number;
  peakRssBytes: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Deterministic values in [0, 1): the same input on every backend and every run of the bench. */
function syntheticInput(shape: number[]): HostTensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  return { data, shape };
}

export async function bench(modelPath: string, o: BenchOptions): Promise<BenchResult> {
  const graph = await openModel(modelPath, { assumedImageSize: o.imageSize });
  const report = analyze(graph);
  if (!o.plain && report.seBlocks.length === 0) throw new ModelError('no SE block found, so there is no excitation to capture (use --plain)', modelPath);
  const capture = o.plain ? [] : report.seBlocks.map((b) => b.gateLayer);
  const weightBytes = graph.nodes.reduce((a, n) => a + n.weights.reduce((s, w) => s + 4 * w.shape.reduce((x, y) => x * y, 1), 0), 0);
  const rssBeforeBytes = process.memoryUsage().rss;
  const t0 = performance.now();
  const model = await loadModel(graph, { backend: o.backend as never, capture, threads: o.threads });
  const load = performance.now() - t0;
  try {
    const input = o.image ? imageInput(graph, o.image, o.preprocess as never).tensor : syntheticInput(model.concreteInputShape());
    const first = (await model.run(input, { capture })).ms;
    const times: number[] = [];
    for (let i = 0; i < o.runs; i++) times.push((await model.run(input, { capture })).ms);
    const min = Math.min(...times);
    const flops = report.totals.flops;
    return {
      model: modelPath,
      backend: model.compute.backend,
      backendReason: model.compute.reason,
      threads: model.compute.threads,
      runs: o.runs,
      captured: capture.length,
      ms: { load, first, median: median(times), min },
      flops,
      gflopsPerSecond: flops / (min / 1000) / 1e9,
      weightBytes,
      rssBeforeBytes,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    model.dispose();
  }
}

export async function runBench(modelPath: string, o: BenchOptions): Promise<number> {
  const r = await bench(modelPath, o);
  if (o.json) {
    console.log(JSON.stringify(r));
    return 0;
  }
  const f = (x: number) => x.toFixed(x < 10 ? 2 : 1);
  console.log(term`${modelPath}: backend ${r.backend} (${r.backendReason}), ${r.threads} thread${r.threads === 1 ? '' : 's'}, ${r.runs} runs after one warm-up, ${r.captured} gates captured per run`);
  console.log(
    table(
      ['load ms', 'first run ms', 'median ms', 'min ms', 'GFLOP', 'GFLOP/s', 'peak RSS MB'],
      [[f(r.ms.load), f(r.ms.first), f(r.ms.median), f(r.ms.min), (r.flops / 1e9).toFixed(3), r.gflopsPerSecond.toFixed(1), (r.peakRssBytes / 1e6).toFixed(0)]],
      new Set([0, 1, 2, 3, 4, 5, 6]),
    ),
  );
  return 0;
}
