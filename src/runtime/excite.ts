/**
 * One image in, every SE block's excitation out, from ONE forward pass: the gate tensors of all
 * blocks (`seBlocks[].gateLayer`) are kept from the same run that computes the output.
 */
import type { InspectReport } from '../analysis/report.js';
import type { ModelGraph } from '../graph/types.js';
import { decodeImageFile, type RgbImage } from '../image/decode.js';
import { resolvePreset, toModelInput, type Preset, type PresetRequest } from '../image/presets.js';
import { resizeBilinear } from '../image/resize.js';
import { RuntimeError } from '../util/errors.js';
import { feedDtype, imageInputSpec, type InputUse } from './inputs.js';
import { loadModel, type HostTensor, type InputTensor, type LoadedModel, type LoadOptions } from './model.js';

export { loadModel, type HostTensor, type LoadedModel, type LoadOptions } from './model.js';

/** An image file path, decoded RGB pixels, or a ready model input tensor (used as is). */
export type ExciteInput = string | RgbImage | InputTensor;

export interface ExciteOptions {
  /** How pixels become model input (default `auto`); ignored for a tensor input. */
  preprocess?: PresetRequest;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Gate layers held at these values (C each) instead of computed: `ablate`'s runs. */
  overrideGates?: ReadonlyMap<string, Float32Array>;
  /** Also return every output value (`output.values`), not only the top 5. */
  fullOutput?: boolean;
  /** Class names by output index (src/labels): each top-5 entry gets its `label`. */
  labels?: readonly string[];
}

export interface BlockStats {
  min: number;
  mean: number;
  max: number;
  /** Population standard deviation. */
  std: number;
}

export interface BlockExcitation {
  name: string;
  gateLayer: string;
  scaleLayer: string;
  channels: number;
  /** The C gate values (NaN/Infinity kept as they are: see `nonFinite`). */
  excitation: number[];
  /** Over the finite values only; all NaN when none is finite. */
  stats: BlockStats;
  /** How many gate values are NaN or infinite (never drawn as if they were values). */
  nonFinite: number;
}

export interface ExciteResult {
  backend: string;
  backendReason: string;
  /** The preset that ran, or `none` for a tensor input. */
  preprocess: Preset | 'none';
  preprocessReason: string;
  /** The shape fed to the model, [1, H, W, C]. */
  inputShape: number[];
  /** The image's own size, for an image input. */
  imageSize?: { width: number; height: number };
  /** What each model input got: the image, zeros, or a value given with `--input` (inputs.ts). */
  inputs: InputUse[];
  blocks: BlockExcitation[];
  output: { shape: number[]; top5: { index: number; value: number; label?: string }[]; nonFinite: number; values?: number[] };
  /** Milliseconds: loading the model (when excite loaded it), preparing the input, the forward pass. */
  timings: { load: number; preprocess: number; run: number };
}

export function blockStats(values: ArrayLike<number>): { stats: BlockStats; nonFinite: number } {
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return { stats: { min: NaN, mean: NaN, max: NaN, std: NaN }, nonFinite };
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) sq += (values[i] - mean) ** 2;
  return { stats: { min, mean, max, std: Math.sqrt(sq / n) }, nonFinite };
}

