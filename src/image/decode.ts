/**
 * PNG (pngjs) and JPEG (jpeg-js) files to 8-bit RGB. Size is checked from the header before any
 * decoding; truncated or corrupt files are an ImageError naming the file, never a partial picture.
 *
 * Like PIL's `Image.open(p).convert("RGB")` (the reference recipe): alpha is dropped (not
 * composited), gray is expanded to three equal channels, palettes are applied, 16-bit samples are
 * scaled to 8 bits, and neither EXIF orientation nor PNG gamma/ICC profiles are applied.
 */
import { readFileSync, statSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ImageError } from '../util/errors.js';
import { probeImage, type ImageFormat } from './probe.js';

/** 8-bit RGB pixels, row-major, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface DecodedImage extends RgbImage {
  format: ImageFormat;
}

/** Files beyond this are refused before reading (a 50 MP photo is well below it). */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

function rgbaToRgb(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, j = 0, k = 0; i < n; i++, j += 4, k += 3) {
    out[k] = rgba[j];
    out[k + 1] = rgba[j + 1];
    out[k + 2] = rgba[j + 2];
  }
  return out;
}

function firstLine(e: unknown): string {
  const m = String((e as Error)?.message ?? e).split('\n')[0];
  // pngjs' way of saying the data stopped early
  return /read requests waitng|unexpected end|end of (the )?(stream|file|input)/i.test(m) ? 'the data ends early (truncated)' : m;
}

/** Decodes PNG or JPEG bytes; `label` names the file in errors. */
export function decodeImage(bytes: Uint8Array, label: string): DecodedImage {
  const header = probeImage(bytes, label, true);
  const { width, height } = header;
  let rgba: Uint8Array;
  try {
    if (header.format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { checkCRC: true });
      if (png.width !== width || png.height !== height) throw new Error(`decoded ${png.width}x${png.height}, header says ${width}x${height}`);
      rgba = png.data;
    } else {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxResolutionInMP: 60, maxMemoryUsageInMB: 1024 });
      if (img.width !== width || img.height !== height) throw new Error(`decoded ${img.width}x${img.height}, header says ${width}x${height}`);
      rgba = img.data;
    }
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw new ImageError(`is a corrupt ${header.format === 'png' ? 'PNG' : 'JPEG'} (${firstLine(e)})`, label);
  }
  if (rgba.length !== width * height * 4) throw new ImageError(`is a corrupt image (decoded ${rgba.length} bytes for ${width}x${height})`, label);
  return { format: header.format, width, height, data: rgbaToRgb(rgba, width, height) };
}

/** Reads and decodes an image file. */
export function decodeImageFile(path: string): DecodedImage {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new ImageError('is not a file', path);
    size = st.size;
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw new ImageError('does not exist or cannot be read', path);
  }
  if (size === 0) throw new ImageError('is empty (0 bytes)', path);
  if (size > MAX_FILE_BYTES) throw new ImageError(`refused: ${(size / 1e6).toFixed(0)} MB is beyond the ${MAX_FILE_BYTES / 1024 ** 2} MB limit for images`, path);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw new ImageError('cannot be read', path);
  }
  return decodeImage(bytes, path);
}
