// SE detection on every form of se-reference.md, on small models built here (Keras JSON, tfjs layers, tfjs graph).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { resnet50 } from '../support/architectures.js';
import { KerasBuilder, seBlock } from '../support/kerasBuilder.js';
import { attr, writeGraphModel, writeLayersModel } from '../support/tfjsWriter.js';

const tmp = mkdtempSync(join(tmpdir(), 'se-detect-'));
let k = 0;
async function inspectConfig(config: unknown) {
  const path = join(tmp, `m${k++}.json`);
  writeFileSync(path, JSON.stringify(config));
  return analyze(await openModel(path));
}

test('Dense SE with Reshape((1,1,C)) and use_bias=False', async () => {
  const b = new KerasBuilder();
  let x = b.add('Conv2D', { filters: 32, kernel_size: [3, 3], padding: 'same' }, b.input([null, 16, 16, 3]));
  x = seBlock(b, x, 32, 4, { reshape: true, useBias: false, prefix: 'se1' });
  const r = await inspectConfig(b.toJSON(x));
  assert.equal(r.seBlocks.length, 1);
  const s = r.seBlocks[0];
  assert.equal(s.name, 'se1');
  assert.equal(s.channels, 32);
  assert.equal(s.squeezedWidth, 8);
  assert.equal(s.params, 2 * 32 * 8);
  // MACs: pool H*W*C + two FCs 2*C*C/r + scale H*W*C.
  assert.equal(s.macs, 16 * 16 * 32 * 2 + 2 * 32 * 8);
  assert.equal(r.model.format, 'keras-json');
});

test('EfficientNet form: GAP(keepdims) -> 1x1 Conv2D (swish) -> 1x1 Conv2D (sigmoid) -> multiply', async () => {
  const b = new KerasBuilder();
  const input = b.input([null, 14, 14, 16]);
  const x = b.add('DepthwiseConv2D', { kernel_size: [3, 3], padding: 'same', use_bias: false }, input, 'block2a_dwconv');
  const act = b.add('Activation', { activation: 'swish' }, x, 'block2a_activation');
  let s = b.add('GlobalAveragePooling2D', { keepdims: true }, act, 'block2a_se_squeeze');
  s = b.add('Conv2D', { filters: 4, kernel_size: [1, 1], padding: 'same', activation: 'swish' }, s, 'block2a_se_reduce');
  s = b.add('Conv2D', { filters: 16, kernel_size: [1, 1], padding: 'same', activation: 'sigmoid' }, s, 'block2a_se_expand');
  const out = b.add('Multiply', {}, [act, s], 'block2a_se_excite');
  const r = await inspectConfig(b.toJSON(out));
  assert.equal(r.seBlocks.length, 1);
  assert.equal(r.seBlocks[0].name, 'block2a_se');
  assert.equal(r.seBlocks[0].reductionActivation, 'swish');
  assert.equal(r.seBlocks[0].gate, 'sigmoid');
  assert.equal(r.seBlocks[0].ratio, 4);
});

test('hard sigmoid from Keras 3 ops: add(3) -> ReLU(6) -> multiply(1/6)', async () => {
  const b = new KerasBuilder();
  const x = b.add('Conv2D', { filters: 24, kernel_size: [1, 1] }, b.input([null, 8, 8, 3]));
  let s = b.add('GlobalAveragePooling2D', { keepdims: true }, x);
  s = b.add('Conv2D', { filters: 8, kernel_size: [1, 1], activation: 'linear' }, s);
  s = b.add('ReLU', { max_value: null }, s);
  s = b.add('Conv2D', { filters: 24, kernel_size: [1, 1] }, s);
  s = b.op('Add', s, 3);
  s = b.add('ReLU', { max_value: 6 }, s);
  s = b.op('Multiply', s, 1 / 6);
  const r = await inspectConfig(b.toJSON(b.add('Multiply', {}, [x, s])));
  assert.equal(r.seBlocks.length, 1);
  assert.equal(r.seBlocks[0].gate, 'hard_sigmoid');
  assert.equal(r.seBlocks[0].gateLayer, 'multiply');
});

test('integration variants: standard, PRE, POST, Identity on SE-ResNet-50', async () => {
  for (const variant of ['standard', 'PRE', 'POST', 'Identity'] as const) {
    const r = await inspectConfig(resnet50({ r: 16, variant, imageSize: 64 }));
    assert.ok(r.seBlocks.length >= 12, variant);
    assert.deepEqual([...new Set(r.seBlocks.map((b) => b.variant))], [variant]);
  }
});

