/**
 * The `weightsManifest` of tfjs model.json files: validated before anything is read (paths stay
 * inside the model's folder, sizes are sane and match the shard files), decoded to float32.
 */
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { WeightStore } from '../../graph/types.js';
import { FormatError } from '../../util/errors.js';
import { own } from '../../util/lookup.js';
import { halfToFloat } from '../../util/half.js';

export interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  /** Bytes in the shard (after quantization). */
  bytes: number;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; min?: number; scale?: number };
  group: number;
  offset: number;
}

export interface Manifest {
  weights: ManifestWeight[];
  /** Resolved shard paths per group. */
  groups: string[][];
}

/** Largest model we agree to read: a few GB is already beyond any SE model people inspect. */
export const MAX_WEIGHT_BYTES = 4 * 1024 ** 3;
const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A shard path must be a plain relative path that resolves inside the model's folder. */
function shardPath(modelPath: string, p: unknown): string {
  if (typeof p !== 'string' || p === '') throw new FormatError(`weightsManifest has an empty or non-string shard path`, modelPath);
  if (/^[a-z][a-z0-9+.-]*:/i.test(p) || p.startsWith('//')) throw new FormatError(`refused weight shard path '${p}': URLs are not read`, modelPath);
  if (isAbsolute(p) || /^[\\/]/.test(p)) throw new FormatError(`refused weight shard path '${p}': absolute paths are not read`, modelPath);
  const dir = dirname(resolve(modelPath));
  const full = resolve(dir, p);
  const rel = relative(dir, full);
  if (rel.startsWith('..') || isAbsolute(rel) || p.split(/[\\/]/).includes('..'))
    throw new FormatError(`refused weight shard path '${p}': it leaves the model's folder`, modelPath);
  return full;
}

