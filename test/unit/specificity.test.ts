// Class specificity and ablation with known answers: the pure math, a model built here whose SE
// gates are constant (block A) or set by the class alone (block B), and the demo model end to end.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { compareOutputs, meanGate, rankAblations } from '../../src/analysis/ablation.js';
import { analyze } from '../../src/analysis/report.js';
import { classSpecificity } from '../../src/analysis/specificity.js';
import { openModel } from '../../src/formats/index.js';
import { imageInput, loadModel } from '../../src/runtime/index.js';
import { KerasBuilder, seBlock } from '../support/kerasBuilder.js';
import { rng, writeLayersModel } from '../support/tfjsWriter.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const DEMO_MODEL = join(ROOT, 'demo/model/model.json');
const DEMO_SAMPLES = join(ROOT, 'demo/samples');
const run = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, timeout: 300_000 });
    return { code: 0, stdout, stderr };
  } catch (e: any) {
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('the math', () => {
  const blocks = [{ name: 'b', channels: 1 }];
  const sample = (label: number, v: number, i = 0) => ({ image: `img${label}-${i}-${v}`, label, gates: [[v]] });

  test('score: between-class / total variance; constant gate 0, class-only gate 1, a mix in between', () => {
    assert.equal(classSpecificity(blocks, ['x', 'y'], [sample(0, 0.5), sample(0, 0.5), sample(1, 0.5)]).blocks[0].score, 0);
    assert.equal(classSpecificity(blocks, ['x', 'y'], [sample(0, 0.2), sample(0, 0.2, 1), sample(1, 0.7)]).blocks[0].score, 1);
    // class x: 0, 1; class y: 2, 3 -> total variance 1.25, between 1 -> 0.8
    const r = classSpecificity(blocks, ['x', 'y'], [sample(0, 0), sample(0, 1), sample(1, 2), sample(1, 3)]);
    assert.ok(Math.abs(r.blocks[0].score - 0.8) < 1e-12);
    assert.deepEqual(r.blocks[0].classMeans, { x: [0.5], y: [2.5] });
    assert.deepEqual(r.counts, [2, 2]);
  });

  test('score averages channels; saturation and spread', () => {
    const two = [{ name: 'b', channels: 2 }];
    // channel 0 set by the class (share 1), channel 1 constant (share 0)
    const s = [0, 1].flatMap((label) => [0, 1].map((i) => ({ image: `${label}${i}`, label, gates: [[label ? 0.99 : 0.01, 0.5]] })));
    const b = classSpecificity(two, ['a', 'b'], s).blocks[0];
    assert.equal(b.score, 0.5);
    assert.deepEqual(b.channelScores, [1, 0]);
    assert.deepEqual(b.saturation, { high: 0.25, low: 0.25 });
    // per image the two gates are 0.49 apart: standard deviation 0.245
    assert.ok(Math.abs(b.spread - 0.245) < 1e-12);
    // across images: channel 0 is 0.01 or 0.99 (std 0.49), channel 1 constant (0)
    assert.ok(Math.abs(b.gateStd - 0.245) < 1e-12);
  });

  test('refuses a class without images, a single class and NaN gates, naming them', () => {
    assert.throws(() => classSpecificity(blocks, ['x', 'empty'], [sample(0, 0.5)]), /class 'empty' has no image/);
    assert.throws(() => classSpecificity(blocks, ['x'], [sample(0, 0.5)]), /at least two classes/);
    assert.throws(() => classSpecificity(blocks, ['x', 'y'], [sample(0, NaN), sample(1, 0.5)]), /block 'b' has a NaN\/Inf gate \(channel 0\) on img0-0-NaN/);
  });

  test('ablation: mean gate, agreement, mean absolute change, cheapest removal first', () => {
    assert.deepEqual(Array.from(meanGate([[0, 1], [1, 3]])), [0.5, 2]);
    const c = compareOutputs([[0.9, 0.1], [0.4, 0.6]], [[0.7, 0.3], [0.6, 0.4]]);
    assert.equal(c.agreement, 0.5);
    assert.ok(Math.abs(c.meanAbsChange - 0.2) < 1e-12);
    const ranked = rankAblations([
      { name: 'costly', agreement: 0.5, meanAbsChange: 0.1, params: 10, macs: 10 },
      { name: 'free-big', agreement: 1, meanAbsChange: 0, params: 100, macs: 5 },
      { name: 'free-small', agreement: 1, meanAbsChange: 0, params: 10, macs: 5 },
    ]);
    assert.deepEqual(ranked.map((r) => r.name), ['free-big', 'free-small', 'costly']);
  });
});

describe('a model with known answers', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'se-specificity-'));
  const folder = join(tmp, 'images');
  let model = '';
  // Channel means per class (bytes): block B's gate sees only these, block A's gate is constant.
  const MEANS = [[40, 120, 200], [180, 30, 100], [100, 220, 20]];
  const CLASSES = ['a-class', 'b-class', 'c-class'];

  before(async () => {
    const b = new KerasBuilder('known');
    const x = b.input([null, 4, 4, 3]);
    let y = b.add('Conv2D', { filters: 3, kernel_size: [1, 1], strides: [1, 1], padding: 'valid', use_bias: false, activation: 'linear' }, x, 'conv');
    y = seBlock(b, y, 3, 3, { prefix: 'constant' });
    y = seBlock(b, y, 3, 1, { prefix: 'byclass' });
    y = b.add('GlobalAveragePooling2D', {}, y, 'pool');
    y = b.add('Dense', { units: 3, activation: 'softmax' }, y, 'predictions');
    model = await writeLayersModel(join(tmp, 'model'), b.toJSON(y), 11);
    // Set the weights that make the answers known (the rest stay seeded random).
    const json = JSON.parse(readFileSync(model, 'utf8'));
    const specs: { name: string; shape: number[] }[] = json.weightsManifest[0].weights;
    for (const name of ['conv/kernel', 'constant_expand/bias', 'byclass_expand/kernel']) assert.ok(specs.some((s) => s.name === name), name);
    const bin = new Float32Array(new Uint8Array(readFileSync(join(tmp, 'model', 'group1-shard1of1.bin'))).buffer);
    const eye = (n: number, k = 1) => Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? k : 0));
    const set: Record<string, number[]> = {
      'conv/kernel': eye(3),
      'constant_reduce/kernel': [0, 0, 0],
      'constant_reduce/bias': [0.5],
      'constant_expand/kernel': [0, 0, 0],
      'constant_expand/bias': [-1, 0.5, 2],
      'byclass_reduce/kernel': eye(3),
      'byclass_reduce/bias': [0, 0, 0],
      'byclass_expand/kernel': eye(3, 8),
      'byclass_expand/bias': [-1, -1, -1],
    };
    let offset = 0;
    for (const s of specs) {
      const size = s.shape.reduce((a, c) => a * c, 1);
      if (set[s.name]) bin.set(set[s.name], offset);
      offset += size;
    }
    writeFileSync(join(tmp, 'model', 'group1-shard1of1.bin'), Buffer.from(bin.buffer));
    // Four images per class: the same pixel values per channel, in different places.
    const rand = rng(5);
    CLASSES.forEach((name, k) => {
      mkdirSync(join(folder, name), { recursive: true });
      for (let i = 0; i < 4; i++) {
        const png = new PNG({ width: 4, height: 4 });
        for (let c = 0; c < 3; c++) {
          const values = Array.from({ length: 16 }, (_, p) => MEANS[k][c] + (p % 2 ? 15 : -15));
          for (let p = 15; p > 0; p--) {
            const j = Math.floor(rand() * (p + 1));
            [values[p], values[j]] = [values[j], values[p]];
          }
          values.forEach((v, p) => (png.data[p * 4 + c] = v));
        }
        for (let p = 0; p < 16; p++) png.data[p * 4 + 3] = 255;
        writeFileSync(join(folder, name, `${i}.png`), PNG.sync.write(png));
      }
    });
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('specificity: constant gate scores 0, class-only gate scores 1', async () => {
    const out = await cli('specificity', model, folder, '--json', '--workers', '2');
    assert.equal(out.code, 0, out.stderr);
    const r = JSON.parse(out.stdout);
    assert.deepEqual(r.classes, CLASSES);
    assert.equal(r.images, 12);
    const [constant, byClass] = r.blocks;
    assert.equal(constant.name, 'constant');
    assert.equal(constant.score, 0);
    assert.equal(constant.spread > 0, true); // the three constant gates differ from each other
    assert.equal(constant.gateStd, 0); // but none of them depends on the image
    assert.ok(byClass.gateStd > 0.01);
    assert.ok(byClass.score > 1 - 1e-6 && byClass.score <= 1, `score ${byClass.score}`);
    for (const key of ['name', 'channels', 'score', 'classMeans', 'saturation', 'spread', 'gateStd']) assert.ok(key in byClass, key);
    assert.deepEqual(Object.keys(byClass.classMeans), CLASSES);
    // the class means of block B are sigmoid(8 * mean - 1) of the channel means (pixels / 255), times block A's constant gate
    const gateA = [-1, 0.5, 2].map((v) => 1 / (1 + Math.exp(-v)));
    CLASSES.forEach((name, k) => byClass.classMeans[name].forEach((g: number, c: number) => assert.ok(Math.abs(g - 1 / (1 + Math.exp(-(8 * gateA[c] * (MEANS[k][c] / 255)) + 1))) < 1e-5, `${name}[${c}]`)));
    const text = await cli('specificity', model, folder);
    assert.match(text.stdout, /constant\s+3\s+0\.000/);
    assert.match(text.stdout, /byclass\s+3\s+1\.000/);
  });

  test('ablate: the constant gate held at its mean changes nothing (100 % agreement, change 0)', async () => {
    const out = await cli('ablate', model, folder, '--json');
    assert.equal(out.code, 0, out.stderr);
    const r = JSON.parse(out.stdout);
    assert.equal(r.images, 12);
    const constant = r.blocks.find((b: any) => b.name === 'constant');
    assert.equal(constant.agreement, 1);
    assert.equal(constant.meanAbsChange, 0);
    const report = analyze(await openModel(model));
    assert.equal(constant.params, report.seBlocks[0].params);
    assert.equal(constant.macs, report.seBlocks[0].macs);
    const byClass = r.blocks.find((b: any) => b.name === 'byclass');
    assert.ok(byClass.meanAbsChange > 0);
    assert.equal(r.blocks[0].name, 'constant'); // the free removal ranks first
  });

  test('runtime: overrideGates replaces a gate in the run, and is checked', async () => {
    const graph = await openModel(model);
    const report = analyze(graph);
    const loaded = await loadModel(graph, { backend: 'wasm' });
    try {
      const input = imageInput(graph, join(folder, 'a-class', '0.png'), 'unit').tensor;
      const gate = report.seBlocks[1].gateLayer;
      const plain = await loaded.run(input, { capture: [gate] });
      const held = await loaded.run(input, { capture: [gate], overrideGates: new Map([[gate, Float32Array.from([1, 1, 1])]]) });
      assert.deepEqual(Array.from(held.captured.get(gate)!.data), [1, 1, 1]);
      assert.notDeepEqual(Array.from(held.outputs[0].data), Array.from(plain.outputs[0].data));
      await assert.rejects(loaded.run(input, { overrideGates: new Map([[gate, new Float32Array(2)]]) }), /cannot override layer 'byclass_expand': its output holds 3 values per example \(\[1, 3\]\), 2 given/);
      await assert.rejects(loaded.run(input, { overrideGates: new Map([['nope', new Float32Array(3)]]) }), /layer to override 'nope' is not a node/);
    } finally {
      loaded.dispose();
    }
  });

  test('bad input: a model without SE blocks, a corrupt image, one line naming the file', async () => {
    const b = new KerasBuilder('plain');
    const x = b.input([null, 4, 4, 3]);
    const plain = await writeLayersModel(join(tmp, 'plain'), b.toJSON(b.add('GlobalAveragePooling2D', {}, x)));
    const noSe = await cli('ablate', plain, folder);
    assert.equal(noSe.code, 1);
    assert.match(noSe.stderr, /plain[/\\]model\.json: no SE block found/);
    const bad = join(tmp, 'bad');
    mkdirSync(join(bad, 'one'), { recursive: true });
    mkdirSync(join(bad, 'two'), { recursive: true });
    writeFileSync(join(bad, 'one', 'x.png'), readFileSync(join(folder, 'a-class', '0.png')));
    writeFileSync(join(bad, 'two', 'broken.png'), readFileSync(join(folder, 'a-class', '0.png')).subarray(0, 40));
    const corrupt = await cli('specificity', model, bad);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /broken\.png: .*(corrupt|truncated)/);
    assert.equal(corrupt.stderr.trim().split('\n').length, 1);
  });

  test('a folder without class subfolders is one clear error', async () => {
    const out = await cli('specificity', model, join(folder, 'a-class'));
    assert.equal(out.code, 1);
    assert.match(out.stderr, /a-class: has no class subfolders with PNG\/JPEG images/);
  });
});