test('an attention gate that pools one tensor and scales another is not SE', async () => {
  const b = new KerasBuilder();
  const input = b.input([null, 8, 8, 16]);
  const a = b.add('Conv2D', { filters: 16, kernel_size: [3, 3], padding: 'same' }, input, 'branch_a');
  const c = b.add('Conv2D', { filters: 16, kernel_size: [3, 3], padding: 'same' }, input, 'branch_b');
  let s = b.add('GlobalAveragePooling2D', {}, a);
  s = b.add('Dense', { units: 4, activation: 'relu' }, s);
  s = b.add('Dense', { units: 16, activation: 'sigmoid' }, s);
  const r = await inspectConfig(b.toJSON(b.add('Multiply', {}, [c, s])));
  assert.equal(r.seBlocks.length, 0);
  assert.match(r.warnings.join(), /no SE block/);
});

test('tfjs layers model (Keras 2 topology + shards) reads like its Keras config', async () => {
  const b = new KerasBuilder('tiny_se');
  let x = b.add('Conv2D', { filters: 16, kernel_size: [3, 3], padding: 'same' }, b.input([null, 16, 16, 3]));
  x = b.add('BatchNormalization', {}, x);
  x = seBlock(b, x, 16, 4);
  const config = b.toJSON(b.add('Dense', { units: 5 }, b.add('GlobalAveragePooling2D', {}, x)));
  const path = await writeLayersModel(join(tmp, 'layers'), config);
  const r = analyze(await openModel(path));
  const fromJson = await inspectConfig(config);
  assert.equal(r.model.format, 'tfjs-layers');
  assert.equal(r.totals.params, fromJson.totals.params);
  assert.equal(r.totals.nonTrainableParams, 32);
  assert.equal(r.seBlocks.length, 1);
});

