// The extension's run history (kept in the workspace state) and two runs compared, without a VS Code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExcitationRun } from '../../src/protocol/messages.js';
import { checkFromWebview } from '../../src/extension/validate.js';
import { comparisonToCsv, compareRuns, MAX_MODELS, MAX_RUNS, RunHistory, summaryOf } from '../../src/extension/runHistory.js';
import { graphDataOf } from '../../src/extension/graphData.js';
import { csp } from '../../src/extension/webviewHtml.js';

let finished = 1_700_000_000_000;
function run(image: string, values: (number | null)[][]): ExcitationRun {
  return {
    id: finished++,
    modelName: 'm', modelPath: '/m.keras', imagePath: `/img/${image}`, imageName: image, backend: 'wasm', backendReason: 'asked', preprocess: 'unit', inputShape: [1, 8, 8, 3],
    blocks: values.map((v, i) => ({ name: `se_${i}`, gateLayer: `g${i}`, channels: v.length, values: v, stats: { min: 0, mean: 0.5, max: 1, std: 0 }, nonFinite: v.filter((x) => x === null).length })),
    top5: [{ index: 7, value: 0.9 }], outputShape: [1, 10], timings: { load: 1, run: 2 },
  };
}

/** The workspace state as VS Code's Memento keeps it: JSON in, JSON out. */
class JsonMemento {
  private data = new Map<string, string>();
  keys(): readonly string[] {
    return [...this.data.keys()];
  }
  get<T>(key: string): T | undefined {
    const v = this.data.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  update(key: string, value: unknown): Thenable<void> {
    this.data.set(key, JSON.stringify(value));
    return Promise.resolve();
  }
}

test('runs are kept per model, the oldest dropped after MAX_RUNS, and outlive a reload through the workspace state', () => {
  const state = new JsonMemento();
  const h = new RunHistory(state as never);
  const ids = Array.from({ length: MAX_RUNS + 2 }, (_, i) => h.add('model-a', run(`img${i}.png`, [[i / 20, 0.5]])).id);
  h.add('model-b', run('other.png', [[0.1]]));
  assert.equal(new Set(ids).size, ids.length, 'run ids are unique');
  assert.equal(h.list('model-a').length, MAX_RUNS);
  assert.equal(h.list('model-a')[0].run.imageName, 'img2.png');
  const reloaded = new RunHistory(state as never);
  assert.deepEqual(reloaded.list('model-a').map((r) => r.id), h.list('model-a').map((r) => r.id));
  assert.deepEqual(reloaded.get('model-a', ids.at(-1)!)?.run.blocks[0].values, [(MAX_RUNS + 1) / 20, 0.5]);
  assert.equal(reloaded.list('model-b').length, 1);
  assert.equal(reloaded.list('unknown').length, 0);
});

test('one store for the history table and the comparison: the summary has the run\'s time, top-1 and mean gates; only the MAX_MODELS models run last are kept', () => {
  const state = new JsonMemento();
  const h = new RunHistory(state as never);
  const r = run('cat.png', [[0.2, 0.4], [null]]);
  r.blocks[1].stats.mean = NaN;
  const s = summaryOf(h.add('m0', r));
  assert.equal(s.time, r.id, "the summary's time is the run's id (how the report marks the run shown)");
  assert.deepEqual(s.top1, { index: 7, value: 0.9 });
  assert.deepEqual(s.means, [0.5, null]);
  assert.equal(s.runMs, 2);
  for (let i = 1; i <= MAX_MODELS; i++) h.add(`m${i}`, run('x.png', [[0.5]]));
  assert.equal(h.list('m0').length, 0, 'the model run longest ago is dropped');
  h.add('m1', run('y.png', [[0.5]]));
  h.add('m13', run('z.png', [[0.5]]));
  const reloaded = new RunHistory(state as never);
  assert.equal(reloaded.keys().length, MAX_MODELS);
  assert.equal(reloaded.list('m1').length, 2, 'a model run again moves to the end and is kept');
  assert.equal(reloaded.list('m2').length, 0);
  assert.equal(reloaded.keys().at(-1), 'm13');
});

test('a comparison: B - A per block in network order, ranked by mean |B-A|, CSV rows with A, B and the difference', () => {
  const h = new RunHistory(undefined);
  const a = h.add('k', run('cat.png', [[0.5, 0.5], [0.1, null, 0.9]]));
  const b = h.add('k', run('rocket.jpg', [[0.25, 0.5], [0.6, 0.2, 0.9]]));
  const c = compareRuns(a, b);
  assert.equal(c.a.imageName, 'cat.png');
  assert.equal(c.b.imageName, 'rocket.jpg');
  assert.deepEqual(c.blocks.map((x) => x.difference), [[-0.25, 0], [0.6 - 0.1, null, 0]]);
  assert.deepEqual(c.ranked, [1, 0]);
  assert.equal(c.maxAbs, 0.5);
  const csv = comparisonToCsv(c).trim().split('\n');
  assert.equal(csv[0], '# a: cat.png, b: rocket.jpg');
  assert.equal(csv[1], 'block_index,block,rank,channel,a,b,difference');
  assert.equal(csv.length, 2 + 5);
  assert.equal(csv[2], '0,se_0,2,0,0.5,0.25,-0.25');
  assert.equal(csv[5], '1,se_1,1,1,NaN,0.2,NaN');
  // runs of another model cannot be compared
  assert.throws(() => compareRuns(a, h.add('k', run('x.png', [[0.5]]))), /not runs of one model/);
});

test('new webview messages are checked: graphSelect, compare, comparison exports', () => {
  const ok = (m: unknown) => {
    const c = checkFromWebview(m);
    assert.ok(c.ok, JSON.stringify(m));
    return c.message;
  };
  assert.deepEqual(ok({ type: 'graphSelect', layer: 'conv' }), { type: 'graphSelect', layer: 'conv' });
  assert.deepEqual(ok({ type: 'compare', a: 'x1', b: 'x2' }), { type: 'compare', a: 'x1', b: 'x2' });
  assert.deepEqual(ok({ type: 'exportCsv', subject: 'comparison' }), { type: 'exportCsv', subject: 'comparison' });
  assert.deepEqual(ok({ type: 'exportPng', dataUrl: 'data:image/png;base64,AA', subject: 'comparison' }), { type: 'exportPng', dataUrl: 'data:image/png;base64,AA', subject: 'comparison' });
  for (const m of [{ type: 'graphSelect' }, { type: 'compare', a: 'x' }, { type: 'compare', a: 1, b: 2 }, { type: 'exportCsv', subject: 'all' }, { type: 'exportPng', dataUrl: 'data:image/png;base64,AA', subject: '../x' }]) {
    assert.equal(checkFromWebview(m).ok, false, JSON.stringify(m));
  }
});

test('only the graph page may start a worker, and only from blob:', () => {
  assert.doesNotMatch(csp('X', 'n'), /worker-src/);
  assert.match(csp('X', 'n', { worker: true }), /; worker-src blob:$/);
  assert.match(csp('X', 'n', { worker: true }), /^default-src 'none'/);
});

test('graph data: one node per layer in order, edges by index, SE blocks with their layers', () => {
  const report = {
    model: { name: 'tiny' },
    layers: [
      { name: 'in', type: 'InputLayer', outputShape: [null, 4], params: 0, trainableParams: 0, macs: 0 },
      { name: 'gap', type: 'GlobalAveragePooling2D', outputShape: [null, 4], params: 0, trainableParams: 0, macs: 4, seBlock: 'se' },
      { name: 'mul', type: 'Multiply', outputShape: [null, 4], params: 0, trainableParams: 0, macs: 4, seBlock: 'se' },
    ],
    seBlocks: [{ name: 'se', layers: ['gap', 'mul'], channels: 4, squeezedWidth: 2, ratio: 2, gate: 'sigmoid', params: 10, macs: 8, scaledLayer: 'in', variant: 'standard' }],
  };
  const g = graphDataOf(report as never, [[0, 1], [0, 2], [1, 2]]);
  assert.deepEqual(g.nodes.map((n) => n.name), ['in', 'gap', 'mul']);
  assert.equal(g.nodes[1].seBlock, 'se');
  assert.equal('seBlock' in g.nodes[0], false);
  assert.deepEqual(g.edges, [[0, 1], [0, 2], [1, 2]]);
  assert.deepEqual(g.seBlocks[0].layers, ['gap', 'mul']);
});
