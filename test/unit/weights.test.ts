// Weight shards as tfjs writes them: weights that span shard files, and quantized weights.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openModel } from '../../src/formats/index.js';
import { parseManifest, readWeights } from '../../src/formats/tfjs/weightsManifest.js';
import { KerasBuilder, seBlock } from '../support/kerasBuilder.js';
import { writeLayersModel } from '../support/tfjsWriter.js';

const tmp = mkdtempSync(join(tmpdir(), 'se-weights-'));

test('a weight that spans two shard files reads the same as from one shard', async () => {
  const b = new KerasBuilder('spans');
  let x = b.add('Conv2D', { filters: 16, kernel_size: [3, 3], padding: 'same' }, b.input([null, 8, 8, 3]), 'conv');
  x = seBlock(b, x, 16, 4, { prefix: 'se' });
  const one = await writeLayersModel(join(tmp, 'one'), b.toJSON(x), 5);
  const whole = await (await openModel(one)).loadWeights!();
  // The same model with its shard cut at an odd byte, inside the conv kernel.
  const dir = join(tmp, 'two');
  mkdirSync(dir);
  const bytes = readFileSync(join(tmp, 'one', 'group1-shard1of1.bin'));
  writeFileSync(join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, 1001));
  writeFileSync(join(dir, 'group1-shard2of2.bin'), bytes.subarray(1001));
  const json = JSON.parse(readFileSync(one, 'utf8'));
  json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  const split = await (await openModel(join(dir, 'model.json'))).loadWeights!();
  for (const w of json.weightsManifest[0].weights) assert.deepEqual(split.get(w.name), whole.get(w.name), w.name);
});

test('quantized weights (uint8 affine, float16) are decoded to float32', () => {
  const dir = join(tmp, 'quantized');
  mkdirSync(dir);
  const half = Uint16Array.of(0x3c00, 0xc000, 0x3555); // 1, -2, 0.333...
  writeFileSync(join(dir, 'w.bin'), Buffer.concat([Buffer.from(Uint8Array.of(0, 128, 255, 10)), Buffer.from(half.buffer)]));
  const path = join(dir, 'model.json');
  const m = parseManifest(path, [
    {
      paths: ['w.bin'],
      weights: [
        { name: 'q8', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.01 } },
        { name: 'f16', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
      ],
    },
  ]);
  const store = readWeights(path, m);
  assert.deepEqual(Array.from(store.get('q8')!), [-1, 0.28, 1.55, -0.9].map(Math.fround));
  const f = store.get('f16')!;
  assert.equal(f[0], 1);
  assert.equal(f[1], -2);
  assert.ok(Math.abs(f[2] - 1 / 3) < 1e-3);
  rmSync(dir, { recursive: true });
});
