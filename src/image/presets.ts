/**
 * From 8-bit RGB pixels to the float input a model expects. The presets are those of
 * `keras.applications` (`imagenet_utils.preprocess_input` modes) plus the two plain scalings:
 *
 * | preset      | values                                        | used by                                  |
 * | ----------- | --------------------------------------------- | ---------------------------------------- |
 * | `raw`       | 0..255                                        | models that rescale inside (MobileNetV3, EfficientNet) |
 * | `unit`      | pixel / 255, 0..1                             | most hand-written models (CIFAR-10 style) |
 * | `symmetric` | pixel / 127.5 - 1, -1..1                      | Keras mode "tf" (MobileNet v1/v2, Inception, Xception) |
 * | `caffe`     | BGR, minus the ImageNet mean [103.939, 116.779, 123.68] | Keras mode "caffe" (VGG, ResNet50 v1)  |
 * | `torch`     | (pixel / 255 - mean) / std, ImageNet mean and std | Keras mode "torch" (DenseNet), PyTorch ports |
 *
 * `auto` picks `raw` when the model's first layer after the input rescales (a Keras `Rescaling`,
 * or a TF Mul/RealDiv by a pixel-range constant), else `unit`.
 */
import { imageInputIndex } from '../graph/inputs.js';
import type { ModelGraph } from '../graph/types.js';
import type { RgbImage } from './decode.js';
import { lumaOf } from './gray.js';

export type Preset = 'raw' | 'unit' | 'symmetric' | 'caffe' | 'torch';
export type PresetRequest = Preset | 'auto';
export const PRESETS: readonly Preset[] = ['raw', 'unit', 'symmetric', 'caffe', 'torch'];

const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

/** Presets that scale every value alike, so they also apply to one gray channel. */
const GRAY_PRESETS: ReadonlySet<Preset> = new Set(['raw', 'unit', 'symmetric']);

/**
 * NHWC float values of an RGB image under a preset: H*W*3, or H*W*1 for a one-channel model (the
 * image's luma, then the preset; the per-channel ImageNet presets do not apply to gray).
 */
export function toModelInput(img: RgbImage, preset: Preset, channels: 1 | 3 = 3): Float32Array {
  if (channels === 1) {
    if (!GRAY_PRESETS.has(preset)) throw new RangeError(`preprocessing preset '${preset}' subtracts per-channel RGB means; a one-channel (gray) model takes ${[...GRAY_PRESETS].join(', ')}`);
    const luma = lumaOf(img);
    const out = new Float32Array(luma.length);
    for (let i = 0; i < luma.length; i++) out[i] = preset === 'raw' ? luma[i] : preset === 'unit' ? luma[i] / 255 : Math.fround(luma[i] / 127.5) - 1;
    return out;
  }
  const src = img.data;
  const n = img.width * img.height;
  const out = new Float32Array(n * 3);
  switch (preset) {
    case 'raw':
      for (let i = 0; i < n * 3; i++) out[i] = src[i];
      break;
    case 'unit':
      for (let i = 0; i < n * 3; i++) out[i] = src[i] / 255;
      break;
    case 'symmetric':
      for (let i = 0; i < n * 3; i++) out[i] = Math.fround(src[i] / 127.5) - 1;
      break;
    case 'caffe':
      for (let i = 0; i < n; i++) {
        const p = i * 3;
        out[p] = src[p + 2] - CAFFE_MEAN_BGR[0];
        out[p + 1] = src[p + 1] - CAFFE_MEAN_BGR[1];
        out[p + 2] = src[p] - CAFFE_MEAN_BGR[2];
      }
      break;
    case 'torch':
      for (let i = 0; i < n * 3; i++) {
        const c = i % 3;
        out[i] = (src[i] / 255 - TORCH_MEAN[c]) / TORCH_STD[c];
      }
      break;
    default:
      throw new RangeError(`unknown preprocessing preset '${preset as string}'`);
  }
  return out;
}

/** Whether the model scales pixel values itself right after its input, and by which layer. */
export function rescalesInside(graph: ModelGraph): { layer: string; op: string } | undefined {
  const input = graph.inputs[imageInputIndex(graph.inputSpecs)];
  const consumers = graph.nodes.filter((n) => n.inputs.some((i) => i.node === input));
  if (consumers.length !== 1) return undefined;
  const c = consumers[0];
  if (c.op === 'Rescaling' || c.op === 'Normalization') return { layer: c.name, op: c.op };
  const s = c.attrs.scalars?.[0]?.value;
  if (s !== undefined && ((c.op === 'tf.Mul' && s > 0 && s <= 1 / 100) || (c.op === 'tf.RealDiv' && s >= 100))) return { layer: c.name, op: c.op };
  return undefined;
}

/** Resolves `auto` for a model; says why in one line. */
export function resolvePreset(requested: PresetRequest, graph: ModelGraph): { preset: Preset; reason: string } {
  if (requested !== 'auto') {
    if (!PRESETS.includes(requested)) throw new RangeError(`unknown preprocessing preset '${requested as string}' (one of auto, ${PRESETS.join(', ')})`);
    return { preset: requested, reason: `requested '${requested}'` };
  }
  const r = rescalesInside(graph);
  if (r) return { preset: 'raw', reason: `auto: pixels 0..255, the model rescales them in its first layer '${r.layer}' (${r.op.replace(/^tf\./, '')})` };
  return { preset: 'unit', reason: 'auto: pixels / 255 (0..1), the model has no rescaling layer after its input' };
}
