/**
 * Writes Keras 3 `.keras` archives in tests (config.json + model.weights.h5 in a zip), with each
 * variable in the dtype Keras saves it in: float32 arrays, int64 scalars (Normalization's `count`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import h5wasm from 'h5wasm/node';

export type KerasVar = { data: Float32Array; shape: number[] } | { int64: bigint };

/** `vars` by weights-file group (`layers/normalization`), in variable order. */
export async function writeKerasArchive(path: string, config: unknown, vars: Record<string, KerasVar[]>): Promise<string> {
  await h5wasm.ready;
  const dir = mkdtempSync(join(tmpdir(), 'se-keras-'));
  const h5Path = join(dir, 'model.weights.h5');
  const f = new h5wasm.File(h5Path, 'w');
  try {
    f.create_group('layers');
    for (const [group, list] of Object.entries(vars)) {
      f.create_group(group);
      f.create_group(`${group}/vars`);
      const g = f.get(`${group}/vars`) as InstanceType<typeof h5wasm.Group>;
      list.forEach((v, i) => {
        if ('int64' in v) g.create_dataset({ name: String(i), data: BigInt64Array.of(v.int64), shape: [], dtype: '<q' });
        else g.create_dataset({ name: String(i), data: v.data, shape: v.shape, dtype: '<f' });
      });
    }
  } finally {
    f.close();
  }
  const weights = new Uint8Array(readFileSync(h5Path));
  rmSync(dir, { recursive: true, force: true });
  const metadata = { keras_version: '3.6.0', date_saved: '2026-01-01@00:00:00' };
  writeFileSync(path, zipSync({ 'config.json': strToU8(JSON.stringify(config)), 'metadata.json': strToU8(JSON.stringify(metadata)), 'model.weights.h5': weights }));
  return path;
}
