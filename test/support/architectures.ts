/** Reference architectures of se-reference.md, built as Keras 3 configs. */
import { KerasBuilder, seBlock, type Tensor } from './kerasBuilder.js';

/** The CIFAR-10 network of se-reference.md (three stages of three conv units), optionally with SE (r) after each unit. */
export function cifar10(r?: number): Record<string, unknown> {
  const b = new KerasBuilder(r ? 'cifar10_se' : 'cifar10');
  let x: Tensor = b.input([null, 32, 32, 3]);
  [64, 128, 256].forEach((filters, stage) => {
    if (stage > 0) x = b.add('AveragePooling2D', { pool_size: [2, 2], strides: [2, 2], padding: 'valid' }, x);
    for (let i = 0; i < 3; i++) {
      x = b.add('Conv2D', { filters, kernel_size: [3, 3], strides: [1, 1], padding: 'same', use_bias: true, activation: 'linear' }, x);
      x = b.add('BatchNormalization', { axis: -1, epsilon: 1e-3, center: true, scale: true }, x);
      x = b.add('Activation', { activation: 'relu' }, x);
      if (r) x = seBlock(b, x, filters, r);
    }
  });
  x = b.add('GlobalAveragePooling2D', {}, x);
  x = b.add('Dense', { units: 10, activation: 'softmax' }, x);
  return b.toJSON(x);
}

export interface ResNetOptions {
  /** SE reduction ratio; omitted = plain ResNet-50. */
  r?: number;
  /** 'keras': keras.applications ResNet50 (convs with bias); 'torchvision': bias-free convs as in torchvision. */
  layout?: 'keras' | 'torchvision';
  /** Where SE sits: the SENet integration variants. */
  variant?: 'standard' | 'PRE' | 'POST' | 'Identity';
  imageSize?: number;
}

/** ResNet-50 v1 (stride in the first 1x1 conv, the original and keras.applications layout), optionally SE-ResNet-50. */
export function resnet50(o: ResNetOptions = {}): Record<string, unknown> {
  const bias = (o.layout ?? 'keras') === 'keras';
  const size = o.imageSize ?? 224;
  const b = new KerasBuilder(o.r ? 'se_resnet50' : 'resnet50');
  const conv = (x: Tensor, filters: number, k: number, s: number, name: string, padding = 'valid') =>
    b.add('Conv2D', { filters, kernel_size: [k, k], strides: [s, s], padding, use_bias: bias, activation: 'linear' }, x, name);
  const bn = (x: Tensor, name: string) => b.add('BatchNormalization', { axis: -1, epsilon: 1.001e-5, center: true, scale: true }, x, name);
  const relu = (x: Tensor, name: string) => b.add('Activation', { activation: 'relu' }, x, name);
  const se = (x: Tensor, c: number, name: string) => (o.r ? seBlock(b, x, c, o.r, { prefix: `${name}_se` }) : x);

  let x: Tensor = b.input([null, size, size, 3], 'input_1');
  x = b.add('ZeroPadding2D', { padding: [[3, 3], [3, 3]] }, x, 'conv1_pad');
  x = relu(bn(conv(x, 64, 7, 2, 'conv1_conv'), 'conv1_bn'), 'conv1_relu');
  x = b.add('ZeroPadding2D', { padding: [[1, 1], [1, 1]] }, x, 'pool1_pad');
  x = b.add('MaxPooling2D', { pool_size: [3, 3], strides: [2, 2], padding: 'valid' }, x, 'pool1_pool');
  const stages: [number, number, number][] = [[64, 3, 1], [128, 4, 2], [256, 6, 2], [512, 3, 2]];
  stages.forEach(([filters, blocks, stride], si) => {
    for (let i = 0; i < blocks; i++) {
      const name = `conv${si + 2}_block${i + 1}`;
      const s = i === 0 ? stride : 1;
      let input = x;
      if (o.variant === 'PRE') input = se(input, i === 0 ? (si === 0 ? 64 : filters * 2) : filters * 4, `${name}_pre`);
      const shortcut = i === 0 ? bn(conv(input, 4 * filters, 1, s, `${name}_0_conv`), `${name}_0_bn`) : input;
      let y = relu(bn(conv(input, filters, 1, s, `${name}_1_conv`), `${name}_1_bn`), `${name}_1_relu`);
      y = relu(bn(conv(y, filters, 3, 1, `${name}_2_conv`, 'same'), `${name}_2_bn`), `${name}_2_relu`);
      y = bn(conv(y, 4 * filters, 1, 1, `${name}_3_conv`), `${name}_3_bn`);
      if (!o.variant || o.variant === 'standard') y = se(y, 4 * filters, name);
      const other = o.variant === 'Identity' && i > 0 ? se(shortcut, 4 * filters, `${name}_id`) : shortcut;
      x = b.add('Add', {}, [other, y], `${name}_add`);
      if (o.variant === 'POST') x = se(x, 4 * filters, `${name}_post`);
      x = relu(x, `${name}_out`);
    }
  });
  x = b.add('GlobalAveragePooling2D', {}, x, 'avg_pool');
  x = b.add('Dense', { units: 1000, activation: 'softmax' }, x, 'predictions');
  return b.toJSON(x);
}
