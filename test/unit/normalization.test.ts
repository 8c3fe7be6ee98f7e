// Keras Normalization: counted as Keras counts it, recognised as in-model rescaling, and run exactly.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { resolvePreset } from '../../src/image/presets.js';
import { loadModel } from '../../src/runtime/index.js';
import { KerasBuilder } from '../support/kerasBuilder.js';
import { writeKerasArchive } from '../support/kerasArchiveWriter.js';
import { writeLayersModel } from '../support/tfjsWriter.js';

const tmp = mkdtempSync(join(tmpdir(), 'se-norm-'));

function model(config: Record<string, unknown>) {
  const b = new KerasBuilder('norm');
  const x = b.add('Normalization', config, b.input([null, 2, 2, 3]), 'normalization');
  return b.toJSON(b.add('Conv2D', { filters: 2, kernel_size: [1, 1] }, x, 'conv'));
}

test('adapted Normalization has 2C + 1 non-trainable parameters; given mean/variance, none', async () => {
  const p1 = join(tmp, 'adapted.json');
  writeFileSync(p1, JSON.stringify(model({ axis: -1 })));
  const r1 = analyze(await openModel(p1));
  assert.equal(r1.layers.find((l) => l.name === 'normalization')!.params, 7);
  assert.equal(r1.totals.nonTrainableParams, 7);
  const p2 = join(tmp, 'given.json');
  writeFileSync(p2, JSON.stringify(model({ axis: -1, mean: [1, 2, 3], variance: [4, 9, 16] })));
  const g2 = await openModel(p2);
  assert.equal(analyze(g2).layers.find((l) => l.name === 'normalization')!.params, 0);
  assert.equal(resolvePreset('auto', g2).preset, 'raw', 'a model that normalizes its own input gets raw pixels');
});

test('Normalization runs as (x - mean) / sqrt(variance)', async () => {
  const b = new KerasBuilder('norm_only');
  const out = b.add('Normalization', { axis: -1 }, b.input([null, 2, 2, 3]), 'normalization');
  const path = await writeLayersModel(join(tmp, 'run'), b.toJSON(out), 3);
  const graph = await openModel(path);
  const w = await graph.loadWeights!();
  const mean = w.get('normalization/mean')!;
  const variance = w.get('normalization/variance')!;
  const m = await loadModel(graph, { backend: 'wasm' });
  try {
    const data = Float32Array.from({ length: 12 }, (_, i) => i - 4);
    const y = (await m.predict({ data, shape: [1, 2, 2, 3] })).outputs[0].data;
    for (let i = 0; i < 12; i++) assert.ok(Math.abs(y[i] - (data[i] - mean[i % 3]) / Math.sqrt(variance[i % 3])) < 1e-5, `value ${i}`);
  } finally {
    m.dispose();
  }
});

test('a .keras whose Normalization stores its count as an int64 scalar (EfficientNet) opens and runs', async () => {
  const b = new KerasBuilder('effnet_stem');
  const x = b.add('Normalization', { axis: -1 }, b.input([null, 2, 2, 3]), 'normalization');
  const config = b.toJSON(b.add('Conv2D', { filters: 2, kernel_size: [1, 1] }, x, 'conv'));
  const mean = Float32Array.of(0.5, -1, 2);
  const variance = Float32Array.of(4, 0.25, 1);
  const kernel = Float32Array.of(1, 0, 0, 1, 0.5, -0.5);
  const bias = Float32Array.of(0.1, -0.2);
  for (const count of [0n, 1281167n]) {
    const path = await writeKerasArchive(join(tmp, `count${count}.keras`), config, {
      'layers/input_layer': [],
      'layers/normalization': [{ data: mean, shape: [3] }, { data: variance, shape: [3] }, { int64: count }],
      'layers/conv2d': [{ data: kernel, shape: [1, 1, 3, 2] }, { data: bias, shape: [2] }],
    });
    const graph = await openModel(path);
    const r = analyze(graph);
    assert.equal(r.totals.params, 7 + 8);
    assert.equal(r.totals.nonTrainableParams, 7);
    assert.equal((await graph.loadWeights!()).get('layers/normalization/vars/2')![0], Number(count));
    const m = await loadModel(graph, { backend: 'wasm' });
    try {
      const data = Float32Array.from({ length: 12 }, (_, i) => i - 4);
      const y = (await m.predict({ data, shape: [1, 2, 2, 3] })).outputs[0].data;
      for (let p = 0; p < 4; p++)
        for (let o = 0; o < 2; o++) {
          let want = bias[o];
          for (let c = 0; c < 3; c++) want += ((data[p * 3 + c] - mean[c]) / Math.sqrt(variance[c])) * kernel[c * 2 + o];
          assert.ok(Math.abs(y[p * 2 + o] - want) < 1e-5, `count ${count}: pixel ${p}, channel ${o}: ${y[p * 2 + o]} vs ${want}`);
        }
    } finally {
      m.dispose();
    }
  }
});
