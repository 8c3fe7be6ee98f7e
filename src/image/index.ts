/** Images in: decode (PNG, JPEG), resize as Pillow's BILINEAR, preprocess by preset. No TensorFlow.js here. */
export { decodeImage, decodeImageFile, MAX_FILE_BYTES, type DecodedImage, type RgbImage } from './decode.js';
export { lumaOf } from './gray.js';
export { MAX_PIXELS, MAX_SIDE, probeImage, type ImageFormat, type ImageHeader } from './probe.js';
export { PRESETS, rescalesInside, resolvePreset, toModelInput, type Preset, type PresetRequest } from './presets.js';
export { resizeBilinear, type ResizeOptions } from './resize.js';
