// Static shapes, MACs and parameters of the TF ops real converted graphs use, on small graph models
// written here; control flow and inputs of unknown rank open instead of refusing the model.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { GraphBuilder } from '../support/graphBuilder.js';
import { attr } from '../support/tfjsWriter.js';

const tmp = mkdtempSync(join(tmpdir(), 'se-tfshapes-'));
let k = 0;

async function open(g: GraphBuilder, outputs: string[]) {
  const graph = await openModel(g.write(join(tmp, `m${k++}`), outputs));
  const report = analyze(graph);
  const shape = (name: string) => graph.nodes.find((n) => n.name === name)!.outputShape;
  const layer = (name: string) => report.layers.find((l) => l.name === name)!;
  return { graph, report, shape, layer };
}

test('channel padding (BlazeFace: pads [0,0],[0,0],[0,0],[0,C]) before a residual add', async () => {
  const g = new GraphBuilder();
  const x = g.input('input', [1, 8, 8, 3]);
  const a = g.conv(x, 1, 3, 4, {}, 'a');
  const b = g.conv(a, 1, 4, 6, {}, 'b');
  const padded = g.op('Pad', [a, g.ints([0, 0, 0, 0, 0, 0, 0, 2], [4, 2])], {}, 'pad');
  const sum = g.op('AddV2', [padded, b], {}, 'sum');
  const { shape, report } = await open(g, [sum]);
  assert.deepEqual(shape('pad'), [1, 8, 8, 6]);
  assert.deepEqual(shape('sum'), [1, 8, 8, 6]);
  assert.equal(report.totals.complete, true);
});

