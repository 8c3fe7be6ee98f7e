/**
 * The `weightsManifest` of tfjs model.json files: validated before anything is read (paths stay
 * inside the model's folder, sizes are sane and match the shard files), decoded to float32.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { WeightStore } from '../../graph/types.js';
import { FormatError } from '../../util/errors.js';

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
      if (!(stored in BYTES) || !(dtype in BYTES)) throw new FormatError(`weight '${w.name}' has unsupported dtype '${stored}'`, modelPath);
      const count = (w.shape as number[]).reduce((a, b) => a * b, 1);
      const bytes = count * BYTES[stored];
      total += bytes;
      if (!Number.isSafeInteger(bytes) || total > MAX_WEIGHT_BYTES)
        throw new FormatError(`refused: weights declare ${total > 1e12 ? `${(total / 1e12).toFixed(1)} TB` : `${total} bytes`} (weight '${w.name}' of shape ${JSON.stringify(w.shape)}), beyond the ${MAX_WEIGHT_BYTES / 1024 ** 3} GB limit`, modelPath);
      weights.push({ name: w.name, shape: w.shape, dtype, bytes, quantization: q as ManifestWeight['quantization'], group: gi, offset });
      offset += bytes;
    }
  });
  return { weights, groups };
}

/** Checks that every shard exists and that each group's shards hold exactly the bytes listed. */
export function checkShards(modelPath: string, m: Manifest): void {
  const dir = realpathSync(dirname(resolve(modelPath)));
  m.groups.forEach((paths, gi) => {
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
      size += st.size;
    }
    const need = m.weights.filter((w) => w.group === gi).reduce((a, w) => a + w.bytes, 0);
    if (size < need) throw new FormatError(`weight shards of group ${gi + 1} hold ${size} bytes, but weightsManifest needs ${need} (a shard is short or missing)`, modelPath);
    if (size > need) throw new FormatError(`weight shards of group ${gi + 1} hold ${size} bytes, more than the ${need} weightsManifest lists (an extra or wrong shard)`, modelPath);
  });
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Reads the shards and decodes every weight (dequantizing uint8/uint16/float16) to float32. */
export function readWeights(modelPath: string, m: Manifest, only?: Set<string>): WeightStore {
  checkShards(modelPath, m);
  const store: WeightStore = new Map();
  m.groups.forEach((paths, gi) => {
    const buf = paths.length === 1 ? readFileSync(paths[0]) : Buffer.concat(paths.map((p) => readFileSync(p)));
    for (const w of m.weights) {
      if (w.group !== gi || (only && !only.has(w.name))) continue;
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset + w.offset, w.bytes);
      store.set(w.name, decode(w, bytes));
    }
  });
  return store;
}

function decode(w: ManifestWeight, bytes: Uint8Array): Float32Array {
  // Large float32 weights are used in place (a view on the shard), so loading does not hold two copies;
  // small ones are copied, so that one kept by its user does not pin the whole shard.
  if (!w.quantization && w.dtype === 'float32' && bytes.byteOffset % 4 === 0 && bytes.byteLength >= 1 << 16)
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const copy = bytes.slice().buffer;
  const q = w.quantization;
  if (q?.dtype === 'float16') return Float32Array.from(new Uint16Array(copy), halfToFloat);
  if (q) {
    const raw = q.dtype === 'uint8' ? new Uint8Array(copy) : new Uint16Array(copy);
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    return Float32Array.from(raw, (v) => v * scale + min);
  }
  if (w.dtype === 'int32') return Float32Array.from(new Int32Array(copy));
  if (w.dtype === 'bool') return Float32Array.from(new Uint8Array(copy));
  return new Float32Array(copy);
}