function topK(values: Float32Array, k: number): { index: number; value: number }[] {
  const best: { index: number; value: number }[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (best.length < k || v > best[best.length - 1].value) {
      best.push({ index: i, value: v });
      best.sort((a, b) => b.value - a.value);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

const isTensor = (x: ExciteInput): x is InputTensor => typeof x === 'object' && 'shape' in x && (x.data instanceof Float32Array || x.data instanceof Int32Array);

/**
 * The model input for an image: resized to the image input's size, preprocessed by preset. An
 * image input of integer dtype (MoveNet, SSD detectors) takes the pixels themselves, 0..255.
 */
export function imageInput(graph: ModelGraph, image: string | RgbImage, preprocess: PresetRequest = 'auto'): { tensor: InputTensor; preset: Preset; reason: string; imageSize: { width: number; height: number } } {
  const shape = graph.inputShape;
  if (shape.length !== 4) throw new RuntimeError(`the model's input has shape ${JSON.stringify(shape)}, not an image [N, H, W, C]`, graph.path);
  const [, h, w, c] = shape;
  if (typeof h !== 'number' || typeof w !== 'number') throw new RuntimeError(`the model's input size ${JSON.stringify(shape)} is open`, graph.path);
  if (c !== 3 && c !== 1) throw new RuntimeError(`the model takes ${c ?? 'an unknown number of'} channels per pixel; image runs need 3 (RGB) or 1 (gray)`, graph.path);
  const img = typeof image === 'string' ? decodeImageFile(image) : image;
  const resized = resizeBilinear(img, w, h);
  const imageSize = { width: img.width, height: img.height };
  const spec = imageInputSpec(graph);
  if (feedDtype(graph, spec) === 'int32')
    return { tensor: { data: Int32Array.from(resized.data), shape: [1, h, w, 3] }, preset: 'raw', reason: `the image input '${spec.name}' takes integer pixels (${spec.dtype}): 0..255${preprocess !== 'auto' && preprocess !== 'raw' ? `, not ${preprocess}` : ''}`, imageSize };
  const { preset, reason } = resolvePreset(preprocess, graph);
  let data: Float32Array;
  try {
    data = toModelInput(resized, preset, c);
  } catch (e) {
    throw new RuntimeError((e as Error).message, graph.path);
  }
  return { tensor: { data, shape: [1, h, w, c] }, preset, reason: c === 1 ? `${reason}; gray model: the image's luma (ITU-R 601)` : reason, imageSize };
}

/**
 * Runs `input` through `model` and returns the excitation of every SE block of `report` (which
 * must be the analysis of the same graph), with the output's top 5.
 */
export async function excite(model: LoadedModel, report: InspectReport, input: ExciteInput, options: ExciteOptions = {}): Promise<ExciteResult> {
  const graph = model.graph;
  const names = new Set(graph.nodes.map((n) => n.name));
  const missing = report.seBlocks.find((b) => !names.has(b.gateLayer));
  if (missing) throw new RuntimeError(`the report does not belong to this model: it has no layer '${missing.gateLayer}'`, graph.path);

  const t0 = performance.now();
  let tensor: InputTensor;
  let preprocess: Preset | 'none' = 'none';
  let preprocessReason = 'a model input tensor was given: no preprocessing';
  let imageSize: ExciteResult['imageSize'];
  if (isTensor(input)) {
    tensor = input;
  } else {
    const r = imageInput(graph, input, options.preprocess ?? 'auto');
    ({ tensor, preset: preprocess, reason: preprocessReason, imageSize } = r);
  }
  const t1 = performance.now();

  const gates = report.seBlocks.map((b) => b.gateLayer);
  const run = await model.run(tensor, { capture: gates, signal: options.signal, onProgress: options.onProgress, overrideGates: options.overrideGates });
  const blocks = report.seBlocks.map((b): BlockExcitation => {
    const t = run.captured.get(b.gateLayer)!;
    if (t.data.length % b.channels !== 0) throw new RuntimeError(`gate '${b.gateLayer}' of block '${b.name}' has shape [${t.shape.join(', ')}], not ${b.channels} values per image`, graph.path);
    const values = t.data.subarray(0, b.channels); // image 0 of the batch
    const { stats, nonFinite } = blockStats(values);
    return { name: b.name, gateLayer: b.gateLayer, scaleLayer: b.scaleLayer, channels: b.channels, excitation: Array.from(values), stats, nonFinite };
  });
  const out = run.outputs[0];
  return {
    backend: model.backend.name,
    backendReason: model.backend.reason,
    preprocess,
    preprocessReason,
    inputShape: tensor.shape,
    imageSize,
    inputs: run.inputs,
    blocks,
    output: { shape: out.shape, top5: topK(out.data, 5).map((t) => (options.labels?.[t.index] ? { ...t, label: options.labels[t.index] } : t)), nonFinite: blockStats(out.data).nonFinite, ...(options.fullOutput ? { values: Array.from(out.data) } : {}) },
    timings: { load: model.timings.total, preprocess: t1 - t0, run: run.ms },
  };
}

/** Loads the model, runs one input, unloads: for one-off CLI runs. */
export async function exciteOnce(graph: ModelGraph, report: InspectReport, input: ExciteInput, options: ExciteOptions & LoadOptions = {}): Promise<ExciteResult> {
  const model = await loadModel(graph, { backend: options.backend, signal: options.signal, threads: options.threads, inputs: options.inputs, capture: report.seBlocks.map((b) => b.gateLayer) });
  try {
    return await excite(model, report, input, options);
  } finally {
    model.dispose();
  }
}
