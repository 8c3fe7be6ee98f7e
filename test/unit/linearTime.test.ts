// Graph building, ordering, counting and SE detection stay linear in the number of layers: a
// model of 100,000 layers is read and analysed in seconds, where quadratic work (a list copied
// per edge, every slice of a name tried) takes minutes.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { KerasBuilder } from '../support/kerasBuilder.js';
import { toKeras2 } from '../support/tfjsWriter.js';

const N = 100_000;
/** Generous for linear work on a loaded 2-core machine; quadratic work at N = 100,000 takes over a minute. */
const LIMIT_MS = 15_000;
const dir = mkdtempSync(join(tmpdir(), 'se-linear-'));

async function timed(name: string, config: unknown): Promise<number> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  const t0 = performance.now();
  const report = analyze(await openModel(file));
  const ms = performance.now() - t0;
  assert.equal(report.layers.length, N + 1);
  return ms;
}

test(`${N.toLocaleString('en-US')} layers reading one tensor are read and analysed in linear time`, async () => {
  const b = new KerasBuilder('fan_out');
  const x = b.input([null, 4]);
  const outs = Array.from({ length: N }, (_, i) => b.add('Dense', { units: 1 }, x, `d${i}`));
  const ms = await timed('fanout', b.toJSON(outs));
  assert.ok(ms < LIMIT_MS, `${ms.toFixed(0)} ms`);
});

test(`${N.toLocaleString('en-US')} unknown layers in a chain are reported in linear time`, async () => {
  const b = new KerasBuilder('unknown_chain');
  let x = b.input([null, 4]);
  for (let i = 0; i < N; i++) x = b.add('MysteryLayer', {}, x, `m${i}`);
  const ms = await timed('unknown', b.toJSON(x));
  assert.ok(ms < LIMIT_MS, `${ms.toFixed(0)} ms`);
});

test('a weight name of 3,000 parts is assigned to its layer in linear time', async () => {
  const b = new KerasBuilder('long_name');
  const x = b.input([null, 4]);
  const model = toKeras2(b.toJSON(b.add('Dense', { units: 2 }, x, 'head')));
  const scope = 'x/'.repeat(3000);
  const weights = [
    { name: `${scope}head/kernel`, shape: [4, 2], dtype: 'float32' },
    { name: `${scope}head/bias`, shape: [2], dtype: 'float32' },
  ];
  const d = mkdtempSync(join(dir, 'tfjs-'));
  writeFileSync(join(d, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { model_config: model }, weightsManifest: [{ paths: ['w.bin'], weights }] }));
  writeFileSync(join(d, 'w.bin'), Buffer.alloc(10 * 4));
  const t0 = performance.now();
  const graph = await openModel(join(d, 'model.json'));
  const ms = performance.now() - t0;
  assert.deepEqual(graph.nodes.find((n) => n.name === 'head')!.weights.map((w) => w.name), ['kernel', 'bias']);
  assert.ok(ms < 2_000, `${ms.toFixed(0)} ms`);
  // A name that belongs to no layer is the worst case: every end of the name is tried.
  weights[1].name = `${scope}nobody/bias`;
  writeFileSync(join(d, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { model_config: model }, weightsManifest: [{ paths: ['w.bin'], weights }] }));
  const t1 = performance.now();
  await assert.rejects(openModel(join(d, 'model.json')), /weight 'x\/x\/.*nobody\/bias' in weightsManifest belongs to no layer of the model/);
  assert.ok(performance.now() - t1 < 2_000, `${(performance.now() - t1).toFixed(0)} ms`);
});