export function parseManifest(modelPath: string, manifest: unknown): Manifest {
  if (!Array.isArray(manifest)) throw new FormatError('weightsManifest is not a list of weight groups', modelPath);
  const weights: ManifestWeight[] = [];
  const groups: string[][] = [];
  let total = 0;
  const names = new Set<string>();
  manifest.forEach((g, gi) => {
    if (!isObj(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) throw new FormatError(`weightsManifest group ${gi + 1} has no paths/weights lists`, modelPath);
    groups.push(g.paths.map((p: unknown) => shardPath(modelPath, p)));
    let offset = 0;
    for (const w of g.weights) {
      if (!isObj(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) throw new FormatError(`weightsManifest group ${gi + 1} has a weight without name/shape`, modelPath);
      if (names.has(w.name)) throw new FormatError(`weight '${w.name}' is listed twice in weightsManifest`, modelPath);
      names.add(w.name);
      if (!w.shape.every((d: unknown) => Number.isInteger(d) && (d as number) >= 0))
        throw new FormatError(`weight '${w.name}' has an invalid shape ${JSON.stringify(w.shape)}`, modelPath);
      const dtype = String(w.dtype ?? 'float32');
      const q = isObj(w.quantization) ? w.quantization : undefined;
      const stored = q ? String(q.dtype) : dtype;
      const storedBytes = own(BYTES, stored);
      if (storedBytes === undefined || own(BYTES, dtype) === undefined) throw new FormatError(`weight '${w.name}' has unsupported dtype '${stored}'`, modelPath);
      // Integer quantization without its affine map would need an invented scale: refuse (tfjs' writer always stores both).
      if (q && (stored === 'uint8' || stored === 'uint16') && !(Number.isFinite(q.scale) && Number.isFinite(q.min)))
        throw new FormatError(`weight '${w.name}' is quantized to ${stored} without a numeric scale and min: its values cannot be recovered`, modelPath);
      const count = (w.shape as number[]).reduce((a, b) => a * b, 1);
      const bytes = count * storedBytes;
      total += bytes;
      if (!Number.isSafeInteger(bytes) || total > MAX_WEIGHT_BYTES)
        throw new FormatError(`refused: weights declare ${total > 1e12 ? `${(total / 1e12).toFixed(1)} TB` : `${total} bytes`} (weight '${w.name}' of shape ${JSON.stringify(w.shape)}), beyond the ${MAX_WEIGHT_BYTES / 1024 ** 3} GB limit`, modelPath);
      weights.push({ name: w.name, shape: w.shape, dtype, bytes, quantization: q as ManifestWeight['quantization'], group: gi, offset });
      offset += bytes;
    }
  });
  return { weights, groups };
}

/** Checks that every shard exists and that each group's shards hold exactly the bytes listed; returns the shard sizes per group. */
export function checkShards(modelPath: string, m: Manifest): number[][] {
  const dir = realpathSync(dirname(resolve(modelPath)));
  return m.groups.map((paths, gi) => {
    const sizes: number[] = [];
    let size = 0;
    for (const p of paths) {
      let st;
      try {
        st = statSync(p);
      } catch {
        throw new FormatError(`weight shard '${relative(dirname(resolve(modelPath)), p)}' listed in weightsManifest is missing`, modelPath);
      }
      const real = realpathSync(p);
      if (!(real + sep).startsWith(dir + sep)) throw new FormatError(`refused weight shard '${p}': it links outside the model's folder`, modelPath);
      if (!st.isFile()) throw new FormatError(`weight shard '${p}' is not a file`, modelPath);
      sizes.push(st.size);
      size += st.size;
    }
    const need = m.weights.filter((w) => w.group === gi).reduce((a, w) => a + w.bytes, 0);
    if (size < need) throw new FormatError(`weight shards of group ${gi + 1} hold ${size} bytes, but weightsManifest needs ${need} (a shard is short or missing)`, modelPath);
    if (size > need) throw new FormatError(`weight shards of group ${gi + 1} hold ${size} bytes, more than the ${need} weightsManifest lists (an extra or wrong shard)`, modelPath);
    return sizes;
  });
}

/**
 * The weights of the shards, each read from its files and decoded (dequantizing uint8/uint16/float16)
 * when asked: uploading a model then never holds all of its weights on the host at once.
 */
export function readWeights(modelPath: string, m: Manifest, only?: Set<string>): WeightStore {
  const sizes = checkShards(modelPath, m);
  const byName = new Map(m.weights.filter((w) => !only || only.has(w.name)).map((w) => [w.name, w]));
  return {
    get(id) {
      const w = byName.get(id);
      return w && decode(w, readRange(m.groups[w.group], sizes[w.group], w.offset, w.bytes));
    },
  };
}

/**
 * Every shard of every group, concatenated in manifest order: the `weightData` that
 * tf.io.ModelArtifacts pairs with the manifest's weight list (checked like `readWeights`).
 */
export function readShardBytes(modelPath: string, m: Manifest): ArrayBuffer {
  const sizes = checkShards(modelPath, m);
  const total = sizes.flat().reduce((a, b) => a + b, 0);
  const out = new Uint8Array(total);
  let at = 0;
  m.groups.forEach((paths, gi) => {
    const need = sizes[gi].reduce((a, b) => a + b, 0);
    out.set(readRange(paths, sizes[gi], 0, need), at);
    at += need;
  });
  return out.buffer;
}

/** Bytes [offset, offset + length) of the concatenation of `paths` (a weight may span shards). */
function readRange(paths: string[], sizes: number[], offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let start = 0;
  let done = 0;
  for (let i = 0; i < paths.length && done < length; i++) {
    const end = start + sizes[i];
    if (offset + done < end) {
      const fd = openSync(paths[i], 'r');
      try {
        const want = Math.min(length - done, end - (offset + done));
        if (readSync(fd, out, done, want, offset + done - start) !== want) throw new FormatError(`weight shard '${paths[i]}' changed while it was read`, paths[i]);
        done += want;
      } finally {
        closeSync(fd);
      }
    }
    start = end;
  }
  return out;
}

function decode(w: ManifestWeight, bytes: Uint8Array): Float32Array {
  // Float32 weights are used in place: the bytes were read for this weight alone.
  if (!w.quantization && w.dtype === 'float32' && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const copy = bytes.slice().buffer;
  const q = w.quantization;
  if (q?.dtype === 'float16') return Float32Array.from(new Uint16Array(copy), halfToFloat);
  if (q) {
    const raw = q.dtype === 'uint8' ? new Uint8Array(copy) : new Uint16Array(copy);
    const { scale, min } = q as { scale: number; min: number }; // both checked when the manifest was read
    return Float32Array.from(raw, (v) => v * scale + min);
  }
  if (w.dtype === 'int32') return Float32Array.from(new Int32Array(copy));
  if (w.dtype === 'bool') return Float32Array.from(new Uint8Array(copy));
  return new Float32Array(copy);
}
