/**
 * Zip archives read by ranges, never whole: the central directory (zip64 included, so archives
 * and entries over 4 GB open) from the end, small entries inflated with fflate, and stored
 * entries handed out as a byte range of the file (a Keras 3 `.keras` stores its weights
 * uncompressed, so HDF5 reads them in place). Refused: entries we cannot decode (named by what
 * they are), sizes beyond sane limits, and bytes that fail their CRC-32 (Python's zipfile, and so
 * Keras, refuses those too). Knows nothing of Keras.
 */
import { crc32 } from 'node:zlib';
import { inflateSync } from 'fflate';
import { FormatError } from '../../util/errors.js';

export interface ZipLimits {
  /** Largest entry inflated into memory. */
  maxInflatedBytes: number;
  /** Largest ratio of uncompressed to compressed size of an entry (zip bombs reach thousands). */
  maxRatio: number;
}

const DEFAULT_LIMITS: ZipLimits = { maxInflatedBytes: 1024 ** 3, maxRatio: 1000 };

/** Compression methods of the zip spec (APPNOTE 4.4.5) that we do not decode, by name. */
const UNSUPPORTED_METHODS = new Map([[1, 'Shrink'], [6, 'Implode'], [9, 'Deflate64'], [12, 'bzip2'], [14, 'LZMA'], [93, 'Zstandard'], [95, 'XZ'], [98, 'PPMd'], [99, 'AES encryption']]);
const STORED = 0;
const DEFLATED = 8;
/** Chunk of CRC-32 checks over stored entries (the entry itself may be several GB). */
const CRC_CHUNK = 16 << 20;

