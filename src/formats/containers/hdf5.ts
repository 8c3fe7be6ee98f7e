/**
 * HDF5 through h5wasm, with the library's diagnostics turned into one-line errors.
 * Knows nothing of Keras.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { resolve } from 'node:path';
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
import { halfToFloat } from '../../util/half.js';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function hasHdf5Signature(bytes: Uint8Array): boolean {
  return SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * An HDF5 file that is not a file of its own: a byte range of another file (the stored
 * `model.weights.h5` of a `.keras` zip, read in place) or bytes in memory (a deflated entry).
 * HDF5 sees it under a virtual path; the sandbox serves its opens, stats and reads.
 */
type VirtualFile = { kind: 'range'; path: string; offset: number; size: number } | { kind: 'memory'; bytes: Uint8Array; size: number };
const VIRTUAL_ROOT = '/se-inspector-virtual/';
const virtualFiles = new Map<string, VirtualFile>();
/** Open descriptors of virtual files (a real fd: of the archive, or of /dev/null for memory). */
const virtualFds = new Map<number, VirtualFile>();

/**
 * What one call into HDF5 did: its value or error, what it printed, and the files outside the
 * model that it tried to open (external links, external storage, virtual datasets).
 */
interface Sandboxed<T> {
  value?: T;
  error?: unknown;
  diagnostics: string;
  refused: string[];
}

type Fs = typeof fs;
const real = { writeSync: fs.writeSync, openSync: fs.openSync, readSync: fs.readSync, fstatSync: fs.fstatSync, statSync: fs.statSync, lstatSync: fs.lstatSync, closeSync: fs.closeSync };

/** A Stats of `base` that reports `size` (HDF5 checks the file's size against its end-of-file address). */
function sized(base: fs.Stats, size: number): fs.Stats {
  return Object.assign(Object.create(Object.getPrototypeOf(base)), base, { size });
}

/**
 * Runs `fn` (a call into h5wasm) so that HDF5 can open no file but `allowed`, and prints nothing.
 *
 * h5wasm's Node build reaches the real file system (NODERAWFS: every open is `fs.openSync`), and
 * HDF5 follows external links, external storage and virtual datasets to any path they name, so
 * a model could make us read `/etc/passwd` as a bias or block forever on a FIFO. Every open is
 * checked against the file's own path before it happens; refused paths are reported.
 * HDF5 prints its error stack to stderr (through fs.writeSync(2)); we keep it to make a message of it instead.
 */
function sandboxed<T>(allowed: ReadonlySet<string>, fn: () => T): Sandboxed<T> {
  const write = process.stderr.write;
  let diagnostics = '';
  const refused: string[] = [];
  const keep = (chunk: unknown) => {
    diagnostics += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
  };
  const patch = fs as { -readonly [K in keyof Fs]: Fs[K] };
  patch.writeSync = ((fd: number, buffer: unknown, ...rest: unknown[]) => {
    if (fd !== 2) return (real.writeSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
    keep(typeof buffer === 'string' ? buffer : Buffer.from(buffer as Uint8Array).subarray((rest[0] as number) ?? 0, rest[1] === undefined ? undefined : ((rest[0] as number) ?? 0) + (rest[1] as number)));
    return typeof buffer === 'string' ? buffer.length : ((rest[1] as number) ?? (buffer as Uint8Array).length);
  }) as Fs['writeSync'];
  patch.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
    const wanted = resolve(String(path));
    if (!allowed.has(wanted)) {
      refused.push(String(path));
      const e = new Error(`EACCES: refused to open '${path}'`) as NodeJS.ErrnoException;
      e.code = 'EACCES';
      e.errno = -13;
      throw e;
    }
    const v = virtualFiles.get(wanted);
    if (!v) return (real.openSync as (...a: unknown[]) => number)(path, ...rest);
    const fd = real.openSync(v.kind === 'range' ? v.path : '/dev/null', 'r');
    virtualFds.set(fd, v);
    return fd;
  }) as Fs['openSync'];
  const stat = (orig: typeof fs.statSync) => ((path: fs.PathLike, ...rest: unknown[]) => {
    const v = virtualFiles.get(resolve(String(path)));
    if (!v) return (orig as (...a: unknown[]) => unknown)(path, ...rest);
    return sized(real.statSync(v.kind === 'range' ? v.path : '/dev/null'), v.size);
  }) as typeof fs.statSync;
  patch.statSync = stat(real.statSync);
  patch.lstatSync = stat(real.lstatSync) as Fs['lstatSync'];
  patch.fstatSync = ((fd: number, ...rest: unknown[]) => {
    const v = virtualFds.get(fd);
    const st = (real.fstatSync as (...a: unknown[]) => fs.Stats)(fd, ...rest);
    return v ? sized(st, v.size) : st;
  }) as Fs['fstatSync'];
  patch.readSync = ((fd: number, buffer: NodeJS.ArrayBufferView, offset: number, length: number, position: number | null) => {
    const v = virtualFds.get(fd);
    if (!v) return (real.readSync as (...a: unknown[]) => number)(fd, buffer, offset, length, position);
    const at = Number(position ?? 0);
    const n = Math.max(0, Math.min(length, v.size - at));
    if (v.kind === 'memory') {
      new Uint8Array(buffer.buffer, buffer.byteOffset + offset, n).set(v.bytes.subarray(at, at + n));
      return n;
    }
    return real.readSync(fd, buffer, offset, n, v.offset + at);
  }) as Fs['readSync'];
  patch.closeSync = ((fd: number) => {
    virtualFds.delete(fd);
    real.closeSync(fd);
  }) as Fs['closeSync'];
  process.stderr.write = ((chunk: string | Uint8Array) => (keep(chunk), true)) as typeof process.stderr.write;
  try {
    return { value: fn(), diagnostics, refused };
  } catch (error) {
    return { error, diagnostics, refused };
  } finally {
    Object.assign(patch, real);
    process.stderr.write = write;
  }
}

