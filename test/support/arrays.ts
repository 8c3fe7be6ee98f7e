/** Float data for tests: raw float32 files (the Keras reference inputs) and seeded values. */
import { readFileSync } from 'node:fs';

/** A raw little-endian float32 file. */
export function f32File(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Deterministic values in [-1, 1) x scale (LCG). */
export function values(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}
