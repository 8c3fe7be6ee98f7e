/**
 * Bilinear resizing as Pillow does it (`Image.resize(size, Image.BILINEAR)`, libImaging/Resample.c),
 * which is how Keras' `load_img` and the reference inputs of this project were made.
 *
 * Pillow's BILINEAR is not plain 4-tap bilinear interpolation: when it shrinks, it widens the
 * triangle filter by the scale factor (support = scale), i.e. it ANTIALIASES, averaging over all the
 * source pixels a target pixel covers. Plain bilinear (TF's resize without antialias, OpenCV
 * INTER_LINEAR) samples only the 2x2 nearest source pixels and aliases badly at large factors
 * (512 -> 32 reads 4 of every 256 pixels). We implement Pillow's algorithm exactly, down to its
 * fixed-point arithmetic (22 fractional bits), the rounding of each pass to 8 bits, and its order
 * (horizontal pass, then vertical), so that resized pixels equal Pillow's; `antialias: false` gives
 * the plain bilinear of the same code with the filter not widened (identical when enlarging).
 */
import type { RgbImage } from './decode.js';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coeffs {
  ksize: number;
  /** [xmin, count] per output pixel. */
  bounds: Int32Array;
  /** Fixed-point weights, ksize per output pixel. */
  kk: Int32Array;
}

const triangle = (x: number) => {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
};

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter. */
function coefficients(inSize: number, outSize: number, antialias: boolean): Coeffs {
  const scale = inSize / outSize;
  const filterscale = antialias ? Math.max(scale, 1) : 1;
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = triangle((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const w = x < xmax && ww !== 0 ? k[x] / ww : 0;
      kk[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * ONE : 0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

const clip8 = (v: number) => (v >= ONE * 256 ? 255 : v <= 0 ? 0 : Math.floor(v / ONE));

function horizontal(src: RgbImage, outW: number, c: Coeffs, rowFirst: number, rows: number): RgbImage {
  const out = new Uint8Array(outW * rows * 3);
  const { ksize, bounds, kk } = c;
  for (let y = 0; y < rows; y++) {
    const rowIn = (y + rowFirst) * src.width * 3;
    const rowOut = y * outW * 3;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = bounds[xx * 2];
      const n = bounds[xx * 2 + 1];
      const kb = xx * ksize;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < n; x++) {
        const w = kk[kb + x];
        const p = rowIn + (x + xmin) * 3;
        s0 += src.data[p] * w;
        s1 += src.data[p + 1] * w;
        s2 += src.data[p + 2] * w;
      }
      const o = rowOut + xx * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { width: outW, height: rows, data: out };
}

function vertical(src: RgbImage, outH: number, c: Coeffs, shift: number): RgbImage {
  const w3 = src.width * 3;
  const out = new Uint8Array(w3 * outH);
  const { ksize, bounds, kk } = c;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2] - shift;
    const n = bounds[yy * 2 + 1];
    const kb = yy * ksize;
    for (let i = 0; i < w3; i++) {
      let s = HALF;
      for (let y = 0; y < n; y++) s += src.data[(y + ymin) * w3 + i] * kk[kb + y];
      out[yy * w3 + i] = clip8(s);
    }
  }
  return { width: src.width, height: outH, data: out };
}

export interface ResizeOptions {
  /** Widen the filter when shrinking, as Pillow does (default true). */
  antialias?: boolean;
}

/** Resizes 8-bit RGB to width x height with Pillow's BILINEAR. */
export function resizeBilinear(img: RgbImage, width: number, height: number, options: ResizeOptions = {}): RgbImage {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new RangeError(`cannot resize to ${width}x${height}`);
  const antialias = options.antialias ?? true;
  if (width === img.width && height === img.height) return { width, height, data: img.data.slice() };
  const needH = width !== img.width;
  const needV = height !== img.height;
  const ch = coefficients(img.width, width, antialias);
  const cv = coefficients(img.height, height, antialias);
  let cur = img;
  let shift = 0;
  if (needH) {
    // Only the source rows the vertical pass reads.
    const first = needV ? cv.bounds[0] : 0;
    const last = needV ? cv.bounds[(height - 1) * 2] + cv.bounds[(height - 1) * 2 + 1] : img.height;
    cur = horizontal(img, width, ch, first, last - first);
    shift = first;
  }
  if (needV) cur = vertical(cur, height, cv, shift);
  return cur;
}
