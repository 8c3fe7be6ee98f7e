/**
 * Recognises an image from its first bytes and reads its size from the header, without decoding,
 * and checks that the file's structure is complete (PNG chunks up to IEND, JPEG segments and
 * entropy-coded data up to EOI): decoders tend to return partial pictures of truncated files.
 */
import { ImageError } from '../util/errors.js';
import { crc32 } from 'node:zlib';
import { safeText } from '../util/terminal.js';

export type ImageFormat = 'png' | 'jpeg';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** Largest side and pixel count we decode (a 50 MP RGBA decode is already 200 MB). */
export const MAX_SIDE = 10000;
export const MAX_PIXELS = 50_000_000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const startsWith = (b: Uint8Array, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const be16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const be32 = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

/** Other formats people try, for a message that says what the file is. */
function otherFormat(b: Uint8Array): string | undefined {
  if (startsWith(b, [0x47, 0x49, 0x46, 0x38])) return 'GIF';
  if (startsWith(b, [0x42, 0x4d])) return 'BMP';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'WebP';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (ascii(b, 4, 4) === 'ftyp') return 'HEIF/AVIF';
  if (startsWith(b, [0x00, 0x00, 0x01, 0x00])) return 'ICO';
  return undefined;
}

function checkSize(width: number, height: number, label: string): void {
  if (width <= 0 || height <= 0) throw new ImageError(`declares an empty image (${width}x${height})`, label);
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS)
    throw new ImageError(`refused: ${width}x${height} (${((width * height) / 1e6).toFixed(1)} MP) is beyond the limit of ${MAX_SIDE}x${MAX_SIDE} and ${MAX_PIXELS / 1e6} MP`, label);
}

function pngHeader(b: Uint8Array, label: string): ImageHeader {
  if (b.length < 33 || ascii(b, 12, 4) !== 'IHDR') throw new ImageError('is a truncated or corrupt PNG (no IHDR header)', label);
  const width = be32(b, 16);
  const height = be32(b, 20);
  checkSize(width, height, label);
  return { format: 'png', width, height };
}

/** Walks the PNG chunks: each must fit in the file and match its CRC-32, and IEND must come. */
function checkPngStructure(b: Uint8Array, label: string): void {
  let pos = 8;
  let sawData = false;
  while (pos + 12 <= b.length) {
    const len = be32(b, pos);
    const type = ascii(b, pos + 4, 4);
    if (pos + 12 + len > b.length) break;
    // A damaged byte is corruption, not truncation: say which chunk.
    if ((crc32(b.subarray(pos + 4, pos + 8 + len)) >>> 0) !== be32(b, pos + 8 + len))
      throw new ImageError(`is a corrupt PNG: chunk ${safeText(type)} at byte ${pos} fails its CRC-32 check`, label);
    if (type === 'IDAT') sawData = true;
    if (type === 'IEND') {
      if (!sawData) throw new ImageError('is a corrupt PNG (no image data)', label);
      return;
    }
    pos += 12 + len;
  }
  throw new ImageError(`is a truncated PNG: the file ends at byte ${b.length} before the image is complete`, label);
}

const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
/** JPEG processes jpeg-js does not decode, by their SOF marker (ITU T.81 table B.1). */
const UNSUPPORTED_SOF = new Map([
  [0xc3, 'lossless'], [0xc5, 'hierarchical'], [0xc6, 'hierarchical progressive'], [0xc7, 'hierarchical lossless'],
  [0xc9, 'arithmetic-coded'], [0xca, 'arithmetic-coded progressive'], [0xcb, 'arithmetic-coded lossless'],
  [0xcd, 'hierarchical arithmetic-coded'], [0xce, 'hierarchical arithmetic-coded progressive'], [0xcf, 'hierarchical arithmetic-coded lossless'],
]);

/**
 * Walks the JPEG markers from SOI: segments must fit, entropy-coded data after each SOS is
 * skipped (stuffed 0xFF00 and restart markers), and EOI must come. Returns the frame size.
 */
function scanJpeg(b: Uint8Array, label: string, wantEnd: boolean): ImageHeader {
  const truncated = () => new ImageError(`is a truncated JPEG: the file ends at byte ${b.length} before the image is complete (no end-of-image marker)`, label);
  let pos = 2;
  let header: ImageHeader | undefined;
  while (pos < b.length) {
    if (b[pos] !== 0xff) throw new ImageError(`is a corrupt JPEG (expected a marker at byte ${pos})`, label);
    while (pos < b.length && b[pos] === 0xff) pos++; // fill bytes
    if (pos >= b.length) throw truncated();
    const marker = b[pos++];
    if (marker === 0xd9) {
      if (!header) throw new ImageError('is a corrupt JPEG (no frame header)', label);
      return header;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (pos + 2 > b.length) throw truncated();
    const len = be16(b, pos);
    if (len < 2) throw new ImageError(`is a corrupt JPEG (segment length ${len} at byte ${pos})`, label);
    if (pos + len > b.length) throw truncated();
    if (isSof(marker)) {
      if (len < 8) throw new ImageError('is a corrupt JPEG (short frame header)', label);
      const height = be16(b, pos + 3);
      const width = be16(b, pos + 5);
      if (height === 0) throw new ImageError('is a JPEG whose height is given after the image data (DNL), which is not supported', label);
      checkSize(width, height, label);
      const kind = UNSUPPORTED_SOF.get(marker);
      // A valid file in a rare coding is not corrupt: name what it is and what is read.
      if (kind) throw new ImageError(`is ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} JPEG (SOF${marker - 0xc0}), which the decoder does not support; baseline and progressive JPEGs and PNGs are read`, label);
      header = { format: 'jpeg', width, height };
      if (!wantEnd) return header;
    }
    pos += len;
    if (marker === 0xda) {
      // Entropy-coded data: runs until a marker other than a stuffed byte or a restart marker.
      while (pos < b.length) {
        if (b[pos] !== 0xff) {
          pos++;
          continue;
        }
        const next = b[pos + 1];
        if (next === undefined) break;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) pos += 2;
        else if (next === 0xff) pos++;
        else break;
      }
      if (pos >= b.length - 1) throw truncated();
    }
  }
  throw truncated();
}

/**
 * Format and size from the header; refuses what is not PNG/JPEG and images beyond the limits.
 * With `complete`, also checks that the file is whole (not truncated).
 */
export function probeImage(bytes: Uint8Array, label: string, complete = false): ImageHeader {
  if (bytes.length === 0) throw new ImageError('is empty (0 bytes)', label);
  if (startsWith(bytes, PNG_SIGNATURE)) {
    const h = pngHeader(bytes, label);
    if (complete) checkPngStructure(bytes, label);
    return h;
  }
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return scanJpeg(bytes, label, complete);
  const other = otherFormat(bytes);
  if (other) throw new ImageError(`is a ${other} image; PNG and JPEG are supported`, label);
  throw new ImageError('is not an image (PNG or JPEG expected)', label);
}
