// Exact counts: Keras' own numbers on the shared fixtures, and the published figures of se-reference.md.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { cifar10, resnet50 } from '../support/architectures.js';

const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures/keras');
const tmp = mkdtempSync(join(tmpdir(), 'se-counts-'));
async function analyzeConfig(name: string, config: unknown) {
  const path = join(tmp, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  return analyze(await openModel(path));
}

for (const file of ['cifar10_se_r8.keras', 'cifar10_se_r8.h5']) {
  test(`${file}: Keras' count_params() and 9 SE blocks at r = 8`, async () => {
    const r = analyze(await openModel(join(FIXTURES, file)));
    assert.equal(r.model.format, file.endsWith('.h5') ? 'keras-h5' : 'keras');
    assert.equal(r.totals.params, 1_993_970);
    assert.equal(r.totals.trainableParams, 1_991_282);
    assert.equal(r.seBlocks.length, 9);
    assert.deepEqual(r.seBlocks.map((b) => b.channels), [64, 64, 64, 128, 128, 128, 256, 256, 256]);
    assert.deepEqual(r.seBlocks.map((b) => b.squeezedWidth), [8, 8, 8, 16, 16, 16, 32, 32, 32]);
    assert.ok(r.seBlocks.every((b) => b.ratio === 8 && b.gate === 'sigmoid' && b.reductionActivation === 'relu' && b.variant === 'plain'));
    assert.deepEqual(r.seBlocks.map((b) => b.scaleLayer), ['multiply', ...Array.from({ length: 8 }, (_, i) => `multiply_${i + 1}`)]);
    assert.equal(r.whatIf.baseline.params, 1_927_946);
    const own = r.whatIf.byRatio.find((x) => x.own)!;
    assert.equal(own.r, 8);
    assert.equal(own.params, 1_993_970);
    assert.equal(own.paramsDelta, 66_024);
  });
}

test("mobilenet_v3_small.keras: Keras' count_params() and hard-sigmoid SE blocks", async () => {
  const r = analyze(await openModel(join(FIXTURES, 'mobilenet_v3_small.keras')));
  assert.equal(r.totals.params, 2_554_968);
  assert.equal(r.totals.trainableParams, 2_542_856);
  assert.equal(r.seBlocks.length, 9);
  assert.ok(r.seBlocks.every((b) => b.gate === 'hard_sigmoid' && b.reductionActivation === 'relu'));
  assert.deepEqual(r.seBlocks.map((b) => b.channels), [16, 96, 240, 240, 120, 144, 288, 576, 576]);
  assert.deepEqual(r.seBlocks.map((b) => b.squeezedWidth), [8, 24, 64, 64, 32, 40, 72, 144, 144]);
  // SE inside the inverted residual is on the residual branch where the block has a shortcut.
  assert.deepEqual(r.seBlocks.map((b) => b.variant), ['plain', 'plain', 'standard', 'standard', 'plain', 'standard', 'plain', 'standard', 'standard']);
  assert.match(r.notes.join(), /assume 224x224/);
  const own = r.whatIf.byRatio.find((x) => x.own)!;
  assert.equal(own.r, null, 'widths rounded to multiples of 8 give mixed effective ratios');
});

test('CIFAR-10 network of se-reference.md: 1,927,946 without SE, 1,993,970 with SE (r = 8)', async () => {
  assert.equal((await analyzeConfig('cifar', cifar10())).totals.params, 1_927_946);
  const se = await analyzeConfig('cifar_se', cifar10(8));
  assert.equal(se.totals.params, 1_993_970);
  assert.equal(se.whatIf.baseline.params, 1_927_946);
});

test('ResNet-50 (keras.applications layout): 25,636,712 params, 3.86 GMACs; SE-ResNet-50 r = 16: 3.87 GMACs', async () => {
  const plain = await analyzeConfig('r50', resnet50());
  assert.equal(plain.totals.params, 25_636_712);
  assert.equal((plain.totals.macs / 1e9).toFixed(2), '3.86');
  assert.equal(plain.totals.flops, 2 * plain.totals.macs);
  const se = await analyzeConfig('se_r50', resnet50({ r: 16 }));
  assert.equal(se.totals.params, 28_167_704);
  assert.equal((se.totals.macs / 1e9).toFixed(2), '3.87');
  assert.equal(se.seBlocks.length, 16);
  assert.deepEqual([...new Set(se.seBlocks.map((b) => b.squeezedWidth))], [16, 32, 64, 128]);
  assert.ok(se.seBlocks.every((b) => b.variant === 'standard'));
  // Baseline of the what-if is the same network without SE, to the parameter and the MAC.
  assert.equal(se.whatIf.baseline.params, plain.totals.params);
  assert.equal(se.whatIf.baseline.macs, plain.totals.macs);
});

test("SE-ResNet-50 (torchvision layout): 28,088,024 trainable params; the paper's Table 10 per r", async () => {
  const r = await analyzeConfig('se_r50_tv', resnet50({ r: 16, layout: 'torchvision' }));
  assert.equal(r.totals.trainableParams, 28_088_024);
  const plain = await analyzeConfig('r50_tv', resnet50({ layout: 'torchvision' }));
  assert.equal(plain.totals.trainableParams, 25_557_032);
  // Table 10 in millions; our rows are exact counts, the paper's are rounded (and within 0.1M of ours).
  const paper: Record<number, number> = { 2: 45.7, 4: 35.7, 8: 30.7, 16: 28.1, 32: 26.9 };
  const bn = r.totals.nonTrainableParams;
  for (const row of r.whatIf.byRatio) {
    const trainable = (row.params - bn) / 1e6;
    assert.ok(Math.abs(trainable - paper[row.r!]) <= 0.1, `r=${row.r}: ${trainable.toFixed(3)}M vs paper ${paper[row.r!]}M`);
  }
  assert.equal(r.whatIf.byRatio.find((x) => x.r === 2)!.params - bn, 45_699_240);
  assert.equal(r.whatIf.byRatio.find((x) => x.r === 16)!.params - bn, 28_088_024);
});
