/** The picture a model saw: the image resized to the model's input size, as a small PNG data URL. */
import { PNG } from 'pngjs';
import type { RgbImage } from './decode.js';
import { resizeBilinear } from './resize.js';

/** Longest side of a thumbnail; a model input larger than this is shown scaled down. */
export const THUMBNAIL_MAX = 160;

/** `img` resized to width x height (the model's input, as excite resizes it), then scaled to fit THUMBNAIL_MAX. */
export function modelInputThumbnail(img: RgbImage, width: number, height: number): string {
  let seen = resizeBilinear(img, width, height);
  const scale = Math.min(1, THUMBNAIL_MAX / Math.max(width, height));
  if (scale < 1) seen = resizeBilinear(seen, Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)));
  const png = new PNG({ width: seen.width, height: seen.height });
  for (let i = 0, j = 0; i < seen.width * seen.height; i++, j += 3) {
    png.data[i * 4] = seen.data[j];
    png.data[i * 4 + 1] = seen.data[j + 1];
    png.data[i * 4 + 2] = seen.data[j + 2];
    png.data[i * 4 + 3] = 255;
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}
