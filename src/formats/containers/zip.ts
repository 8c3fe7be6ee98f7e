/**
 * Zip archives through fflate, refusing archives that would expand beyond sane limits, entries we
 * cannot decode (named by what they are), and entries whose bytes fail their CRC-32 (Python's
 * zipfile, and so Keras, refuses those too).
 */
import { crc32 } from 'node:zlib';
import { unzipSync, type Unzipped } from 'fflate';
import { FormatError } from '../../util/errors.js';

export interface ZipLimits {
  /** Largest total of declared uncompressed sizes. */
  maxTotalBytes: number;
  /** Largest ratio of uncompressed to compressed size of an entry (zip bombs reach thousands). */
  maxRatio: number;
}

const DEFAULT_LIMITS: ZipLimits = { maxTotalBytes: 4 * 1024 ** 3, maxRatio: 1000 };

export function hasZipSignature(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** What the central directory says of one entry. */
interface CentralEntry {
  name: string;
  /** General-purpose flags: bit 0 = encrypted. */
  flags: number;
  method: number;
  crc: number;
}

/** Compression methods of the zip spec (APPNOTE 4.4.5) that fflate does not decode, by name. */
const UNSUPPORTED_METHODS = new Map([[1, 'Shrink'], [6, 'Implode'], [9, 'Deflate64'], [12, 'bzip2'], [14, 'LZMA'], [93, 'Zstandard'], [95, 'XZ'], [98, 'PPMd'], [99, 'AES encryption']]);

/** The central directory's entries (end record searched in the last 64 KiB + 22 bytes). */
function centralDirectory(bytes: Uint8Array, label: string): Map<string, CentralEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new FormatError('the zip archive is corrupt or truncated (it has no end of central directory record)', label);
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries = new Map<string, CentralEntry>();
  for (let k = 0; k < count; k++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw new FormatError('the zip archive is corrupt (its central directory is damaged)', label);
    const nameLength = view.getUint16(at + 28, true);
    const name = Buffer.from(bytes.subarray(at + 46, at + 46 + nameLength)).toString('utf8');
    entries.set(name, { name, flags: view.getUint16(at + 8, true), method: view.getUint16(at + 10, true), crc: view.getUint32(at + 16, true) });
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return entries;
}

/** Unzips the entries `wanted` accepts, after checking the declared sizes of all of them; checks their CRC-32. */
export function unzipEntries(bytes: Uint8Array, label: string, wanted: (name: string) => boolean, limits = DEFAULT_LIMITS): Unzipped {
  if (!hasZipSignature(bytes)) throw new FormatError('is not a zip archive (a .keras file is one)', label);
  const directory = centralDirectory(bytes, label);
  for (const e of directory.values()) {
    if (!wanted(e.name)) continue;
    if (e.flags & 1) throw new FormatError(`entry '${e.name}' is encrypted (Keras never encrypts a .keras archive)`, label);
    const method = UNSUPPORTED_METHODS.get(e.method);
    if (method || (e.method !== 0 && e.method !== 8)) throw new FormatError(`entry '${e.name}' is compressed with ${method ?? `method ${e.method}`}; Keras writes stored or deflated entries, which are what this reader reads`, label);
  }
  let total = 0;
  let files: Unzipped;
  try {
    files = unzipSync(bytes, {
      filter(file) {
        if (!wanted(file.name)) return false;
        total += file.originalSize;
        if (total > limits.maxTotalBytes)
          throw new FormatError(`refused: its entries declare ${total} bytes uncompressed, more than the limit of ${limits.maxTotalBytes}`, label);
        if (file.originalSize > Math.max(1 << 20, file.size * limits.maxRatio))
          throw new FormatError(`refused: entry '${file.name}' expands ${file.size} bytes to ${file.originalSize} (a zip bomb?)`, label);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`the zip archive is corrupt or truncated (${(e as Error).message})`, label);
  }
  for (const [name, data] of Object.entries(files)) {
    const stored = directory.get(name)?.crc;
    const actual = crc32(data) >>> 0;
    if (stored !== undefined && stored !== actual)
      throw new FormatError(`entry '${name}' fails its CRC-32 check (stored ${stored.toString(16).padStart(8, '0')}, computed ${actual.toString(16).padStart(8, '0')}): the archive is corrupt`, label);
  }
  return files;
}