/** HDF5's own filters, which h5wasm has built in (deflate, shuffle, fletcher32, szip, nbit, scaleoffset). */
const BUILT_IN_FILTERS = new Set([1, 2, 3, 4, 5, 6]);

export interface Hdf5Dataset {
  shape: number[];
  dtype: string;
  read(): Float32Array;
}

/** The first `n` bytes of a real or virtual file. */
function readHead(path: string, n: number): Uint8Array {
  const head = new Uint8Array(n);
  const v = virtualFiles.get(path);
  if (v?.kind === 'memory') return v.bytes.subarray(0, n);
  const fd = real.openSync(v ? v.path : path, 'r');
  try {
    real.readSync(fd, head, 0, Math.min(n, v ? v.size : n), v ? v.offset : 0);
  } finally {
    real.closeSync(fd);
  }
  return head;
}

/** A read-only HDF5 file: attributes, child names and datasets by path. */
export class Hdf5File {
  private constructor(
    private readonly lib: typeof import('h5wasm/node'),
    private readonly file: H5File,
    private readonly label: string,
    /** The only file HDF5 may open: this one. */
    private readonly allowed: ReadonlySet<string>,
    private readonly cleanup?: () => void,
  ) {}

  /** Opens a file on disk; `label` names it in messages (e.g. `model.keras!model.weights.h5`). */
  static async open(path: string, label = path, cleanup?: () => void): Promise<Hdf5File> {
    const lib = await h5wasm();
    const allowed = new Set([resolve(path)]);
    if (!hasHdf5Signature(readHead(path, 8))) throw new FormatError('is not an HDF5 file (no HDF5 signature)', label);
    const r = sandboxed(allowed, () => new lib.File(path, 'r'));
    if (r.error || !r.value || !(r.value.file_id > 0n)) {
      const truncated = /truncated file: eof = (\d+).*stored_eof = (\d+)/.exec(r.diagnostics);
      if (truncated) throw new FormatError(`the HDF5 file is truncated (${truncated[1]} of ${truncated[2]} bytes)`, label);
      const minor = [...r.diagnostics.matchAll(/minor: (.*)/g)].map((m) => m[1].trim()).pop();
      throw new FormatError(`HDF5 cannot open the file${minor ? ` (${minor.toLowerCase()})` : ''}`, label);
    }
    return new Hdf5File(lib, r.value, label, allowed, cleanup);
  }

  /** Opens `size` bytes of the file `path` from `offset` as an HDF5 file, in place (a stored zip entry). */
  static openRange(path: string, offset: number, size: number, label: string): Promise<Hdf5File> {
    return Hdf5File.openVirtual({ kind: 'range', path, offset, size }, label);
  }