test('AddN, ResizeBilinear, DepthToSpace, SpaceToBatchND/BatchToSpaceND, Transpose, Tile, Cast', async () => {
  const g = new GraphBuilder();
  const x = g.input('input', [1, 8, 8, 4]);
  const addn = g.op('AddN', [x, x, x], {}, 'addn');
  const up = g.op('ResizeBilinear', [addn, g.ints([16, 24])], {}, 'up');
  const d2s = g.op('DepthToSpace', [up], { block_size: { i: '2' } }, 'd2s');
  const s2b = g.op('SpaceToBatchND', [x, g.ints([2, 2]), g.ints([2, 2, 2, 2], [2, 2])], {}, 's2b');
  const dil = g.op('DepthwiseConv2dNative', [s2b, g.const([3, 3, 4, 1])], { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID') }, 'dil');
  const b2s = g.op('BatchToSpaceND', [dil, g.ints([2, 2]), g.ints([0, 0, 0, 0], [2, 2])], {}, 'b2s');
  const tr = g.op('Transpose', [x, g.ints([0, 3, 1, 2])], {}, 'tr');
  const tile = g.op('Tile', [x, g.ints([1, 2, 1, 3])], {}, 'tile');
  const cast = g.op('Cast', [x], {}, 'cast');
  const { shape, report } = await open(g, [d2s, b2s, tr, tile, cast]);
  assert.deepEqual(shape('addn'), [1, 8, 8, 4]);
  assert.deepEqual(shape('up'), [1, 16, 24, 4]);
  assert.deepEqual(shape('d2s'), [1, 32, 48, 1]);
  assert.deepEqual(shape('s2b'), [4, 6, 6, 4]);
  assert.deepEqual(shape('dil'), [4, 4, 4, 4]);
  assert.deepEqual(shape('b2s'), [1, 8, 8, 4]);
  assert.deepEqual(shape('tr'), [1, 4, 8, 8]);
  assert.deepEqual(shape('tile'), [1, 16, 8, 12]);
  assert.deepEqual(shape('cast'), [1, 8, 8, 4]);
  assert.equal(report.totals.complete, true);
});

test('Conv2DBackpropInput: output size from its constant, MACs = H_in W_in kh kw Cin Cout', async () => {
  const g = new GraphBuilder();
  const x = g.input('input', [1, 5, 5, 8]);
  const up = g.op('Conv2DBackpropInput', [g.ints([1, 10, 10, 3]), g.const([2, 2, 3, 8]), x], { strides: attr.ints([1, 2, 2, 1]), padding: attr.s('SAME') }, 'up');
  const { shape, layer } = await open(g, [up]);
  assert.deepEqual(shape('up'), [1, 10, 10, 3]);
  assert.equal(layer('up').macs, 5 * 5 * 2 * 2 * 8 * 3);
  assert.equal(layer('up').params, 2 * 2 * 3 * 8);
});

test('fused Prelu: the alpha is a parameter; Prelu op keeps the shape', async () => {
  const g = new GraphBuilder();
  const x = g.input('input', [1, 6, 6, 3]);
  const c = g.conv(x, 3, 3, 8, { fused: ['BiasAdd', 'Prelu'], extra: [g.const([8])] }, 'conv');
  const p = g.op('Prelu', [c, g.const([8])], {}, 'prelu');
  const { shape, layer, report } = await open(g, [p]);
  assert.deepEqual(shape('conv'), [1, 4, 4, 8]);
  assert.equal(layer('conv').params, 3 * 3 * 3 * 8 + 8 + 8);
  assert.equal(layer('prelu').params, 8);
  assert.equal(report.totals.complete, true);
});

test('StridedSlice (masks), Slice, Pack/Unpack, Split/SplitV, GatherV2, Squeeze, ArgMax, Softmax', async () => {
  const g = new GraphBuilder();
  const x = g.input('input', [2, 8, 8, 6]);
  const ss = g.op('StridedSlice', [x, g.ints([0, 1, 0, 0]), g.ints([0, 7, 8, 3]), g.ints([1, 2, 1, 1])], { begin_mask: { i: '1' }, end_mask: { i: '1' }, shrink_axis_mask: { i: '0' } }, 'ss');
  const shrink = g.op('StridedSlice', [x, g.ints([0, 0]), g.ints([0, 1]), g.ints([1, 1])], { begin_mask: { i: '1' }, end_mask: { i: '1' }, ellipsis_mask: { i: '0' }, shrink_axis_mask: { i: '2' } }, 'shrink');
  const sl = g.op('Slice', [x, g.ints([0, 2, 2, 0]), g.ints([-1, 4, 4, 2])], {}, 'slice');
  const pack = g.op('Pack', [sl, sl, sl], { axis: { i: '1' } }, 'pack');
  const unpack = g.op('Unpack', [x], { axis: { i: '3' }, num: { i: '6' } }, 'unpack');
  const split = g.op('Split', [g.ints([3], []), x], { num_split: { i: '3' } }, 'split');
  const splitv = g.op('SplitV', [x, g.ints([1, -1, 2]), g.ints([3], [])], {}, 'splitv');
  const take = g.op('AddV2', [`${splitv}:1`, `${splitv}:1`], {}, 'take');
  const gather = g.op('GatherV2', [x, g.ints([0, 2, 4, 6, 7]), g.ints([1], [])], {}, 'gather');
  const argmax = g.op('ArgMax', [x, g.ints([3], [])], {}, 'argmax');
  const soft = g.op('Softmax', [x], {}, 'softmax');
  const { shape, report } = await open(g, [ss, shrink, pack, `${unpack}:5`, `${split}:2`, take, gather, argmax, soft]);
  assert.deepEqual(shape('ss'), [2, 3, 8, 3]);
  assert.deepEqual(shape('shrink'), [2, 8, 6]);
  assert.deepEqual(shape('slice'), [2, 4, 4, 2]);
  assert.deepEqual(shape('pack'), [2, 3, 4, 4, 2]);
  assert.deepEqual(shape('unpack'), [2, 8, 8]);
  assert.deepEqual(shape('split'), [2, 8, 8, 2]);
  assert.deepEqual(shape('splitv'), [2, 8, 8, 1]);
  assert.deepEqual(shape('take'), [2, 8, 8, 3], 'the second output of SplitV has its own shape');
  assert.deepEqual(shape('gather'), [2, 5, 8, 6]);
  assert.deepEqual(shape('argmax'), [2, 8, 8]);
  assert.deepEqual(shape('softmax'), [2, 8, 8, 6]);
  assert.equal(report.totals.complete, true);
});

test('a reshape target built at run time from Shape -> StridedSlice -> Pack, with an open batch', async () => {
  const g = new GraphBuilder();
  const x = g.input('input', [-1, 7, 7, 6]);
  const shp = g.op('Shape', [x], {}, 'shape');
  const batch = g.op('StridedSlice', [shp, g.ints([0]), g.ints([1]), g.ints([1])], { shrink_axis_mask: { i: '1' } }, 'batch');
  const target = g.op('Pack', [batch, g.ints([-1], []), g.ints([2], [])], { axis: { i: '0' } }, 'target');
  const r = g.op('Reshape', [x, target], {}, 'reshape');
  const { shape } = await open(g, [r]);
  assert.deepEqual(shape('reshape'), [null, 147, 2]);
});

test('tf.cond (Switch/Merge) and a while loop (Enter/Merge/NextIteration) open; the back edge is noted', async () => {
  const g = new GraphBuilder();
  const x = g.input('input', [1, 4, 4, 2]);
  const pred = g.input('flag', null, 'DT_BOOL');
  const sw = g.op('Switch', [x, pred], {}, 'switch');
  const t = g.op('Relu', [`${sw}:1`], {}, 'then');
  const f = g.op('Identity', [`${sw}:0`], {}, 'else');
  const merged = g.op('Merge', [f, t], {}, 'merge');
  // while (i < 3) i = i + 1, over a stored counter.
  const enter = g.op('Enter', [g.scalar(0)], {}, 'loop/enter');
  const m = g.op('Merge', [enter, 'loop/next'], {}, 'loop/merge');
  const less = g.op('Less', [m, g.scalar(3)], {}, 'loop/less');
  const cond = g.op('LoopCond', [less], {}, 'loop/cond');
  const sw2 = g.op('Switch', [m, cond], {}, 'loop/switch');
  const inc = g.op('AddV2', [`${sw2}:1`, g.scalar(1)], {}, 'loop/add');
  g.op('NextIteration', [inc], {}, 'loop/next');
  const exit = g.op('Exit', [`${sw2}:0`], {}, 'loop/exit');
  const { shape, graph } = await open(g, [merged, exit]);
  assert.deepEqual(shape('merge'), [1, 4, 4, 2]);
  assert.deepEqual(shape('loop/exit'), []);
  assert.match(graph.notes.join('\n'), /while-loop back edge/);
});

test('several inputs, one of unknown rank: the image input is the 4D one, the others are listed with their dtype', async () => {
  const g = new GraphBuilder();
  const ratio = g.input('downsample_ratio', null);
  const state = g.input('r1i', null);
  const x = g.input('src', [-1, -1, -1, 3]);
  const y = g.conv(x, 3, 3, 4, {}, 'conv');
  const z = g.op('Mul', [y, ratio], {}, 'scaled');
  const { graph, shape, report } = await open(g, [z, g.op('Identity', [state])]);
  assert.deepEqual(graph.inputShape, [null, 224, 224, 3]);
  assert.deepEqual(graph.inputSpecs.map((i) => [i.name, i.shape, i.dtype]), [['downsample_ratio', null, 'float32'], ['r1i', null, 'float32'], ['src', [null, null, null, 3], 'float32']]);
  assert.deepEqual(shape('conv'), [null, 222, 222, 4]);
  assert.equal(shape('scaled'), null);
  assert.equal(report.totals.complete, false);
});

test('parameters by role: a shared filter counts once, a grid added to the output is not a parameter, BN statistics are non-trainable', async () => {
  const g = new GraphBuilder();
  const x = g.input('input', [1, 4, 4, 2]);
  const w = g.const([1, 1, 2, 2]);
  const a = g.op('Conv2D', [x, w], { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID') }, 'a');
  const b = g.op('Conv2D', [a, w], { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID') }, 'b');
  const bn = g.op('FusedBatchNormV3', [b, g.const([2]), g.const([2]), g.const([2]), g.const([2])], { epsilon: attr.f(0.001) }, 'bn');
  const grid = g.op('AddV2', [bn, g.const([4, 4, 2])], {}, 'grid');
  const { report, layer } = await open(g, [grid]);
  assert.equal(layer('a').params, 4);
  assert.equal(layer('b').params, 0, 'the same filter again');
  assert.equal(layer('bn').params, 8);
  assert.equal(layer('bn').trainableParams, 4);
  assert.equal(layer('grid').params, 0);
  assert.equal(report.totals.params, 12);
});

test('a node no rule fits (shapes that cannot broadcast) is a warning naming it, its shape unknown; a filter built at run time is read from its input', async () => {
  const g = new GraphBuilder();
  const x = g.input('input', [1, 4, 4, 3]);
  const y = g.conv(x, 1, 3, 5, {}, 'y');
  const bad = g.op('AddV2', [x, y], {}, 'bad');
  const filter = g.op('Fill', [g.ints([3, 3, 3, 1]), g.scalar(1 / 9)], {}, 'box');
  const box = g.op('DepthwiseConv2dNative', [x, filter], { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') }, 'boxfilter');
  const { shape, report, layer } = await open(g, [bad, box]);
  assert.equal(shape('bad'), null);
  assert.match(report.warnings.join('\n'), /'bad' \(tf\.AddV2\): cannot broadcast shapes \[1,4,4,3\] and \[1,4,4,5\]: its shape is left unknown/);
  assert.deepEqual(shape('boxfilter'), [1, 4, 4, 3]);
  assert.equal(layer('boxfilter').macs, 4 * 4 * 3 * 3 * 3);
  // An add multiplies-accumulates nothing whatever its shape: the cost stays complete, the warning above names the node.
  assert.equal(layer('bad').macs, 0);
  assert.equal(report.totals.complete, true, 'an add of unknown shape counts 0 MACs');
});

test('a one-element vector added after a one-unit layer is its bias (a parameter); after a wider one, a scalar operand', async () => {
  const g = new GraphBuilder();
  const x = g.input('input', [1, 4, 4, 2]);
  const up = g.op('Conv2DBackpropInput', [g.ints([1, 8, 8, 1]), g.const([2, 2, 1, 2]), x], { strides: attr.ints([1, 2, 2, 1]), padding: attr.s('SAME') }, 'up');
  const upBias = g.op('AddV2', [up, g.const([1])], {}, 'up_bias');
  const wide = g.op('Conv2D', [x, g.const([1, 1, 2, 3])], { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID') }, 'wide');
  const plus = g.op('AddV2', [wide, g.const([1])], {}, 'plus');
  const { layer } = await open(g, [upBias, plus]);
  assert.equal(layer('up_bias').params, 1);
  assert.equal(layer('plus').params, 0);
});
