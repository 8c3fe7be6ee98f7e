// What the graph view draws (webview/lib/graphCollapse.ts), from a real model's report and edges.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { graphDataOf } from '../../src/extension/graphData.js';
import { visibleGraph } from '../../webview/lib/graphCollapse.js';

const MOBILENET = join(import.meta.dirname, '../../../shared/fixtures/keras/mobilenet_v3_small.keras');

async function mobilenet() {
  const g = await openModel(MOBILENET);
  const index = new Map(g.nodes.map((n, i) => [n.name, i]));
  const edges: [number, number][] = [];
  g.nodes.forEach((n, to) => new Set(n.inputs.map((x) => index.get(x.node)!)).forEach((from) => edges.push([from, to])));
  return graphDataOf(analyze(g), edges);
}

test('MobileNetV3: 9 SE blocks drawn as 9 nodes; edges rerouted to them, none inside, none twice', async () => {
  const data = await mobilenet();
  assert.equal(data.seBlocks.length, 9);
  const { nodes, edges } = visibleGraph(data, new Set());
  const se = nodes.filter((n) => n.kind === 'se');
  assert.equal(se.length, 9);
  const inBlocks = data.seBlocks.reduce((a, b) => a + b.layers.length, 0);
  assert.equal(nodes.length, data.nodes.length - inBlocks + 9);
  assert.match(se[0].sub, /^C 16 · width 8 · r 2 · hard_sigmoid$/);
  assert.match(se[0].extra!, /^280 params · 8 layers$/);
  const keys = edges.map(([a, b]) => `${a}>${b}`);
  assert.equal(new Set(keys).size, keys.length, 'an edge is drawn twice');
  assert.ok(edges.every(([a, b]) => a !== b), 'a collapsed block has an edge to itself');
  // the first block: fed by the layer it scales, feeding the layer after its multiply
  const first = data.seBlocks[0];
  const scaled = data.nodes.findIndex((n) => n.name === first.scaledLayer);
  assert.ok(keys.includes(`l:${scaled}>se:0`), `${first.scaledLayer} -> SE`);
  const outOf = edges.filter(([a]) => a === 'se:0').map(([, b]) => data.nodes[Number(b.slice(2))].name);
  assert.deepEqual(outOf, ['expanded_conv_project']);
  // every id an edge names is a node
  const ids = new Set(nodes.map((n) => n.id));
  assert.ok(edges.every(([a, b]) => ids.has(a) && ids.has(b)));
});

test('an expanded SE block shows its layers, each marked with its block, and the others stay collapsed', async () => {
  const data = await mobilenet();
  const { nodes, edges } = visibleGraph(data, new Set([2]));
  assert.equal(nodes.filter((n) => n.kind === 'se').length, 8);
  const members = nodes.filter((n) => n.block === 2);
  assert.deepEqual(members.map((n) => n.title), data.seBlocks[2].layers);
  assert.ok(nodes.filter((n) => n.block !== undefined).every((n) => n.block === 2));
  // the block's own edges are back: squeeze -> reduce conv
  const id = (name: string) => `l:${data.nodes.findIndex((n) => n.name === name)}`;
  assert.ok(edges.some(([a, b]) => a === id(data.seBlocks[2].layers[0]) && b === id(data.seBlocks[2].layers[1])));
  const all = visibleGraph(data, new Set(data.seBlocks.map((_, i) => i)));
  assert.equal(all.nodes.length, data.nodes.length);
  assert.equal(all.edges.length, data.edges.length);
});