  /** Opens HDF5 bytes held in memory (a deflated zip entry), with no temporary file. */
  static fromBytes(bytes: Uint8Array, label: string): Promise<Hdf5File> {
    return Hdf5File.openVirtual({ kind: 'memory', bytes, size: bytes.length }, label);
  }

  private static async openVirtual(v: VirtualFile, label: string): Promise<Hdf5File> {
    const path = `${VIRTUAL_ROOT}${randomUUID()}.h5`;
    virtualFiles.set(path, v);
    try {
      return await Hdf5File.open(path, label, () => virtualFiles.delete(path));
    } catch (e) {
      virtualFiles.delete(path);
      throw e;
    }
  }

  attr(path: string, name: string): unknown {
    const obj = path === '' ? this.file : this.entity(path);
    const a = obj && 'attrs' in obj ? this.guard(() => (obj.attrs as Record<string, Attribute>)[name], `attribute ${name}`) : undefined;
    return a ? this.guard(() => a.value, `attribute ${name}`) : undefined;
  }

  has(path: string): boolean {
    return this.entity(path) != null;
  }

  keys(path: string): string[] {
    const g = this.entity(path);
    return g instanceof this.lib.Group ? this.guard(() => g.keys(), path) : [];
  }

  /** The object at `path`; a link into another file is refused, never followed. */
  private entity(path: string): ReturnType<H5File['get']> {
    const e = this.guard(() => this.file.get(path), path);
    if (e instanceof this.lib.ExternalLink) throw new FormatError(`'${path}' is a link into another file ('${e.filename}'): refused, a model is read from its own file only`, this.label);
    return e;
  }

  dataset(path: string): Hdf5Dataset | undefined {
    const d = this.entity(path);
    if (!(d instanceof this.lib.Dataset)) return undefined;
    const label = this.label;
    const meta = this.guard(() => d.metadata, path);
    if (meta.virtual_sources?.length)
      throw new FormatError(`dataset '${path}' is a virtual dataset built from other files ('${meta.virtual_sources[0].file_name}'): refused, a model is read from its own file only`, label);
    const unknownFilter = this.guard(() => d.filters, path).find((f) => !BUILT_IN_FILTERS.has(f.id));
    return {
      shape: (d.shape ?? []).map(Number),
      dtype: String(d.dtype),
      read: () => {
        // h5wasm returns garbage, not an error, when a filter is missing: refuse before reading.
        if (unknownFilter) throw new FormatError(`dataset '${path}' is compressed with the HDF5 filter '${unknownFilter.name}' (id ${unknownFilter.id}), which this reader cannot decode`, label);
        if (meta.type === 1 && meta.size === 2 && !meta.littleEndian) throw new FormatError(`dataset '${path}' is big-endian float16, which this reader does not read`, label);
        // h5wasm has no float16 type (Keras writes float16 weights of mixed-precision models): read the raw halves.
        const r = sandboxed(this.allowed, () => (meta.type === 1 && meta.size === 2 ? this.rawHalves(d.path, meta.total_size) : d.value));
        if (r.refused.length) throw new FormatError(`dataset '${path}' stores its values in another file ('${r.refused[0]}'): refused, a model is read from its own file only`, label);
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

  /** A float16 dataset's values, from its raw bytes (h5wasm refuses to convert float16 itself). */
  private rawHalves(path: string, count: number): Float32Array {
    const m = this.lib.Module as unknown as { _malloc(n: number): number; _free(p: number): void; HEAPU8: Uint8Array; get_dataset_data(file: bigint, path: string, count: null, offset: null, strides: null, ptr: bigint): number };
    const ptr = m._malloc(2 * count);
    try {
      m.get_dataset_data(this.file.file_id, path, null, null, null, BigInt(ptr));
      const halves = new Uint16Array(m.HEAPU8.slice(ptr, ptr + 2 * count).buffer);
      return Float32Array.from(halves, halfToFloat);
    } finally {
      m._free(ptr);
    }
  }

  close(): void {
    sandboxed(this.allowed, () => this.file.close());
    this.cleanup?.();
  }

  private guard<T>(fn: () => T, what: string): T {
    const r = sandboxed(this.allowed, fn);
    if (r.refused.length) throw new FormatError(`'${what}' refers to another file ('${r.refused[0]}'): refused, a model is read from its own file only`, this.label);
    if (r.error) throw new FormatError(`cannot read ${what} (the HDF5 file may be corrupt)`, this.label);
    return r.value as T;
  }
}
