/**
 * RGB to 8-bit gray for one-channel models, as Pillow's `convert("L")` does it (ITU-R 601-2 luma,
 * L = 0.299 R + 0.587 G + 0.114 B, in its fixed-point form), so a gray PNG comes back unchanged.
 */
import type { RgbImage } from './decode.js';

export function lumaOf(img: RgbImage): Uint8Array {
  const n = img.width * img.height;
  const src = img.data;
  const out = new Uint8Array(n);
  for (let i = 0, p = 0; i < n; i++, p += 3) out[i] = (src[p] * 19595 + src[p + 1] * 38470 + src[p + 2] * 7471 + 0x8000) >>> 16;
  return out;
}
