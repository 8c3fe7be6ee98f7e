/**
 * `npm run eval-demo`: the demo model's accuracy on the held-out Fashion-MNIST images (the last
 * 1,000 of each class, which training never sees), measured with the project's own runtime on the
 * saved files (demo/model/model.json), so the number is that of the model the tool shows.
 * Also checks that every sample PNG in demo/samples gives the same input as its source pixels.
 * Options: --model PATH, --samples DIR, --cache DIR, --json.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openModel } from '../src/formats/index.js';
import { decodeImageFile } from '../src/image/index.js';
import { imageInput, initBackend, loadModel } from '../src/runtime/index.js';
import { CLASS_NAMES, classFolder, loadDataset, PIXELS, SIDE } from './demo/fashionMnist.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'demo/model/model.json' },
    samples: { type: 'string', default: 'demo/samples' },
    cache: { type: 'string', default: '.cache/fashion-mnist' },
    json: { type: 'boolean', default: false },
  },
});
const BATCH = 100;

await initBackend('wasm');
const graph = await openModel(values.model!);
const model = await loadModel(graph);
const data = loadDataset(values.cache!);
const t0 = performance.now();
const confusion = CLASS_NAMES.map(() => new Array<number>(CLASS_NAMES.length).fill(0));
for (const c of data) {
  for (let i = 0; i < c.test.length; i += BATCH) {
    const batch = c.test.slice(i, i + BATCH);
    const x = new Float32Array(batch.length * PIXELS);
    batch.forEach((img, k) => x.set(img, k * PIXELS)); // raw pixels 0..255: the model rescales itself
    const { outputs } = await model.predict({ data: x, shape: [batch.length, SIDE, SIDE, 1] });
    const p = outputs[0].data;
    for (let k = 0; k < batch.length; k++) {
      let best = 0;
      for (let j = 1; j < 10; j++) if (p[k * 10 + j] > p[k * 10 + best]) best = j;
      confusion[c.label][best]++;
    }
  }
}
const ms = performance.now() - t0;
const total = confusion.flat().reduce((a, b) => a + b, 0);
const correct = confusion.reduce((a, row, i) => a + row[i], 0);
const perClass = confusion.map((row, i) => ({ class: CLASS_NAMES[i], accuracy: row[i] / row.reduce((a, b) => a + b, 0) }));

// The sample PNGs must carry exactly the held-out pixels they were written from.
let samples = 0;
for (const c of data) {
  const dir = join(values.samples!, classFolder(c.label));
  readdirSync(dir).filter((f) => f.endsWith('.png')).sort().forEach((f, i) => {
    const png = decodeImageFile(join(dir, f));
    const fed = imageInput(graph, png, 'raw').tensor.data;
    for (let k = 0; k < PIXELS; k++) if (fed[k] !== c.test[i][k]) throw new Error(`${join(dir, f)} differs from held-out image ${i} of class ${c.label} at pixel ${k}`);
    samples++;
  });
}
model.dispose();
const result = { model: values.model, images: total, accuracy: correct / total, perClass, samplesChecked: samples, ms: Math.round(ms) };
if (values.json) console.log(JSON.stringify(result, null, 1));
else {
  console.log(`${values.model}: test accuracy ${(100 * result.accuracy).toFixed(2)} % (${correct} of ${total} held-out images, ${(ms / 1000).toFixed(1)} s)`);
  console.log(perClass.map((p) => `  ${p.class.padEnd(12)} ${(100 * p.accuracy).toFixed(1)} %`).join('\n'));
  console.log(`${samples} sample PNGs in ${values.samples} match their held-out pixels`);
}
