/**
 * `npm run train-demo`: trains the demo SE network on Fashion-MNIST with TensorFlow.js on the CPU
 * (wasm backend), seeded end to end, and writes it as a TensorFlow.js layers model to
 * demo/model/, with 10 held-out sample images per class in demo/samples/<label>-<class>/.
 * Then measure it with `npm run eval-demo`.
 *
 * The network (SE-CNN, 6 SE blocks): Rescaling(1/255) -> three stages of two conv units
 * (16, 32, 64 channels; the first unit of each stage has stride 2: 28 -> 14 -> 7 -> 4), each unit
 * Conv 3x3 -> BatchNorm -> ReLU -> SE (GAP -> Reshape -> Dense(C/4, relu) -> Dense(C, sigmoid) ->
 * Multiply), then GAP -> Dense(10, softmax).
 *
 * Reproducible: weights drawn by seeded initializers, batches by a seeded shuffle, no dropout; every
 * kernel runs sequentially on one thread. Options: --seed N (1), --per-class N (1000 training images
 * per class), --epochs N (4), --out DIR (demo).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { PNG } from 'pngjs';
import { CLASS_NAMES, classFolder, loadDataset, PIXELS, rng, shuffle, SIDE } from './demo/fashionMnist.js';
import { registerWasmConvFilterGrad } from './demo/wasmConvGrad.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    'per-class': { type: 'string', default: '1000' },
    epochs: { type: 'string', default: '4' },
    out: { type: 'string', default: 'demo' },
    cache: { type: 'string', default: '.cache/fashion-mnist' },
  },
});
const seed = Number(values.seed);
const perClass = Number(values['per-class']);
const epochs = Number(values.epochs);
const SAMPLES_PER_CLASS = 10;
const BATCH = 64;
const RATIO = 4;

registerWasmConvFilterGrad();
await tf.setBackend('wasm');
await tf.ready();

const data = loadDataset(values.cache!);
const rand = rng(seed);
const train = shuffle(
  data.flatMap((c) => shuffle(c.train, rand).slice(0, perClass).map((img) => ({ img, label: c.label }))),
  rand,
);
console.error(`training on ${train.length} images (${perClass} per class), ${epochs} epochs, seed ${seed}`);

// Seeded initializers: every layer draws from its own seed, derived from the run's seed.
let layerSeed = seed * 1000;
const init = () => tfl.initializers.glorotUniform({ seed: ++layerSeed });

function buildModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [SIDE, SIDE, 1], name: 'image' });
  let x = tfl.layers.rescaling({ scale: 1 / 255, name: 'rescale' }).apply(input) as tfl.SymbolicTensor;
  [16, 32, 64].forEach((c, stage) => {
    for (let unit = 1; unit <= 2; unit++) {
      const p = `stage${stage + 1}_unit${unit}`;
      x = tfl.layers.conv2d({ filters: c, kernelSize: 3, strides: unit === 1 ? 2 : 1, padding: 'same', useBias: false, kernelInitializer: init(), name: `${p}_conv` }).apply(x) as tfl.SymbolicTensor;
      x = tfl.layers.batchNormalization({ name: `${p}_bn` }).apply(x) as tfl.SymbolicTensor;
      x = tfl.layers.activation({ activation: 'relu', name: `${p}_relu` }).apply(x) as tfl.SymbolicTensor;
      let s = tfl.layers.globalAveragePooling2d({ name: `${p}_se_squeeze` }).apply(x) as tfl.SymbolicTensor;
      s = tfl.layers.reshape({ targetShape: [1, 1, c], name: `${p}_se_reshape` }).apply(s) as tfl.SymbolicTensor;
      s = tfl.layers.dense({ units: c / RATIO, activation: 'relu', kernelInitializer: init(), name: `${p}_se_reduce` }).apply(s) as tfl.SymbolicTensor;
      s = tfl.layers.dense({ units: c, activation: 'sigmoid', kernelInitializer: init(), name: `${p}_se_expand` }).apply(s) as tfl.SymbolicTensor;
      x = tfl.layers.multiply({ name: `${p}_se_scale` }).apply([x, s]) as tfl.SymbolicTensor;
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(), name: 'predictions' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'fashion_se_cnn' });
}

function batchTensors(items: { img: Uint8Array; label: number }[]): { xs: tf.Tensor; ys: tf.Tensor } {
  const x = new Float32Array(items.length * PIXELS);
  items.forEach((it, i) => x.set(it.img, i * PIXELS));
  const y = new Float32Array(items.length * 10);
  items.forEach((it, i) => (y[i * 10 + it.label] = 1));
  return { xs: tf.tensor4d(x, [items.length, SIDE, SIDE, 1]), ys: tf.tensor2d(y, [items.length, 10]) };
}

const model = buildModel();
model.compile({ optimizer: tf.train.adam(0.002), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
console.error(`model: ${model.countParams()} parameters`);

const t0 = performance.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  const order = shuffle(train, rand);
  let loss = 0;
  let acc = 0;
  let batches = 0;
  for (let i = 0; i < order.length; i += BATCH) {
    const { xs, ys } = batchTensors(order.slice(i, i + BATCH));
    const [l, a] = (await model.trainOnBatch(xs, ys)) as number[];
    xs.dispose();
    ys.dispose();
    loss += l;
    acc += a;
    batches++;
    if (batches % 20 === 0) process.stderr.write(`\repoch ${epoch}/${epochs}: ${i + BATCH}/${order.length} loss ${(loss / batches).toFixed(4)} acc ${(acc / batches).toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  process.stderr.write(`\repoch ${epoch}/${epochs}: loss ${(loss / batches).toFixed(4)} train acc ${(acc / batches).toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)          \n`);
}
const trainSeconds = (performance.now() - t0) / 1000;

// Held-out accuracy as tfjs-layers computes it (eval-demo measures the saved files with our runtime).
let correct = 0;
let tested = 0;
for (const c of data)
  for (let i = 0; i < c.test.length; i += 250) {
    const { xs } = batchTensors(c.test.slice(i, i + 250).map((img) => ({ img, label: c.label })));
    const pred = tf.tidy(() => tf.argMax(model.predict(xs) as tf.Tensor, 1));
    const labels = await pred.data();
    correct += labels.filter((l) => l === c.label).length;
    tested += labels.length;
    xs.dispose();
    pred.dispose();
  }
console.error(`held-out accuracy (tfjs-layers predict): ${((100 * correct) / tested).toFixed(2)} % of ${tested}`);

// Save as a TensorFlow.js layers model: model.json + one shard, as tfjs' own file saver writes them.
const modelDir = join(values.out!, 'model');
rmSync(modelDir, { recursive: true, force: true });
mkdirSync(modelDir, { recursive: true });
await model.save(
  tf.io.withSaveHandler(async (artifacts) => {
    const shard = 'group1-shard1of1.bin';
    writeFileSync(join(modelDir, shard), Buffer.from(artifacts.weightData as ArrayBuffer));
    const json = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers} (se-inspector scripts/train-demo.ts, seed ${seed}, ${perClass} images per class, ${epochs} epochs)`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [shard], weights: artifacts.weightSpecs }],
      // the class names, so that top-5 lists say 'ankle-boot', not '9'
      userDefinedMetadata: { classNames: CLASS_NAMES },
    };
    writeFileSync(join(modelDir, 'model.json'), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }),
);

// Samples: the first 10 held-out images of each class, as 8-bit grayscale PNGs.
const samplesDir = join(values.out!, 'samples');
rmSync(samplesDir, { recursive: true, force: true });
for (const c of data) {
  const dir = join(samplesDir, classFolder(c.label));
  mkdirSync(dir, { recursive: true });
  c.test.slice(0, SAMPLES_PER_CLASS).forEach((img, i) => {
    const png = new PNG({ width: SIDE, height: SIDE, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
    png.data = Buffer.from(img);
    writeFileSync(join(dir, `${String(i + 1).padStart(2, '0')}.png`), PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
  });
}
console.error(`trained in ${trainSeconds.toFixed(0)} s; wrote ${modelDir}/ and ${samplesDir}/ (${SAMPLES_PER_CLASS} held-out images per class)`);
console.error('measure it: npm run eval-demo');
