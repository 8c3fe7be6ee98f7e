/**
 * The onnx backend (onnxruntime-node, the ModelGraph converted to ONNX in memory):
 * - the Keras reference excitations and outputs, to 1e-4, as on wasm;
 * - onnx against wasm, every output and every node's output captured, on the fixtures, a
 *   seeded SE-ResNet-50 at 64 x 64 and hand-built graphs that use every op the converter knows
 *   (NHWC/NCHW layout, BatchNorm folding, grouped/depthwise/separable convs, merges with gates);
 * - models it cannot convert run on TF.js with the reason said; explicit `onnx` names the node.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { buildGraph, type RawNode } from '../../src/graph/build.js';
import type { ModelFormat, ModelGraph, NodeAttrs, Shape, WeightSpec } from '../../src/graph/types.js';
import { excite, initBackend, loadModel, type HostTensor } from '../../src/runtime/index.js';
import { ONNX_CONVERTIBLE_OPS } from '../../src/runtime/onnx/toOnnx.js';
import { RuntimeError } from '../../src/util/errors.js';
import { resnet50 } from '../support/architectures.js';
import { writeLayersModel } from '../support/tfjsWriter.js';
import { f32File, values } from '../support/arrays.js';

const KERAS = new URL('../../../shared/fixtures/keras/', import.meta.url).pathname;
const REF = `${KERAS}reference/`;
const TOL = 1e-4;



let tmp: string;
before(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(join(tmpdir(), 'se-onnx-test-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** |a - b| <= tol * max(1, |b|) for every value; returns the largest difference. */
function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = TOL): number {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    worst = Math.max(worst, d);
    assert.ok(d <= tol * Math.max(1, Math.abs(want[i])), `${what}[${i}]: onnx ${got[i]}, wasm ${want[i]}`);
  }
  return worst;
}

/** Runs `graph` on wasm and on onnx, capturing `capture`, and compares every output and capture. */
async function sameOnBoth(graph: ModelGraph, input: HostTensor, capture: string[], what: string): Promise<number> {
  const wasm = await loadModel(graph, { backend: 'wasm' });
  const onnx = await loadModel(graph, { backend: 'onnx', capture });
  try {
    assert.equal(onnx.compute.engine, 'onnx');
    assert.equal(onnx.backend.name, 'onnx');
    const a = await wasm.run(input, { capture });
    const b = await onnx.run(input, { capture });
    let worst = 0;
    a.outputs.forEach((t, i) => {
      assert.deepEqual(b.outputs[i].shape, t.shape, `${what}: output ${i} shape`);
      worst = Math.max(worst, close(b.outputs[i].data, t.data, `${what}: output ${i}`));
    });
    for (const name of capture) {
      const t = a.captured.get(name)!;
      const u = b.captured.get(name);
      assert.ok(u, `${what}: onnx captured no '${name}'`);
      assert.deepEqual(u.shape, t.shape, `${what}: '${name}' shape (the layers engine's NHWC layout)`);
      worst = Math.max(worst, close(u.data, t.data, `${what}: '${name}'`));
    }
    return worst;
  } finally {
    wasm.dispose();
    onnx.dispose();
  }
}

interface LayerSpec {
  name: string;
  op: string;
  inputs?: string[];
  attrs?: NodeAttrs;
  weights?: [string, number[]][];
}

/** A Keras-domain graph built by the real graph builder, weights seeded by layer. */
function graphOf(inputShape: Shape, layers: LayerSpec[], opts: { outputs?: string[]; format?: ModelFormat } = {}): ModelGraph {
  const store = new Map<string, Float32Array>();
  const nodes: RawNode[] = [{ name: 'x', op: 'InputLayer', domain: 'keras', inputs: [], attrs: {} }];
  let prev = 'x';
  layers.forEach((l, li) => {
    const weights: WeightSpec[] | undefined = l.weights?.map(([name, shape], wi) => {
      const id = `${l.name}/${name}`;
      const n = shape.reduce((a, b) => a * b, 1);
      const v = values(n, 100 * li + wi + 1, 0.5);
      if (name === 'moving_variance' || name === 'gamma') for (let i = 0; i < n; i++) v[i] = 1 + v[i];
      store.set(id, v);
      return { id, name, shape, trainable: true, role: 'param' };
    });
    nodes.push({ name: l.name, op: l.op, domain: 'keras', inputs: (l.inputs ?? [prev]).map((n) => ({ node: n, output: 0 })), attrs: l.attrs ?? {}, weights });
    prev = l.name;
  });
  return buildGraph({ name: 't', format: opts.format ?? 'keras', path: 'test-model', nodes, inputs: [{ name: 'x', shape: inputShape }], outputs: (opts.outputs ?? [prev]).map((n) => ({ node: n, output: 0 })), loadWeights: async () => store });
}