export function hasZipSignature(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export interface ZipEntry {
  name: string;
  /** General-purpose flags: bit 0 = encrypted. */
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeader: number;
}

/** What the archive reads from: its size and reads of byte ranges. */
export interface RangeSource {
  size: number;
  read(offset: number, length: number): Uint8Array;
}

const u16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
const u64 = (b: Uint8Array, at: number) => u32(b, at) + u32(b, at + 4) * 2 ** 32;

export class ZipArchive {
  private constructor(
    private readonly source: RangeSource,
    private readonly label: string,
    readonly entries: ReadonlyMap<string, ZipEntry>,
    private readonly limits: ZipLimits,
  ) {}

  static open(source: RangeSource, label: string, limits = DEFAULT_LIMITS): ZipArchive {
    const corrupt = (what: string) => new FormatError(`the zip archive is corrupt or truncated (${what})`, label);
    const tailStart = Math.max(0, source.size - 22 - 0xffff);
    const tail = source.read(tailStart, source.size - tailStart);
    let end = -1;
    for (let i = tail.length - 22; i >= 0; i--) if (u32(tail, i) === 0x06054b50) {
      end = i;
      break;
    }
    if (end < 0) throw corrupt('it has no end of central directory record');
    let count = u16(tail, end + 10);
    let dirSize = u32(tail, end + 12);
    let dirOffset = u32(tail, end + 16);
    // zip64: the end record's fields are 0xffff... and the real ones are in the zip64 end record.
    if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
      const loc = end - 20;
      if (loc < 0 || u32(tail, loc) !== 0x07064b50) throw corrupt('its zip64 locator is missing');
      const rec = source.read(u64(tail, loc + 8), 56);
      if (rec.length < 56 || u32(rec, 0) !== 0x06064b50) throw corrupt('its zip64 end record is damaged');
      count = u64(rec, 32);
      dirSize = u64(rec, 40);
      dirOffset = u64(rec, 48);
    }
    if (dirOffset + dirSize > source.size) throw corrupt('its central directory lies past the end of the file');
    const dir = source.read(dirOffset, dirSize);
    const entries = new Map<string, ZipEntry>();
    let at = 0;
    for (let k = 0; k < count; k++) {
      if (at + 46 > dir.length || u32(dir, at) !== 0x02014b50) throw corrupt('its central directory is damaged');
      const nameLength = u16(dir, at + 28);
      const extraLength = u16(dir, at + 30);
      const name = Buffer.from(dir.subarray(at + 46, at + 46 + nameLength)).toString('utf8');
      const e: ZipEntry = { name, flags: u16(dir, at + 8), method: u16(dir, at + 10), crc: u32(dir, at + 16), compressedSize: u32(dir, at + 20), size: u32(dir, at + 24), localHeader: u32(dir, at + 42) };
      readZip64Extra(e, dir.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
      entries.set(name, e);
      at += 46 + nameLength + extraLength + u16(dir, at + 32);
    }
    return new ZipArchive(source, label, entries, limits);
  }

  /** Where the entry's data starts (after its local header, whose name and extra lengths may differ from the central ones). */
  private dataStart(e: ZipEntry): number {
    const local = this.source.read(e.localHeader, 30);
    if (local.length < 30 || u32(local, 0) !== 0x04034b50) throw new FormatError(`the zip archive is corrupt (entry '${e.name}' has no local header)`, this.label);
    const start = e.localHeader + 30 + u16(local, 26) + u16(local, 28);
    if (start + e.compressedSize > this.source.size) throw new FormatError(`the zip archive is truncated (entry '${e.name}' ends past the end of the file)`, this.label);
    return start;
  }

  private checkReadable(e: ZipEntry): void {
    if (e.flags & 1) throw new FormatError(`entry '${e.name}' is encrypted (Keras never encrypts a .keras archive)`, this.label);
    const method = UNSUPPORTED_METHODS.get(e.method);
    if (method || (e.method !== STORED && e.method !== DEFLATED)) throw new FormatError(`entry '${e.name}' is compressed with ${method ?? `method ${e.method}`}; Keras writes stored or deflated entries, which are what this reader reads`, this.label);
  }

  private checkCrc(e: ZipEntry, actual: number): void {
    if (actual !== e.crc)
      throw new FormatError(`entry '${e.name}' fails its CRC-32 check (stored ${e.crc.toString(16).padStart(8, '0')}, computed ${actual.toString(16).padStart(8, '0')}): the archive is corrupt`, this.label);
  }

  /** The entry's bytes, inflated if needed, CRC-checked; undefined when the archive has no such entry. */
  bytes(name: string): Uint8Array | undefined {
    const e = this.entries.get(name);
    if (!e) return undefined;
    this.checkReadable(e);
    if (e.size > Math.max(1 << 20, e.compressedSize * this.limits.maxRatio))
      throw new FormatError(`refused: entry '${name}' expands ${e.compressedSize} bytes to ${e.size} (a zip bomb?)`, this.label);
    if (e.size > this.limits.maxInflatedBytes) throw new FormatError(`refused: entry '${name}' declares ${e.size} bytes, more than the limit of ${this.limits.maxInflatedBytes} read into memory`, this.label);
    const raw = this.source.read(this.dataStart(e), e.compressedSize);
    let data: Uint8Array;
    try {
      data = e.method === STORED ? raw : inflateSync(raw, { out: new Uint8Array(e.size) });
    } catch (err) {
      throw new FormatError(`the zip archive is corrupt (entry '${name}' does not inflate: ${(err as Error).message})`, this.label);
    }
    if (data.length !== e.size) throw new FormatError(`the zip archive is corrupt (entry '${name}' holds ${data.length} bytes, its header says ${e.size})`, this.label);
    this.checkCrc(e, crc32(data) >>> 0);
    return data;
  }

  /**
   * A stored entry as a byte range of the archive file, its CRC-32 checked by reading it once in
   * chunks; undefined when the entry is compressed (use `bytes`) or absent.
   */
  storedRange(name: string): { offset: number; size: number } | undefined {
    const e = this.entries.get(name);
    if (!e || e.method !== STORED) return undefined;
    this.checkReadable(e);
    const offset = this.dataStart(e);
    let crc = 0;
    for (let at = 0; at < e.size; at += CRC_CHUNK) crc = crc32(this.source.read(offset + at, Math.min(CRC_CHUNK, e.size - at)), crc);
    this.checkCrc(e, crc >>> 0);
    return { offset, size: e.size };
  }
}

/** The zip64 extended information extra field (0x0001) replaces the 32-bit fields that are 0xffffffff, in order. */
function readZip64Extra(e: ZipEntry, extra: Uint8Array): void {
  for (let at = 0; at + 4 <= extra.length; at += 4 + u16(extra, at + 2)) {
    if (u16(extra, at) !== 0x0001) continue;
    let p = at + 4;
    const next = () => {
      const v = u64(extra, p);
      p += 8;
      return v;
    };
    if (e.size === 0xffffffff) e.size = next();
    if (e.compressedSize === 0xffffffff) e.compressedSize = next();
    if (e.localHeader === 0xffffffff) e.localHeader = next();
    return;
  }
}
