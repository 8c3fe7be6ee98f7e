/**
 * Class names for a model's output: a labels file the user names (text, one per line, or a JSON
 * array / {index: name} object), the labels a model's metadata carries, else ImageNet's 1000
 * classes for a 1000-class output. Pure Node (fs only).
 *
 * imagenet1000.json is data copied from @tensorflow-models/mobilenet@2.1.1
 * (dist/imagenet_classes.js, Apache-2.0, github.com/tensorflow/tfjs-models): index 0 "tench",
 * the order of keras.applications' decode_predictions (the ILSVRC-2012 synset order).
 */
import { readFileSync, statSync } from 'node:fs';
import type { ModelGraph } from '../graph/types.js';
import { FormatError } from '../util/errors.js';
import IMAGENET from './imagenet1000.json';

export const IMAGENET_LABELS: readonly string[] = IMAGENET as string[];

const MAX_LABELS_BYTES = 16 * 1024 * 1024;

/** Labels from a value: an array of strings, or an object of index → string. */
function fromJsonValue(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    // indices beyond any real output are refused rather than made into a billion-entry array
    if (!entries.length || !entries.every(([k, x]) => /^\d{1,6}$/.test(k) && (typeof x === 'string' || (Array.isArray(x) && typeof x[x.length - 1] === 'string')))) return undefined;
    const out: string[] = [];
    // {"0": "tench"} or Keras' imagenet_class_index.json {"0": ["n01440764", "tench"]}
    for (const [k, x] of entries) out[Number(k)] = typeof x === 'string' ? x : (x as string[])[(x as string[]).length - 1];
    return Array.from(out, (x) => x ?? '');
  }
  return undefined;
}

/** Reads a labels file: `.json` (array or index → name object), else text with one label per line. */
export function readLabelsFile(file: string): string[] {
  let text: string;
  try {
    if (statSync(file).size > MAX_LABELS_BYTES) throw new FormatError('is too large for a labels file (over 16 MB)', file);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`cannot read the labels file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, file);
  }
  if (/\.json$/i.test(file)) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new FormatError('is not valid JSON (a labels file is an array of names, or an object of index → name)', file);
    }
    const labels = fromJsonValue(v);
    if (!labels?.length) throw new FormatError('holds no labels: expected an array of names or an object of index → name', file);
    return labels;
  }
  const labels = text.split(/\r?\n/).map((l) => l.trim());
  while (labels.length && labels[labels.length - 1] === '') labels.pop();
  if (!labels.length) throw new FormatError('holds no labels (one class name per line)', file);
  return labels;
}

/** Labels in a tfjs model.json's userDefinedMetadata (labels / classNames / class_names), if any. */
export function metadataLabels(modelPath: string): string[] | undefined {
  if (!/\.json$/i.test(modelPath)) return undefined;
  try {
    if (statSync(modelPath).size > 64 * 1024 * 1024) return undefined;
    const json = JSON.parse(readFileSync(modelPath, 'utf8')) as { userDefinedMetadata?: Record<string, unknown> };
    const md = json.userDefinedMetadata;
    if (!md || typeof md !== 'object') return undefined;
    for (const key of ['labels', 'classNames', 'class_names']) {
      const l = fromJsonValue(md[key]);
      if (l?.length) return l;
    }
  } catch {
    /* no metadata: the model reader reports a broken file */
  }
  return undefined;
}

export interface LabelSource {
  labels: readonly string[];
  /** Where they come from, for the user: a file, "model metadata" or "ImageNet (built in)". */
  source: string;
}

/**
 * The labels for a model's output of `classes` values: the user's file first (it must match the
 * class count), then the model's metadata, then ImageNet for 1000 classes; undefined otherwise.
 */
export function resolveLabels(o: { file?: string; modelPath?: string; classes: number | null }): LabelSource | undefined {
  const fits = (l: readonly string[]) => o.classes === null || l.length === o.classes;
  if (o.file) {
    const labels = readLabelsFile(o.file);
    if (!fits(labels)) throw new FormatError(`has ${labels.length} labels but the model's output has ${o.classes} classes`, o.file);
    return { labels, source: o.file };
  }
  const md = o.modelPath ? metadataLabels(o.modelPath) : undefined;
  if (md && fits(md)) return { labels: md, source: 'model metadata' };
  if (o.classes === 1000) return { labels: IMAGENET_LABELS, source: 'ImageNet (built in)' };
  return undefined;
}

/** The number of classes of an output shape [N, K] (K), or null when it is not a plain class vector. */
export function classCount(shape: readonly (number | null)[] | null): number | null {
  if (!shape) return null;
  const k = shape[shape.length - 1];
  return typeof k === 'number' && shape.slice(1, -1).every((d) => d === 1) ? k : null;
}

/** The shape of the model's first output, as the graph knows it (null if unknown). */
export function outputShapeOf(graph: Pick<ModelGraph, 'nodes' | 'outputs'>): readonly (number | null)[] | null {
  const ref = graph.outputs[0];
  return (ref && graph.nodes.find((n) => n.name === ref.node)?.outputShape) ?? null;
}