describe('the demo model end to end', () => {
  test('specificity and ablate on demo/samples: 10 classes, 100 images, 6 SE blocks', async () => {
    const s = await cli('specificity', DEMO_MODEL, DEMO_SAMPLES, '--json');
    assert.equal(s.code, 0, s.stderr);
    const r = JSON.parse(s.stdout);
    assert.equal(r.classes.length, 10);
    assert.equal(r.images, 100);
    assert.deepEqual(r.blocks.map((b: any) => b.channels), [16, 16, 32, 32, 64, 64]);
    for (const b of r.blocks) {
      assert.ok(b.score >= 0 && b.score <= 1);
      for (const name of r.classes) assert.equal(b.classMeans[name].length, b.channels);
    }
    const a = await cli('ablate', DEMO_MODEL, DEMO_SAMPLES, '--json');
    assert.equal(a.code, 0, a.stderr);
    const ab = JSON.parse(a.stdout);
    assert.equal(ab.images, 100);
    assert.equal(ab.blocks.length, 6);
    for (const b of ab.blocks) assert.ok(b.agreement >= 0 && b.agreement <= 1 && b.meanAbsChange >= 0 && b.params > 0 && b.macs > 0);
    for (let i = 1; i < ab.blocks.length; i++) assert.ok(ab.blocks[i - 1].agreement >= ab.blocks[i].agreement);
  });
});