/** A converted-graph SE: Mean(keep_dims) -> fused 1x1 convs -> AddV2(3) -> Relu6 -> Mul(1/6) -> Mul. */
function graphSe(dir: string, gate: 'hard' | 'sigmoid-matmul' | 'avgpool') {
  const n: any[] = [
    { name: 'input', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: attr.shape([-1, 8, 8, 3]) } },
    { name: 'features', op: '_FusedConv2D', input: ['input', 'w0', 'b0'], attr: { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME'), fused_ops: attr.strs(['BiasAdd', 'Relu']), data_format: attr.s('NHWC') } },
  ];
  const c: any[] = [{ name: 'w0', shape: [3, 3, 3, 16] }, { name: 'b0', shape: [16] }];
  let gateOut: string;
  if (gate === 'hard' || gate === 'avgpool') {
    if (gate === 'hard') n.push({ name: 'se/Mean', op: 'Mean', input: ['features', 'se/axes'], attr: { keep_dims: attr.b(true) } });
    else n.push({ name: 'se/Mean', op: 'AvgPool', input: ['features'], attr: { ksize: attr.ints([1, 8, 8, 1]), strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID') } });
    n.push(
      { name: 'se/reduce', op: '_FusedConv2D', input: ['se/Mean', 'w1', 'b1'], attr: { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID'), fused_ops: attr.strs(['BiasAdd', 'Relu']) } },
      { name: 'se/expand', op: '_FusedConv2D', input: ['se/reduce', 'w2', 'b2'], attr: { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID'), fused_ops: attr.strs(['BiasAdd']) } },
    );
    c.push({ name: 'se/axes', shape: [2], values: [1, 2], dtype: 'int32' }, { name: 'w1', shape: [1, 1, 16, 4] }, { name: 'b1', shape: [4] }, { name: 'w2', shape: [1, 1, 4, 16] }, { name: 'b2', shape: [16] });
    if (gate === 'hard') {
      n.push(
        { name: 'se/add', op: 'AddV2', input: ['se/expand', 'se/three'] },
        { name: 'se/relu6', op: 'Relu6', input: ['se/add'] },
        { name: 'se/gate', op: 'Mul', input: ['se/relu6', 'se/sixth'] },
      );
      c.push({ name: 'se/three', shape: [], values: [3] }, { name: 'se/sixth', shape: [], values: [1 / 6] });
    } else n.push({ name: 'se/gate', op: 'Sigmoid', input: ['se/expand'] });
    gateOut = 'se/gate';
  } else {
    n.push(
      { name: 'se/Mean', op: 'Mean', input: ['features', 'se/axes'], attr: { keep_dims: attr.b(false) } },
      { name: 'se/reduce', op: '_FusedMatMul', input: ['se/Mean', 'm1', 'b1'], attr: { fused_ops: attr.strs(['BiasAdd', 'Relu']) } },
      { name: 'se/expand', op: 'MatMul', input: ['se/reduce', 'm2'] },
      { name: 'se/bias', op: 'BiasAdd', input: ['se/expand', 'b2'] },
      { name: 'se/sigmoid', op: 'Sigmoid', input: ['se/bias'] },
      { name: 'se/gate', op: 'Reshape', input: ['se/sigmoid', 'se/shape'] },
    );
    c.push({ name: 'se/axes', shape: [2], values: [1, 2], dtype: 'int32' }, { name: 'm1', shape: [16, 4] }, { name: 'b1', shape: [4] }, { name: 'm2', shape: [4, 16] }, { name: 'b2', shape: [16] }, { name: 'se/shape', shape: [4], values: [-1, 1, 1, 16], dtype: 'int32' });
    gateOut = 'se/gate';
  }
  n.push(
    { name: 'se/scale', op: 'Mul', input: ['features', gateOut] },
    { name: 'head/Mean', op: 'Mean', input: ['se/scale', 'se/axes'], attr: { keep_dims: attr.b(false) } },
    { name: 'logits', op: 'MatMul', input: ['head/Mean', 'wh'] },
    { name: 'Identity', op: 'Identity', input: ['logits'] },
  );
  c.push({ name: 'wh', shape: [16, 10] });
  return writeGraphModel(dir, n, c);
}

for (const form of ['hard', 'sigmoid-matmul', 'avgpool'] as const) {
  test(`tfjs graph model SE (${form})`, async () => {
    const r = analyze(await openModel(graphSe(join(tmp, `graph-${form}`), form)));
    assert.equal(r.model.format, 'tfjs-graph');
    assert.equal(r.seBlocks.length, 1);
    const s = r.seBlocks[0];
    assert.equal(s.channels, 16);
    assert.equal(s.squeezedWidth, 4);
    assert.equal(s.gate, form === 'hard' ? 'hard_sigmoid' : 'sigmoid');
    assert.equal(s.reductionActivation, 'relu');
    assert.equal(s.scaleLayer, 'se/scale');
    assert.equal(s.params, 16 * 4 + 4 + 4 * 16 + 16);
    // Scalars (3, 1/6) and the axes/shape constants are not parameters.
    assert.equal(r.totals.params, 3 * 3 * 3 * 16 + 16 + 16 * 4 + 4 + 4 * 16 + 16 + 16 * 10);
    assert.equal(r.layers.find((l) => l.name === 'logits')!.outputShape!.join(), ',10');
  });
}

test('SE-PRE as the SENet paper draws it: add(x, branch(SE(x))) is PRE, add(branch(x), SE(x)) is Identity', async () => {
  for (const variant of ['PRE', 'Identity'] as const) {
    const b = new KerasBuilder(`se_${variant}`);
    const x = b.add('Conv2D', { filters: 16, kernel_size: [3, 3], padding: 'same' }, b.input([null, 8, 8, 3]), 'stem');
    const branchIn = variant === 'PRE' ? seBlock(b, x, 16, 4, { prefix: 'se' }) : x;
    let y = b.add('Conv2D', { filters: 16, kernel_size: [3, 3], padding: 'same' }, branchIn, 'branch_conv1');
    y = b.add('BatchNormalization', {}, y, 'branch_bn');
    y = b.add('Activation', { activation: 'relu' }, y, 'branch_relu');
    y = b.add('Conv2D', { filters: 16, kernel_size: [3, 3], padding: 'same' }, y, 'branch_conv2');
    const shortcut = variant === 'PRE' ? x : seBlock(b, x, 16, 4, { prefix: 'se' });
    const r = await inspectConfig(b.toJSON(b.add('Add', {}, [shortcut, y], 'add')));
    assert.equal(r.seBlocks.length, 1, variant);
    assert.equal(r.seBlocks[0].variant, variant);
    assert.equal(r.seBlocks[0].scaledLayer, 'stem');
  }
});
