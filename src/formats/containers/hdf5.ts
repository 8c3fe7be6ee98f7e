/**
 * HDF5 through h5wasm, with the library's diagnostics turned into one-line errors.
 * Knows nothing of Keras.
 */
import { randomUUID } from 'node:crypto';
import fs, { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Attribute, File as H5File } from 'h5wasm/node';

/** h5wasm (4 MB of wasm) loads only when an HDF5 file is opened, so JSON models start fast. */
let h5: Promise<typeof import('h5wasm/node')> | undefined;
function h5wasm(): Promise<typeof import('h5wasm/node')> {
  h5 ??= import('h5wasm/node').then(async (m) => {
    await m.default.ready;
    return m;
  });
  return h5;
}
import { FormatError } from '../../util/errors.js';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function hasHdf5Signature(bytes: Uint8Array): boolean {
  return SIGNATURE.every((b, i) => bytes[i] === b);
}

/** HDF5 prints its error stack to stderr (through fs.writeSync(2)); we keep it to make a message of it instead. */
function quietly<T>(fn: () => T): { value?: T; error?: unknown; diagnostics: string } {
  const writeSync = fs.writeSync;
  const write = process.stderr.write;
  let diagnostics = '';
  const keep = (chunk: unknown) => {
    diagnostics += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
  };
  fs.writeSync = ((fd: number, buffer: unknown, ...rest: unknown[]) => {
    if (fd !== 2) return (writeSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
    keep(typeof buffer === 'string' ? buffer : Buffer.from(buffer as Uint8Array).subarray((rest[0] as number) ?? 0, rest[1] === undefined ? undefined : ((rest[0] as number) ?? 0) + (rest[1] as number)));
    return typeof buffer === 'string' ? buffer.length : ((rest[1] as number) ?? (buffer as Uint8Array).length);
  }) as typeof fs.writeSync;
  process.stderr.write = ((chunk: string | Uint8Array) => (keep(chunk), true)) as typeof process.stderr.write;
  try {
    return { value: fn(), diagnostics };
  } catch (error) {
    return { error, diagnostics };
  } finally {
    fs.writeSync = writeSync;
    process.stderr.write = write;
  }
}

export interface Hdf5Dataset {
  shape: number[];
  dtype: string;
  read(): Float32Array;
}

/** A read-only HDF5 file: attributes, child names and datasets by path. */
export class Hdf5File {
  private constructor(
    private readonly lib: typeof import('h5wasm/node'),
    private readonly file: H5File,
    private readonly label: string,
    private readonly cleanup?: () => void,
  ) {}

  /** Opens a file on disk; `label` names it in messages (e.g. `model.keras!model.weights.h5`). */
  static async open(path: string, label = path): Promise<Hdf5File> {
    const lib = await h5wasm();
    const head = readFileSync(path).subarray(0, 8);
    if (!hasHdf5Signature(head)) throw new FormatError('is not an HDF5 file (no HDF5 signature)', label);
    const r = quietly(() => new lib.File(path, 'r'));
    if (r.error || !r.value || !(r.value.file_id > 0n)) {
      const truncated = /truncated file: eof = (\d+).*stored_eof = (\d+)/.exec(r.diagnostics);
      if (truncated) throw new FormatError(`the HDF5 file is truncated (${truncated[1]} of ${truncated[2]} bytes)`, label);
      const minor = [...r.diagnostics.matchAll(/minor: (.*)/g)].map((m) => m[1].trim()).pop();
      throw new FormatError(`HDF5 cannot open the file${minor ? ` (${minor.toLowerCase()})` : ''}`, label);
    }
    return new Hdf5File(lib, r.value, label);
  }

  /** Opens HDF5 bytes (e.g. from inside a zip) through a private temporary file. */
  static async fromBytes(bytes: Uint8Array, label: string): Promise<Hdf5File> {
    const path = join(tmpdir(), `se-inspector-${randomUUID()}.h5`);
    writeFileSync(path, bytes);
    try {
      const f = await Hdf5File.open(path, label);
      return new Hdf5File(f.lib, f.file, label, () => rmSync(path, { force: true }));
    } catch (e) {
      rmSync(path, { force: true });
      throw e;
    }
  }

  attr(path: string, name: string): unknown {
    const obj = path === '' ? this.file : this.file.get(path);
    const a = obj && 'attrs' in obj ? (obj.attrs as Record<string, Attribute>)[name] : undefined;
    return a ? this.guard(() => a.value, `attribute ${name}`) : undefined;
  }

  has(path: string): boolean {
    return this.guard(() => this.file.get(path) != null, path);
  }

  keys(path: string): string[] {
    const g = this.file.get(path);
    return g instanceof this.lib.Group ? g.keys() : [];
  }

  dataset(path: string): Hdf5Dataset | undefined {
    const d = this.file.get(path);
    if (!(d instanceof this.lib.Dataset)) return undefined;
    const label = this.label;
    return {
      shape: (d.shape ?? []).map(Number),
      dtype: String(d.dtype),
      read: () => {
        const r = quietly(() => d.value);
        // A scalar may be 0 (or 0n): only a failed or absent read is an error.
        if (r.error || r.value === undefined || r.value === null) throw new FormatError(`cannot read dataset '${path}' (the file may be corrupt)`, label);
        const v = r.value as unknown;
        if (v instanceof Float32Array) return v;
        // int64 datasets (Keras 3 Normalization's `count`) come as BigInt64Array, or a bigint when scalar.
        if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Float32Array.from(v, (x) => Number(x));
        if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Float32Array.from(v as unknown as ArrayLike<number>);
        if (typeof v === 'number') return Float32Array.of(v);
        if (typeof v === 'bigint') return Float32Array.of(Number(v));
        throw new FormatError(`dataset '${path}' is not numeric (${String(d.dtype)})`, label);
      },
    };
  }

  close(): void {
    quietly(() => this.file.close());
    this.cleanup?.();
  }

  private guard<T>(fn: () => T, what: string): T {
    const r = quietly(fn);
    if (r.error) throw new FormatError(`cannot read ${what} (the HDF5 file may be corrupt)`, this.label);
    return r.value as T;
  }
}
