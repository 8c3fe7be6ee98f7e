/** Zip archives through fflate, refusing archives that would expand beyond sane limits. */
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

/** Unzips the entries `wanted` accepts, after checking the declared sizes of all of them. */
export function unzipEntries(bytes: Uint8Array, label: string, wanted: (name: string) => boolean, limits = DEFAULT_LIMITS): Unzipped {
  if (!hasZipSignature(bytes)) throw new FormatError('is not a zip archive (a .keras file is one)', label);
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
  return files;
}