const bn = (name: string, c: number, input?: string): LayerSpec => ({ name, op: 'BatchNormalization', inputs: input ? [input] : undefined, attrs: { epsilon: 1e-3, center: true, scaleGamma: true }, weights: [['gamma', [c]], ['beta', [c]], ['moving_mean', [c]], ['moving_variance', [c]]] });

describe('onnx backend', () => {
  test('the converter covers every Keras op the layers engine runs', async () => {
    const { RUNNABLE_OPS } = await import('../../src/runtime/index.js');
    const keras = RUNNABLE_OPS.filter((op) => !op.startsWith('tf.'));
    assert.deepEqual(keras.filter((op) => !ONNX_CONVERTIBLE_OPS.includes(op)), []);
  });

  for (const { model, blocks } of [
    { model: 'cifar10_se_r8.keras', blocks: 9 },
    { model: 'cifar10_se_r8.h5', blocks: 9 },
    { model: 'mobilenet_v3_small.keras', blocks: 9 },
  ]) {
    test(`${model}: Keras reference gates and outputs within ${TOL}, on auto = onnx`, async (t) => {
      const ref = JSON.parse(readFileSync(`${REF}${model}.reference.json`, 'utf8'));
      const graph = await openModel(`${KERAS}${model}`);
      const report = analyze(graph);
      assert.equal(report.seBlocks.length, blocks);
      const loaded = await loadModel(graph, { backend: 'auto', capture: report.seBlocks.map((b) => b.gateLayer) });
      try {
        const input: HostTensor = { data: f32File(`${REF}${ref.input.file}`), shape: ref.input.shape };
        const result = await excite(loaded, report, input);
        assert.equal(result.backend, 'onnx');
        assert.match(result.backendReason, /^auto: onnx \(onnxruntime-node, CPU, \d+ threads?\)/);
        let maxGate = 0;
        for (const rb of ref.se_blocks) {
          const got = result.blocks.find((b) => b.scaleLayer === rb.multiply_layer)!;
          assert.equal(got.excitation.length, rb.excitation.length);
          rb.excitation.forEach((v: number, i: number) => {
            const d = Math.abs(got.excitation[i] - v);
            maxGate = Math.max(maxGate, d);
            assert.ok(d <= TOL, `${rb.multiply_layer}[${i}]: ${got.excitation[i]} vs Keras ${v}`);
            if (v === 0 || v === 1) assert.equal(got.excitation[i], v, `${rb.multiply_layer}[${i}] sits on a hard-sigmoid clamp`);
          });
        }
        const { outputs } = await loaded.predict(input);
        assert.deepEqual(outputs[0].shape, ref.output.shape);
        let maxOut = 0;
        ref.output.values.forEach((v: number, i: number) => {
          maxOut = Math.max(maxOut, Math.abs(outputs[0].data[i] - v));
          assert.ok(Math.abs(outputs[0].data[i] - v) <= TOL, `output ${i}`);
        });
        assert.equal(result.output.top5[0].index, ref.output.argmax);
        t.diagnostic(`${model} on onnx: max |gate - Keras| = ${maxGate.toExponential(2)}, max |output - Keras| = ${maxOut.toExponential(2)}`);
        // the same against wasm, every gate
        t.diagnostic(`onnx vs wasm, all gates: max diff ${(await sameOnBoth(graph, input, report.seBlocks.map((b) => b.gateLayer), model)).toExponential(2)}`);
      } finally {
        loaded.dispose();
      }
    });
  }

  test('seeded SE-ResNet-50 (64 x 64, tfjs layers): every node captured, onnx = wasm', async (t) => {
    const path = await writeLayersModel(join(tmp, 'se_resnet50'), resnet50({ r: 16, imageSize: 64 }), 3);
    const graph = await openModel(path);
    const all = graph.nodes.filter((n) => n.op !== 'InputLayer').map((n) => n.name);
    const input = { data: values(64 * 64 * 3, 7), shape: [1, 64, 64, 3] };
    t.diagnostic(`outputs only: max diff ${(await sameOnBoth(graph, input, [], 'SE-ResNet-50')).toExponential(2)}`);
    t.diagnostic(`all ${all.length} nodes captured: max diff ${(await sameOnBoth(graph, input, all, 'SE-ResNet-50')).toExponential(2)}`);
  });

  test('hand-built graph: every layout-sensitive op, folded and unfolded BatchNorm, gates of rank 2 and 4', async () => {
    const layers: LayerSpec[] = [
      { name: 'r0', op: 'Rescaling', attrs: { scale: 0.5, offset: 0.1 } },
      { name: 'n0', op: 'Normalization', attrs: { mean: [0.1, -0.2, 0.3, 0], variance: [1, 2, 0.5, 4] } },
      { name: 'c1', op: 'Conv2D', attrs: { filters: 6, kernelSize: [3, 3], strides: [2, 2], padding: 'same', useBias: true, activation: 'linear' }, weights: [['kernel', [3, 3, 4, 6]], ['bias', [6]]] },
      bn('b1', 6),
      { name: 'a1', op: 'Activation', attrs: { activation: 'relu' } },
      { name: 'd1', op: 'DepthwiseConv2D', attrs: { kernelSize: [3, 3], padding: 'same', depthMultiplier: 2, useBias: true, activation: 'relu6' }, weights: [['depthwise_kernel', [3, 3, 6, 2]], ['bias', [12]]] },
      { name: 's1', op: 'SeparableConv2D', attrs: { filters: 8, kernelSize: [3, 3], padding: 'valid', depthMultiplier: 1, useBias: true, activation: 'swish' }, weights: [['depthwise_kernel', [3, 3, 12, 1]], ['pointwise_kernel', [1, 1, 12, 8]], ['bias', [8]]] },
      { name: 'g1', op: 'Conv2D', attrs: { filters: 8, kernelSize: [1, 1], groups: 2, padding: 'valid', useBias: true, activation: 'hard_sigmoid' }, weights: [['kernel', [1, 1, 4, 8]], ['bias', [8]]] },
      { name: 'cat', op: 'Concatenate', inputs: ['s1', 'g1'], attrs: { axis: -1 } },
      { name: 'sm', op: 'Activation', attrs: { activation: 'softmax' } },
      { name: 'zp', op: 'ZeroPadding2D', attrs: { pads: [[1, 0], [0, 1]] } },
      { name: 'mp', op: 'MaxPooling2D', attrs: { poolSize: [2, 2], strides: [1, 1], padding: 'same' } },
      { name: 'ap', op: 'AveragePooling2D', attrs: { poolSize: [3, 3], strides: [2, 2], padding: 'same' } },
      { name: 'cr', op: 'Cropping2D', inputs: ['mp'], attrs: { pads: [[1, 0], [0, 1]] } },
      { name: 'gap', op: 'GlobalAveragePooling2D', attrs: { keepdims: true } },
      { name: 'gate', op: 'Conv2D', attrs: { filters: 16, kernelSize: [1, 1], padding: 'valid', useBias: true, activation: 'sigmoid' }, weights: [['kernel', [1, 1, 16, 16]], ['bias', [16]]] },
      { name: 'mul', op: 'Multiply', inputs: ['cr', 'gate'] },
      { name: 'gmp', op: 'GlobalMaxPooling2D', inputs: ['ap'], attrs: { keepdims: false } },
      { name: 'd2', op: 'Dense', attrs: { units: 16, useBias: true, activation: 'linear' }, weights: [['kernel', [16, 16]], ['bias', [16]]] },
      bn('bd', 16),
      { name: 'gate2', op: 'Activation', attrs: { activation: 'sigmoid' } },
      { name: 'mul2', op: 'Multiply', inputs: ['ap', 'gate2'] },
      { name: 'fl', op: 'Flatten', inputs: ['mul'] },
      { name: 'fl2', op: 'Flatten', inputs: ['mul2'] },
      { name: 'cat2', op: 'Concatenate', inputs: ['fl', 'fl2'], attrs: { axis: -1 } },
      { name: 'dn', op: 'Dense', attrs: { units: 10, useBias: true, activation: 'softmax' }, weights: [['kernel', [208, 10]], ['bias', [10]]] },
      { name: 'rs', op: 'Reshape', inputs: ['mul2'], attrs: { targetShape: [4, 16] } },
      { name: 'dn3', op: 'Dense', attrs: { units: 5, useBias: true, activation: 'gelu' }, weights: [['kernel', [16, 5]], ['bias', [5]]] },
      { name: 'ln', op: 'LayerNormalization', attrs: { epsilon: 1e-3, center: true, scaleGamma: true }, weights: [['gamma', [5]], ['beta', [5]]] },
      { name: 'sm2', op: 'Softmax', inputs: ['mp'], attrs: { axis: 2 } },
      { name: 'sub', op: 'Subtract', inputs: ['mul', 'cr'] },
      { name: 'avg', op: 'Average', inputs: ['sub', 'mul', 'cr'] },
      { name: 'mx', op: 'Maximum', inputs: ['avg', 'gate'] },
      { name: 'mn', op: 'Minimum', inputs: ['mx', 'gate2'] },
      { name: 'dr', op: 'Dropout', attrs: { rate: 0.5 } },
    ];
    const g = graphOf([null, 9, 9, 4], layers, { outputs: ['dn', 'ln', 'sm2', 'dr'] });
    const input = { data: values(9 * 9 * 4, 11, 2), shape: [1, 9, 9, 4] };
    await sameOnBoth(g, input, [], 'hand-built, outputs only (b1 folded into c1)');
    await sameOnBoth(g, input, layers.map((l) => l.name), 'hand-built, every node captured (nothing folded)');
  });

  test('activations, ReLU variants and Keras 3 ops with scalars: onnx = wasm', async () => {
    const xs = Float32Array.from({ length: 41 }, (_, i) => -5 + i * 0.25);
    const acts = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'log_softmax', 'softplus', 'softsign', 'elu', 'selu', 'exponential', 'leaky_relu', 'hard_sigmoid', 'hard_silu', 'hard_swish', 'silu', 'swish', 'gelu', 'mish', 'log_sigmoid', 'hard_tanh', 'tanh_shrink'];
    for (const act of acts) {
      for (const format of ['keras', 'tfjs-layers'] as const) {
        const g = graphOf([null, 41], [{ name: 'a', op: 'Activation', attrs: { activation: act } }], { format });
        await sameOnBoth(g, { data: xs, shape: [1, 41] }, [], `${act} (${format})`);
      }
    }
    for (const [max, slope, th] of [[null, 0, 0], [6, 0, 0], [4, 0, 0], [null, 0.1, 0], [6, 0.1, 0], [null, 0, 1], [5, 0.2, 1]] as [number | null, number, number][]) {
      const g = graphOf([null, 41], [{ name: 'r', op: 'ReLU', attrs: { maxValue: max, negativeSlope: slope, threshold: th } }]);
      await sameOnBoth(g, { data: xs, shape: [1, 41] }, [], `ReLU(${max}, ${slope}, ${th})`);
    }
    const others: LayerSpec[][] = [
      [{ name: 'l', op: 'LeakyReLU', attrs: { negativeSlope: 0.3 } }],
      [{ name: 'e', op: 'ELU', attrs: { scale: 0.5 } }],
      [{ name: 't', op: 'ThresholdedReLU', attrs: { threshold: 1 } }],
      [{ name: 'p', op: 'ops.Add', attrs: { scalars: [{ position: 1, value: 3 }] } }, { name: 'q', op: 'ops.Subtract', attrs: { scalars: [{ position: 0, value: 1 }] } }, { name: 'm', op: 'ops.Multiply', inputs: ['p', 'q'] }, { name: 'dv', op: 'ops.Divide', attrs: { scalars: [{ position: 1, value: 6 }] } }, { name: 'mx', op: 'ops.Maximum', inputs: ['dv', 'x'] }, { name: 'mn', op: 'ops.Minimum', attrs: { scalars: [{ position: 1, value: 2 }] } }],
    ];
    for (const ls of others) await sameOnBoth(graphOf([null, 41], ls), { data: xs, shape: [1, 41] }, ls.map((l) => l.name), ls.map((l) => l.op).join(' '));
  });

  test('a model with a node that does not convert: auto runs it on TF.js and says why; explicit onnx is an error naming the node', async () => {
    const g = graphOf([null, 4], [{ name: 'lam', op: 'Lambda' }]);
    // Lambda cannot run anywhere, so test the choice on a graph that TF.js runs: a tf-domain op
    const store = new Map<string, Float32Array>();
    const tf = buildGraph({
      name: 't', format: 'keras', path: 'tf-op-model',
      nodes: [{ name: 'x', op: 'InputLayer', domain: 'keras', inputs: [], attrs: {} }, { name: 'sq', op: 'tf.Square', domain: 'tf', inputs: [{ node: 'x', output: 0 }], attrs: {}, weights: [] }],
      inputs: [{ name: 'x', shape: [null, 4] }], outputs: [{ node: 'sq', output: 0 }], loadWeights: async () => store,
    });
    const m = await loadModel(tf, { backend: 'auto' });
    try {
      assert.notEqual(m.backend.name, 'onnx');
      assert.match(m.backend.reason, /not onnx: node 'sq' is a TensorFlow graph op \(Square\)/);
      const y = await m.predict({ data: Float32Array.from([1, 2, 3, 4]), shape: [1, 4] });
      assert.deepEqual(Array.from(y.outputs[0].data), [1, 4, 9, 16]);
    } finally {
      m.dispose();
    }
    await assert.rejects(loadModel(tf, { backend: 'onnx' }), (e: unknown) => e instanceof RuntimeError && /backend 'onnx' cannot run this model: node 'sq'/.test(e.message));
    await assert.rejects(loadModel(g, { backend: 'onnx' }), (e: unknown) => e instanceof RuntimeError && /layer 'lam' \(Lambda\) has no ONNX conversion/.test(e.message));
  });

  test('a session serves any part of its captures; a run that asks for more rebuilds it; disposed runs fail', async () => {
    const g = graphOf([null, 6], [
      { name: 'd1', op: 'Dense', attrs: { units: 5, useBias: true, activation: 'relu' }, weights: [['kernel', [6, 5]], ['bias', [5]]] },
      { name: 'd2', op: 'Dense', attrs: { units: 3, useBias: true, activation: 'sigmoid' }, weights: [['kernel', [5, 3]], ['bias', [3]]] },
    ]);
    const input = { data: values(6, 5), shape: [1, 6] };
    const m = await loadModel(g, { backend: 'onnx', capture: ['d1'] });
    const w = await loadModel(g, { backend: 'wasm' });
    try {
      const full = await w.run(input, { capture: ['d1', 'd2'] });
      const none = await m.run(input);
      close(none.outputs[0].data, full.outputs[0].data, 'plain');
      assert.equal(none.captured.size, 0);
      const one = await m.run(input, { capture: ['d1'] });
      close(one.captured.get('d1')!.data, full.captured.get('d1')!.data, 'd1');
      const more = await m.run(input, { capture: ['d1', 'd2'] });
      close(more.captured.get('d2')!.data, full.captured.get('d2')!.data, 'd2 after a rebuild');
      await assert.rejects(m.run(input, { capture: ['nope'] }), /'nope' is not a node of the graph/);
    } finally {
      m.dispose();
      w.dispose();
    }
    await assert.rejects(m.run(input), /the model was unloaded/);
  });
});
