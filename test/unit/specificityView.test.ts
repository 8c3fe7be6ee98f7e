// The extension's class-specificity run (src/extension/worker/specificityJob.ts) on the demo model,
// against the CLI's own computation, and the view's CSV tables and message checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classSpecificity } from '../../src/analysis/specificity.js';
import { analyze } from '../../src/analysis/report.js';
import { readClassFolder } from '../../src/image/folders.js';
import { openModel } from '../../src/formats/index.js';
import { excite, loadModel } from '../../src/runtime/index.js';
import { checkSpecificityMessage, specificityCsv } from '../../src/extension/specificityTables.js';
import { specificityJob } from '../../src/extension/worker/specificityJob.js';
import type { SpecificityRun } from '../../src/protocol/messages.js';
import { CancelledError } from '../../src/util/errors.js';

const MODEL = 'demo/model/model.json';
const FOLDER = 'demo/samples';
const request = { kind: 'specificity' as const, modelPath: MODEL, folder: FOLDER, ratios: [8], backend: 'cpu' as const, preprocess: 'auto' };

test('the worker job gives the scores of classSpecificity over one run per image, and a ranked ablation of every block', async () => {
  const seen: string[] = [];
  const r = await specificityJob(request, new AbortController().signal, (t) => seen.push(t));
  const graph = await openModel(MODEL);
  const report = analyze(graph);
  const { classes, images } = readClassFolder(FOLDER);
  const loaded = await loadModel(graph, { backend: 'cpu', capture: report.seBlocks.map((b) => b.gateLayer) });
  const samples = [];
  for (const x of images) samples.push({ image: x.image, label: x.label, gates: (await excite(loaded, report, x.image)).blocks.map((b) => b.excitation) });
  loaded.dispose();
  const expected = classSpecificity(report.seBlocks, classes, samples);
  assert.equal(r.blocks.length, 6);
  assert.deepEqual(r.classes, classes);
  assert.equal(r.images, 100);
  r.blocks.forEach((b, i) => assert.ok(Math.abs(b.score - expected.blocks[i].score) < 1e-9, `${b.name}: ${b.score} vs ${expected.blocks[i].score}`));
  assert.deepEqual(r.ablation.map((a) => a.name).sort(), report.seBlocks.map((b) => b.name).sort());
  for (let i = 1; i < r.ablation.length; i++) assert.ok(r.ablation[i - 1].agreement >= r.ablation[i].agreement, 'cheapest first: agreement never rises down the table');
  for (const a of r.ablation) assert.ok(a.agreement >= 0 && a.agreement <= 1 && a.meanAbsChange > 0 && a.params > 0 && a.macs > 0, JSON.stringify(a));
  assert.ok(seen.some((t) => /images 100\/100/.test(t)) && seen.some((t) => /ablation: .* held, 100\/100/.test(t)), `progress: ${seen.slice(-3)}`);
});

test('a cancelled job stops with CancelledError', async () => {
  const ctl = new AbortController();
  let n = 0;
  await assert.rejects(
    specificityJob(request, ctl.signal, () => {
      if (++n === 3) ctl.abort();
    }),
    (e) => e instanceof CancelledError,
  );
});

test('a folder without class subfolders is a one-line error naming it', async () => {
  await assert.rejects(specificityJob({ ...request, folder: 'demo/model' }, new AbortController().signal, () => {}), /demo\/model.*class subfolders/);
});

const run: SpecificityRun = {
  modelName: 'm',
  modelPath: '/x/m.json',
  folder: '/x/s',
  classes: ['a', 'b,c'],
  counts: [1, 2],
  images: 3,
  blocks: [{ name: 'se1', channels: 2, score: 0.5, classMeans: { a: [0.1, 0.2], 'b,c': [0.3, 0.4] }, saturation: { high: 0.25, low: 0 }, spread: 0.1, gateStd: 0.2 }],
  ablation: [{ name: 'se1', agreement: 1, meanAbsChange: 0.01, params: 10, macs: 20, paramsShare: 0.1, macsShare: 0.2 }],
  wallMs: 1,
};

test('CSV: class means one row per (block, class, channel), names quoted; scores and ablation one row per block', () => {
  assert.equal(specificityCsv(run, 'classMeans'), 'block_index,block,class,channel,mean_excitation\n0,se1,a,0,0.1\n0,se1,a,1,0.2\n0,se1,"b,c",0,0.3\n0,se1,"b,c",1,0.4\n');
  assert.equal(specificityCsv(run, 'scores').split('\n')[1], '0,se1,2,0.5,0.25,0,0.1,0.2');
  assert.equal(specificityCsv(run, 'ablation').split('\n')[1], '1,se1,1,0.01,10,0.1,20,0.2');
});

test('the view accepts only its own well-formed messages', () => {
  assert.deepEqual(checkSpecificityMessage({ type: 'ready', extra: 1 }), { type: 'ready' });
  assert.deepEqual(checkSpecificityMessage({ type: 'exportCsv', table: 'ablation' }), { type: 'exportCsv', table: 'ablation' });
  assert.equal(checkSpecificityMessage({ type: 'exportCsv', table: '../etc' }), undefined);
  assert.equal(checkSpecificityMessage({ type: 'exportPng', dataUrl: 'javascript:1', what: 'x' }), undefined);
  assert.equal(checkSpecificityMessage({ type: 'exportPng', dataUrl: 'data:image/png;base64,AA', what: 3 }), undefined);
  assert.equal(checkSpecificityMessage(null), undefined);
  assert.equal(checkSpecificityMessage({ type: 'reveal' }), undefined);
});
