/**
 * Which input of a model takes the image. Models with several inputs (matting models with
 * recurrent states and a resize ratio, detectors with a threshold) feed the picture to one of them;
 * reports, shapes and runs all agree on this one choice.
 */
import type { Shape } from './types.js';

/** The first rank-4 input with 3 channels or an open channel count; else the first input. */
export function imageInputIndex(inputs: readonly { shape: Shape | null }[]): number {
  const i = inputs.findIndex((s) => s.shape?.length === 4 && (s.shape[3] === 3 || s.shape[3] === null));
  return i < 0 ? 0 : i;
}

/** TF dtypes read as whole numbers: such an image input takes integer pixels 0..255. */
export const INTEGER_DTYPES: ReadonlySet<string> = new Set(['int32', 'int64', 'int16', 'int8', 'uint8', 'uint16', 'uint32']);
