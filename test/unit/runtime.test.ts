/**
 * The runtime on TensorFlow.js (wasm backend, the fast one in Node):
 * - the Keras reference values (Keras 3.16 itself wrote them) for every gate of every SE block,
 * - op semantics on small hand-built graphs against plain-JS definitions,
 * - no tensor leaks, cancellation, clear errors, backend fallback.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { buildGraph, type RawNode } from '../../src/graph/build.js';
import { KNOWN_OPS } from '../../src/graph/rules/index.js';
import type { ModelFormat, ModelGraph, NodeAttrs, Shape, WeightSpec } from '../../src/graph/types.js';
import { currentBackend, excite, initBackend, loadModel, RUNNABLE_OPS, runtimeMemory, type HostTensor } from '../../src/runtime/index.js';
import { CancelledError, RuntimeError } from '../../src/util/errors.js';
import { attr, writeGraphModel } from '../support/tfjsWriter.js';
import { f32File, values } from '../support/arrays.js';

const KERAS = new URL('../../../shared/fixtures/keras/', import.meta.url).pathname;
const REF = `${KERAS}reference/`;
const IMAGES = new URL('../../../shared/images/', import.meta.url).pathname;
const TOL = 1e-4;



before(async () => {
  const b = await initBackend('wasm');
  assert.equal(b.name, 'wasm');
});

// ---------------------------------------------------------------------------------------------
// Keras reference values

interface RefBlock { multiply_layer: string; gate_layer: string; channels: number; excitation: number[] }
interface Ref { input: { file: string; shape: number[] }; se_blocks: RefBlock[]; output: { shape: number[]; values: number[]; argmax: number } }

const REFERENCES = [
  { model: 'cifar10_se_r8.keras', blocks: 9 },
  { model: 'cifar10_se_r8.h5', blocks: 9 },
  { model: 'mobilenet_v3_small.keras', blocks: 9 },
];

describe('Keras reference values (Keras 3.16, torch backend, float32)', () => {
  for (const { model, blocks } of REFERENCES) {
    test(`${model}: every gate of every block and every output value within ${TOL}`, async (t) => {
      const ref = JSON.parse(readFileSync(`${REF}${model}.reference.json`, 'utf8')) as Ref;
      const graph = await openModel(`${KERAS}${model}`);
      const report = analyze(graph);
      assert.equal(report.seBlocks.length, blocks);
      assert.equal(ref.se_blocks.length, blocks);
      const loaded = await loadModel(graph, { backend: 'wasm' });
      try {
        const input: HostTensor = { data: f32File(`${REF}${ref.input.file}`), shape: ref.input.shape };
        const result = await excite(loaded, report, input);
        assert.equal(result.preprocess, 'none');
        assert.deepEqual(result.inputShape, ref.input.shape);
        let maxGate = 0;
        let compared = 0;
        for (const rb of ref.se_blocks) {
          const ours = report.seBlocks.find((b) => b.scaleLayer === rb.multiply_layer);
          assert.ok(ours, `no block scales with '${rb.multiply_layer}'`);
          const got = result.blocks.find((b) => b.scaleLayer === rb.multiply_layer)!;
          assert.equal(got.channels, rb.channels);
          assert.equal(got.excitation.length, rb.excitation.length);
          assert.equal(got.nonFinite, 0);
          rb.excitation.forEach((v, i) => {
            const d = Math.abs(got.excitation[i] - v);
            maxGate = Math.max(maxGate, d);
            assert.ok(d <= TOL, `${model} block ${rb.multiply_layer} gate ${i}: ${got.excitation[i]} vs Keras ${v}`);
            compared++;
          });
        }
        assert.equal(compared, ref.se_blocks.reduce((a, b) => a + b.channels, 0));
        // the whole output, through a plain predict on the same loaded model
        const { outputs } = await loaded.predict(input);
        assert.deepEqual(outputs[0].shape, ref.output.shape);
        assert.equal(outputs[0].data.length, ref.output.values.length);
        let maxOut = 0;
        ref.output.values.forEach((v, i) => {
          const d = Math.abs(outputs[0].data[i] - v);
          maxOut = Math.max(maxOut, d);
          assert.ok(d <= TOL, `${model} output ${i}: ${outputs[0].data[i]} vs Keras ${v}`);
        });
        assert.equal(result.output.top5[0].index, ref.output.argmax);
        t.diagnostic(`${model}: ${compared} gates, max |gate - Keras| = ${maxGate.toExponential(2)}, max |output - Keras| = ${maxOut.toExponential(2)}`);
      } finally {
        loaded.dispose();
      }
    });
  }

  test('mobilenet_v3_small: the 6 gates on the hard-sigmoid clamps are exactly 0 and 1', async () => {
    const ref = JSON.parse(readFileSync(`${REF}mobilenet_v3_small.keras.reference.json`, 'utf8')) as Ref;
    const graph = await openModel(`${KERAS}mobilenet_v3_small.keras`);
    const report = analyze(graph);
    const loaded = await loadModel(graph);
    try {
      const result = await excite(loaded, report, { data: f32File(`${REF}${ref.input.file}`), shape: ref.input.shape });
      const clamped: string[] = [];
      for (const rb of ref.se_blocks) {
        const got = result.blocks.find((b) => b.scaleLayer === rb.multiply_layer)!;
        rb.excitation.forEach((v, i) => {
          if (v === 0 || v === 1) {
            assert.equal(got.excitation[i], v, `${rb.multiply_layer}[${i}] must be exactly ${v}`);
            clamped.push(`${rb.multiply_layer}=${v}`);
          } else {
            assert.ok(got.excitation[i] > 0 && got.excitation[i] < 1);
          }
        });
      }
      assert.equal(clamped.length, 6);
      assert.equal(clamped.filter((c) => c.endsWith('=0')).length, 3);
      assert.deepEqual(clamped.filter((c) => c.endsWith('=1')), Array(3).fill('expanded_conv_8_squeeze_excite_mul=1'));
    } finally {
      loaded.dispose();
    }
  });

  test('astronaut.png through decode + Pillow-exact resize + auto preset gives the reference gates', async () => {
    for (const [model, preset] of [['cifar10_se_r8.keras', 'unit'], ['mobilenet_v3_small.keras', 'raw']] as const) {
      const ref = JSON.parse(readFileSync(`${REF}${model}.reference.json`, 'utf8')) as Ref;
      const graph = await openModel(`${KERAS}${model}`);
      const report = analyze(graph);
      const loaded = await loadModel(graph);
      try {
        const r = await excite(loaded, report, `${IMAGES}astronaut.png`);
        assert.equal(r.preprocess, preset);
        assert.deepEqual(r.imageSize, { width: 512, height: 512 });
        for (const rb of ref.se_blocks) {
          const got = r.blocks.find((b) => b.scaleLayer === rb.multiply_layer)!;
          rb.excitation.forEach((v, i) => assert.ok(Math.abs(got.excitation[i] - v) <= TOL, `${model} ${rb.multiply_layer}[${i}]`));
        }
        assert.equal(r.output.top5[0].index, ref.output.argmax);
        assert.equal(r.output.top5.length, 5);
        assert.ok(r.output.top5.every((x, i, a) => i === 0 || a[i - 1].value >= x.value));
      } finally {
        loaded.dispose();
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-built graphs

interface LayerSpec {
  name: string;
  op: string;
  inputs?: string[];
  attrs?: NodeAttrs;
  /** Keras: by weight name in Keras order; TF: constants in input order. */
  weights?: [string, number[], ArrayLike<number>][];
}

/** A graph with one input `x` (or the given inputs), built by the real graph builder. */
function graphOf(inputShape: Shape, layers: LayerSpec[], opts: { format?: ModelFormat; domain?: 'keras' | 'tf'; inputs?: { name: string; shape: Shape }[]; outputs?: string[]; noWeights?: boolean } = {}): ModelGraph {
  const domain = opts.domain ?? 'keras';
  const inputs = opts.inputs ?? [{ name: 'x', shape: inputShape }];
  const store = new Map<string, Float32Array>();
  const nodes: RawNode[] = inputs.map((i) => ({ name: i.name, op: domain === 'tf' ? 'tf.Placeholder' : 'InputLayer', domain, inputs: [], attrs: {} }));
  let prev = inputs[0].name;
  for (const l of layers) {
    const weights: WeightSpec[] | undefined = l.weights?.map(([name, shape, v]) => {
      const id = `${l.name}/${name}`;
      store.set(id, Float32Array.from(v));
      const scalar = shape.every((d) => d === 1);
      return { id, name, shape, trainable: true, role: domain === 'tf' && scalar ? 'constant' : 'param' };
    });
    nodes.push({ name: l.name, op: l.op, domain, inputs: (l.inputs ?? [prev]).map((n) => ({ node: n, output: 0 })), attrs: l.attrs ?? {}, weights: weights ?? (domain === 'keras' ? undefined : []) });
    prev = l.name;
  }
  return buildGraph({
    name: 't',
    format: opts.format ?? (domain === 'tf' ? 'tfjs-graph' : 'keras'),
    path: 'test-model',
    nodes,
    inputs,
    outputs: (opts.outputs ?? [prev]).map((n) => ({ node: n, output: 0 })),
    loadWeights: opts.noWeights ? undefined : async () => store,
  });
}

async function runGraph(graph: ModelGraph, data: Float32Array, shape: number[], backend: 'wasm' | 'cpu' = 'wasm'): Promise<HostTensor> {
  const m = await loadModel(graph, { backend });
  try {
    return (await m.predict({ data, shape })).outputs[0];
  } finally {
    m.dispose();
  }
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5, what = ''): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const ok = Number.isNaN(want[i]) ? Number.isNaN(got[i]) : Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i]));
    assert.ok(ok, `${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

/** Plain NHWC convolution with TF's SAME/VALID padding (extra pad bottom/right), HWIO kernel. */
function convRef(x: Float32Array, [n, h, w, c]: number[], k: Float32Array, [kh, kw, , co]: number[], s: number[], d: number[], padding: 'same' | 'valid', depthwise = false) {
  const eh = (kh - 1) * d[0] + 1;
  const ew = (kw - 1) * d[1] + 1;
  const oh = padding === 'same' ? Math.ceil(h / s[0]) : Math.ceil((h - eh + 1) / s[0]);
  const ow = padding === 'same' ? Math.ceil(w / s[1]) : Math.ceil((w - ew + 1) / s[1]);
  const top = padding === 'same' ? Math.floor(Math.max((oh - 1) * s[0] + eh - h, 0) / 2) : 0;
  const left = padding === 'same' ? Math.floor(Math.max((ow - 1) * s[1] + ew - w, 0) / 2) : 0;
  const m = depthwise ? co : 1; // depthwise: k is [kh, kw, c, m]
  const cout = depthwise ? c * m : co;
  const out = new Float32Array(n * oh * ow * cout);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++)
        for (let o = 0; o < cout; o++) {
          let sum = 0;
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const iy = y * s[0] - top + i * d[0];
              const ix = xx * s[1] - left + j * d[1];
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const base = ((b * h + iy) * w + ix) * c;
              if (depthwise) {
                const ci = Math.floor(o / m);
                sum += x[base + ci] * k[((i * kw + j) * c + ci) * m + (o % m)];
              } else for (let ci = 0; ci < c; ci++) sum += x[base + ci] * k[((i * kw + j) * c + ci) * co + o];
            }
          out[((b * oh + y) * ow + xx) * cout + o] = sum;
        }
  return { data: out, shape: [n, oh, ow, cout] };
}

describe('op semantics', () => {
  test('every Keras layer the shape rules know can run', () => {
    // TF ops (`tf.` prefix) have shape rules for every op real converted graphs use; graph models run on tfjs-converter.
    const missing = KNOWN_OPS.filter((op) => !op.startsWith('tf.') && !RUNNABLE_OPS.includes(op));
    assert.deepEqual(missing, []);
  });

  test('activations: Keras 3 hard_sigmoid, hard_silu/hard_swish, silu/swish, gelu and friends', async () => {
    const xs = Float32Array.from({ length: 41 }, (_, i) => -5 + i * 0.25);
    const hs = (v: number) => Math.min(Math.max(v + 3, 0), 6) / 6;
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const erf = (v: number) => {
      // Abramowitz-Stegun 7.1.26 is too coarse; integrate the series instead.
      let sum = 0;
      let term = v;
      for (let n = 0; n < 60; n++) {
        sum += term / (2 * n + 1);
        term *= (-v * v) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const cases: Record<string, (v: number) => number> = {
      hard_sigmoid: hs,
      hard_silu: (v) => v * hs(v),
      hard_swish: (v) => v * hs(v),
      silu: (v) => v * sig(v),
      swish: (v) => v * sig(v),
      sigmoid: sig,
      relu: (v) => Math.max(v, 0),
      relu6: (v) => Math.min(Math.max(v, 0), 6),
      tanh: Math.tanh,
      elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
      softplus: (v) => Math.log1p(Math.exp(v)),
      softsign: (v) => v / (1 + Math.abs(v)),
      gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
      mish: (v) => v * Math.tanh(Math.log1p(Math.exp(v))),
      leaky_relu: (v) => (v > 0 ? v : 0.2 * v),
      linear: (v) => v,
    };
    for (const [act, fn] of Object.entries(cases)) {
      const g = graphOf([null, 41], [{ name: 'a', op: 'Activation', attrs: { activation: act } }]);
      const y = await runGraph(g, xs, [1, 41]);
      close(y.data, Array.from(xs, fn), 2e-5, act);
    }
    // exact clamps of the Keras 3 hard sigmoid
    const y = await runGraph(graphOf([null, 41], [{ name: 'a', op: 'Activation', attrs: { activation: 'hard_sigmoid' } }]), xs, [1, 41]);
    assert.equal(y.data[0], 0); // -5
    assert.equal(y.data[8], 0); // -3
    assert.equal(y.data[32], 1); // 3
    assert.equal(y.data[20], 0.5); // 0
  });

  test('hard_sigmoid of Keras 2 / tfjs-layers models is clip(0.2x + 0.5)', async () => {
    const xs = Float32Array.from([-3, -2.5, -1, 0, 1, 2.5, 3]);
    const g = graphOf([null, 7], [{ name: 'a', op: 'Activation', attrs: { activation: 'hard_sigmoid' } }], { format: 'tfjs-layers' });
    close((await runGraph(g, xs, [1, 7])).data, [0, 0, 0.3, 0.5, 0.7, 1, 1], 1e-6, 'keras2 hard_sigmoid');
  });

  test('ReLU layer (max_value, negative_slope, threshold), LeakyReLU, ELU, Softmax(axis), ThresholdedReLU', async () => {
    const xs = Float32Array.from([-4, -2, -0.5, 0, 0.5, 1, 2, 4, 7, 9]);
    const keras = (v: number, max: number | null, slope: number, th: number) => {
      // keras/src/activations ReLU.static_call: x * (x > threshold), clipped, minus slope * relu(threshold - x)
      if (v > th) return max !== null ? Math.min(v, max) : v;
      return slope * (v - th);
    };
    for (const [max, slope, th] of [[null, 0, 0], [6, 0, 0], [4, 0, 0], [null, 0.1, 0], [6, 0.1, 0], [null, 0, 1], [5, 0.2, 1]] as [number | null, number, number][]) {
      const g = graphOf([null, 10], [{ name: 'r', op: 'ReLU', attrs: { maxValue: max, negativeSlope: slope, threshold: th } }]);
      close((await runGraph(g, xs, [1, 10])).data, Array.from(xs, (v) => keras(v, max, slope, th)), 1e-6, `ReLU(${max},${slope},${th})`);
    }
    close((await runGraph(graphOf([null, 10], [{ name: 'l', op: 'LeakyReLU', attrs: { negativeSlope: 0.3 } }]), xs, [1, 10])).data, Array.from(xs, (v) => (v > 0 ? v : 0.3 * v)), 1e-6, 'LeakyReLU');
    close((await runGraph(graphOf([null, 10], [{ name: 'e', op: 'ELU', attrs: { scale: 0.5 } }]), xs, [1, 10])).data, Array.from(xs, (v) => (v > 0 ? v : 0.5 * (Math.exp(v) - 1))), 1e-6, 'ELU');
    close((await runGraph(graphOf([null, 10], [{ name: 't', op: 'ThresholdedReLU', attrs: {} }]), xs, [1, 10])).data, Array.from(xs, (v) => (v > 1 ? v : 0)), 1e-6, 'ThresholdedReLU');
    // softmax over axis 1 of [1, 2, 5]
    const sm = await runGraph(graphOf([null, 2, 5], [{ name: 's', op: 'Softmax', attrs: { axis: 1 } }]), xs, [1, 2, 5]);
    const want = Array.from(xs, (v, i) => {
      const j = i % 5;
      const a = Math.exp(xs[j]);
      const b = Math.exp(xs[5 + j]);
      return Math.exp(v) / (a + b);
    });
    close(sm.data, want, 1e-6, 'Softmax(axis=1)');
  });

  test('Keras Merge layers expand a lower-rank input at axis 1 ([N, C] gates scale [N, H, W, C] per sample)', async () => {
    const x = values(2 * 2 * 2 * 3, 1);
    // batch 2: numpy broadcasting would align [2, 3] with [.., W=2, C=3] and mix the samples
    const dense = values(3 * 3, 3);
    const g2 = graphOf([null, 2, 2, 3], [
      { name: 'gap', op: 'GlobalAveragePooling2D' },
      { name: 'fc', op: 'Dense', attrs: { units: 3, useBias: false, activation: 'linear' }, weights: [['kernel', [3, 3], dense]] },
      { name: 'mul', op: 'Multiply', inputs: ['x', 'fc'] },
    ]);
    const y = await runGraph(g2, x, [2, 2, 2, 3]);
    const want = new Float32Array(x.length);
    for (let n = 0; n < 2; n++) {
      const pooled = [0, 1, 2].map((c) => [0, 1, 2, 3].reduce((a, p) => a + x[(n * 4 + p) * 3 + c], 0) / 4);
      const s = [0, 1, 2].map((o) => pooled.reduce((a, v, c) => a + v * dense[c * 3 + o], 0));
      for (let p = 0; p < 4; p++) for (let c = 0; c < 3; c++) want[(n * 4 + p) * 3 + c] = x[(n * 4 + p) * 3 + c] * s[c];
    }
    close(y.data, want, 1e-5, 'Multiply([N,H,W,C], [N,C])');
  });

  test('Merge layers: Add, Subtract, Average, Maximum, Minimum, Concatenate', async () => {
    const x = values(12, 4);
    const specs: [string, (a: number, b: number) => number][] = [
      ['Add', (a, b) => a + b], ['Subtract', (a, b) => a - b], ['Average', (a, b) => (a + b) / 2], ['Maximum', Math.max], ['Minimum', Math.min],
    ];
    for (const [op, fn] of specs) {
      const g = graphOf([null, 12], [{ name: 'neg', op: 'Activation', attrs: { activation: 'tanh' } }, { name: 'm', op, inputs: ['x', 'neg'] }]);
      close((await runGraph(g, x, [1, 12])).data, Array.from(x, (v) => fn(v, Math.tanh(v))), 1e-6, op);
    }
    const g = graphOf([null, 2, 6], [{ name: 'r', op: 'Activation', attrs: { activation: 'relu' } }, { name: 'c', op: 'Concatenate', inputs: ['x', 'r'], attrs: { axis: -1 } }]);
    const y = await runGraph(g, x, [1, 2, 6]);
    assert.deepEqual(y.shape, [1, 2, 12]);
    close(y.data, [...x.slice(0, 6), ...Array.from(x.slice(0, 6), (v) => Math.max(v, 0)), ...x.slice(6), ...Array.from(x.slice(6), (v) => Math.max(v, 0))], 1e-6, 'Concatenate');
  });

  test('Keras 3 functional ops with scalars at their argument positions', async () => {
    const x = values(6, 5);
    const cases: [string, { position: number; value: number }[], (v: number) => number][] = [
      ['ops.Add', [{ position: 1, value: 3 }], (v) => v + 3],
      ['ops.Multiply', [{ position: 1, value: 1 / 6 }], (v) => v * Math.fround(1 / 6)],
      ['ops.Subtract', [{ position: 0, value: 3 }], (v) => 3 - v],
      ['ops.Subtract', [{ position: 1, value: 3 }], (v) => v - 3],
      ['ops.TrueDivide', [{ position: 0, value: 2 }], (v) => 2 / v],
      ['ops.Divide', [{ position: 1, value: 4 }], (v) => v / 4],
      ['ops.Maximum', [{ position: 1, value: 0.1 }], (v) => Math.max(v, 0.1)],
      ['ops.Minimum', [{ position: 0, value: 0.1 }], (v) => Math.min(v, 0.1)],
    ];
    for (const [op, scalars, fn] of cases) {
      const g = graphOf([null, 6], [{ name: 'o', op, attrs: { scalars } }]);
      close((await runGraph(g, x, [1, 6])).data, Array.from(x, fn), 1e-6, `${op} ${JSON.stringify(scalars)}`);
    }
  });

  test('Conv2D (same/valid, strides, dilation, groups, fused and unfused activations), DepthwiseConv2D, SeparableConv2D', async () => {
    const shape = [1, 7, 6, 4];
    const x = values(7 * 6 * 4, 6);
    const cases: { k: number[]; s: number[]; d: number[]; padding: 'same' | 'valid'; act: string }[] = [
      { k: [3, 3], s: [1, 1], d: [1, 1], padding: 'same', act: 'linear' },
      { k: [3, 3], s: [2, 2], d: [1, 1], padding: 'same', act: 'relu' },
      { k: [2, 3], s: [2, 1], d: [1, 1], padding: 'valid', act: 'swish' },
      { k: [3, 3], s: [1, 1], d: [2, 2], padding: 'same', act: 'hard_silu' },
      { k: [1, 1], s: [1, 1], d: [1, 1], padding: 'same', act: 'sigmoid' },
      { k: [3, 2], s: [1, 2], d: [1, 1], padding: 'valid', act: 'elu' },
      { k: [3, 3], s: [1, 1], d: [1, 1], padding: 'same', act: 'leaky_relu' },
    ];
    const act: Record<string, (v: number) => number> = {
      linear: (v) => v, relu: (v) => Math.max(v, 0), swish: (v) => v / (1 + Math.exp(-v)), hard_silu: (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6, sigmoid: (v) => 1 / (1 + Math.exp(-v)),
      elu: (v) => (v > 0 ? v : Math.exp(v) - 1), leaky_relu: (v) => (v > 0 ? v : 0.2 * v),
    };
    for (const c of cases) {
      const kshape = [c.k[0], c.k[1], 4, 5];
      const k = values(kshape.reduce((a, b) => a * b), 7);
      const bias = values(5, 8);
      const g = graphOf([null, 7, 6, 4], [{ name: 'conv', op: 'Conv2D', attrs: { filters: 5, kernelSize: c.k, strides: c.s, dilations: c.d, padding: c.padding, useBias: true, activation: c.act }, weights: [['kernel', kshape, k], ['bias', [5], bias]] }]);
      const y = await runGraph(g, x, shape);
      const want = convRef(x, shape, k, kshape, c.s, c.d, c.padding);
      assert.deepEqual(y.shape, want.shape, JSON.stringify(c));
      close(y.data, Array.from(want.data, (v, i) => act[c.act](v + bias[i % 5])), 1e-4, `Conv2D ${JSON.stringify(c)}`);
    }
    // groups = 2: each half of the channels has its own filters
    const kg = values(3 * 3 * 2 * 6, 9);
    const gg = graphOf([null, 7, 6, 4], [{ name: 'conv', op: 'Conv2D', attrs: { filters: 6, kernelSize: [3, 3], padding: 'same', groups: 2, useBias: false, activation: 'linear' }, weights: [['kernel', [3, 3, 2, 6], kg]] }]);
    const yg = await runGraph(gg, x, shape);
    const want = new Float32Array(7 * 6 * 6);
    for (let grp = 0; grp < 2; grp++) {
      const xs = Float32Array.from({ length: 7 * 6 * 2 }, (_, i) => x[Math.floor(i / 2) * 4 + grp * 2 + (i % 2)]);
      const ks = Float32Array.from({ length: 3 * 3 * 2 * 3 }, (_, i) => kg[Math.floor(i / 3) * 6 + grp * 3 + (i % 3)]);
      const r = convRef(xs, [1, 7, 6, 2], ks, [3, 3, 2, 3], [1, 1], [1, 1], 'same');
      r.data.forEach((v, i) => (want[Math.floor(i / 3) * 6 + grp * 3 + (i % 3)] = v));
    }
    close(yg.data, want, 1e-4, 'Conv2D groups=2');
    // depthwise with multiplier 2, stride 2, same
    const dk = values(3 * 3 * 4 * 2, 10);
    const gd = graphOf([null, 7, 6, 4], [{ name: 'dw', op: 'DepthwiseConv2D', attrs: { kernelSize: [3, 3], strides: [2, 2], padding: 'same', depthMultiplier: 2, useBias: false, activation: 'relu6' }, weights: [['depthwise_kernel', [3, 3, 4, 2], dk]] }]);
    const yd = await runGraph(gd, x, shape);
    const wd = convRef(x, shape, dk, [3, 3, 4, 2], [2, 2], [1, 1], 'same', true);
    assert.deepEqual(yd.shape, wd.shape);
    close(yd.data, Array.from(wd.data, (v) => Math.min(Math.max(v, 0), 6)), 1e-4, 'DepthwiseConv2D');
    // separable = depthwise then 1x1 pointwise, then bias
    const pk = values(8 * 3, 11);
    const sb = values(3, 12);
    const gs = graphOf([null, 7, 6, 4], [{ name: 'sep', op: 'SeparableConv2D', attrs: { filters: 3, kernelSize: [3, 3], padding: 'valid', depthMultiplier: 2, useBias: true, activation: 'linear' }, weights: [['depthwise_kernel', [3, 3, 4, 2], dk], ['pointwise_kernel', [1, 1, 8, 3], pk], ['bias', [3], sb]] }]);
    const ys = await runGraph(gs, x, shape);
    const mid = convRef(x, shape, dk, [3, 3, 4, 2], [1, 1], [1, 1], 'valid', true);
    const ws = convRef(mid.data, mid.shape, pk, [1, 1, 8, 3], [1, 1], [1, 1], 'valid');
    close(ys.data, Array.from(ws.data, (v, i) => v + sb[i % 3]), 1e-4, 'SeparableConv2D');
  });

  test('ZeroPadding2D then a valid conv equals TF same padding of the stride-2 MobileNet pattern; Cropping2D', async () => {
    const x = values(1 * 5 * 5 * 2, 13);
    const g = graphOf([null, 5, 5, 2], [{ name: 'pad', op: 'ZeroPadding2D', attrs: { pads: [[0, 1], [1, 2]] } }]);
    const y = await runGraph(g, x, [1, 5, 5, 2]);
    assert.deepEqual(y.shape, [1, 6, 8, 2]);
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 8; j++)
        for (let c = 0; c < 2; c++) {
          const inside = i < 5 && j >= 1 && j < 6;
          assert.equal(y.data[(i * 8 + j) * 2 + c], inside ? x[(i * 5 + j - 1) * 2 + c] : 0);
        }
    const cg = graphOf([null, 5, 5, 2], [{ name: 'crop', op: 'Cropping2D', attrs: { pads: [[1, 0], [2, 1]] } }]);
    const cy = await runGraph(cg, x, [1, 5, 5, 2]);
    assert.deepEqual(cy.shape, [1, 4, 2, 2]);
    assert.equal(cy.data[0], x[(1 * 5 + 2) * 2]);
  });

  test('BatchNormalization in inference, with and without gamma (scale) and beta (center); LayerNormalization', async () => {
    const x = values(2 * 2 * 3, 14, 3);
    const gamma = [0.5, 1.5, -1];
    const beta = [0.1, -0.2, 0.3];
    const mean = [0.2, -0.1, 0.05];
    const vari = [0.5, 2, 1.5];
    for (const [center, scale] of [[true, true], [false, true], [true, false], [false, false]]) {
      const weights: [string, number[], number[]][] = [];
      if (scale) weights.push(['gamma', [3], gamma]);
      if (center) weights.push(['beta', [3], beta]);
      weights.push(['moving_mean', [3], mean], ['moving_variance', [3], vari]);
      const g = graphOf([null, 2, 2, 3], [{ name: 'bn', op: 'BatchNormalization', attrs: { epsilon: 1e-3, center, scaleGamma: scale }, weights }]);
      const y = await runGraph(g, x, [1, 2, 2, 3]);
      close(y.data, Array.from(x, (v, i) => { const c = i % 3; return ((v - mean[c]) / Math.sqrt(vari[c] + 1e-3)) * (scale ? gamma[c] : 1) + (center ? beta[c] : 0); }), 1e-5, `BN center=${center} scale=${scale}`);
    }
    const lg = graphOf([null, 4, 3], [{ name: 'ln', op: 'LayerNormalization', attrs: { epsilon: 1e-3, center: true, scaleGamma: true }, weights: [['gamma', [3], gamma], ['beta', [3], beta]] }]);
    const ly = await runGraph(lg, x, [1, 4, 3]);
    const want: number[] = [];
    for (let r = 0; r < 4; r++) {
      const row = Array.from(x.slice(r * 3, r * 3 + 3));
      const m = row.reduce((a, b) => a + b) / 3;
      const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 3;
      row.forEach((e, c) => want.push(((e - m) / Math.sqrt(v + 1e-3)) * gamma[c] + beta[c]));
    }
    close(ly.data, want, 1e-5, 'LayerNormalization');
  });

  test('Dense on rank 4, Rescaling, Dropout/GaussianNoise identity, Reshape, Flatten, pooling', async () => {
    const x = values(1 * 4 * 4 * 3, 15);
    const k = values(3 * 2, 16);
    const b = [0.5, -0.5];
    const g = graphOf([null, 4, 4, 3], [
      { name: 'resc', op: 'Rescaling', attrs: { scale: 2, offset: -1 } },
      { name: 'drop', op: 'Dropout', attrs: { rate: 0.5 } },
      { name: 'noise', op: 'GaussianNoise' },
      { name: 'fc', op: 'Dense', attrs: { units: 2, useBias: true, activation: 'relu' }, weights: [['kernel', [3, 2], k], ['bias', [2], b]] },
    ]);
    const y = await runGraph(g, x, [1, 4, 4, 3]);
    assert.deepEqual(y.shape, [1, 4, 4, 2]);
    const want: number[] = [];
    for (let p = 0; p < 16; p++) for (let o = 0; o < 2; o++) want.push(Math.max(0, [0, 1, 2].reduce((a, c) => a + (x[p * 3 + c] * 2 - 1) * k[c * 2 + o], b[o])));
    close(y.data, want, 1e-5, 'Rescaling -> Dropout -> Dense(rank 4)');
    // pooling: same padding leaves padded cells out of the average
    for (const [op, padding, reduce] of [['AveragePooling2D', 'same', 'avg'], ['MaxPooling2D', 'valid', 'max'], ['AveragePooling2D', 'valid', 'avg']] as const) {
      const pg = graphOf([null, 5, 5, 1], [{ name: 'p', op, attrs: { poolSize: [2, 2], strides: [2, 2], padding } }]);
      const xs = values(25, 17);
      const py = await runGraph(pg, xs, [1, 5, 5, 1]);
      const o = padding === 'same' ? 3 : 2;
      assert.deepEqual(py.shape, [1, o, o, 1]);
      const want2: number[] = [];
      for (let i = 0; i < o; i++)
        for (let j = 0; j < o; j++) {
          const cells = [[0, 0], [0, 1], [1, 0], [1, 1]].map(([a, c]) => [2 * i + a, 2 * j + c]).filter(([r, c]) => r < 5 && c < 5).map(([r, c]) => xs[r * 5 + c]);
          want2.push(reduce === 'max' ? Math.max(...cells) : cells.reduce((a, v) => a + v) / cells.length);
        }
      close(py.data, want2, 1e-6, `${op} ${padding}`);
    }
    const rg = graphOf([null, 4, 4, 3], [{ name: 'gmp', op: 'GlobalMaxPooling2D', attrs: { keepdims: true } }, { name: 'rs', op: 'Reshape', attrs: { targetShape: [3, -1] } }, { name: 'fl', op: 'Flatten' }]);
    const ry = await runGraph(rg, x, [1, 4, 4, 3]);
    assert.deepEqual(ry.shape, [1, 3]);
    close(ry.data, [0, 1, 2].map((c) => Math.max(...Array.from({ length: 16 }, (_, p) => x[p * 3 + c]))), 1e-7, 'GlobalMaxPooling2D');
  });

  test('TF graph ops: _FusedConv2D (BiasAdd, Relu6, explicit pads), depthwise, FusedBatchNormV3, Mean, AddV2/Mul scalars, _FusedMatMul, Reshape, Pad, MirrorPad, ConcatV2, Squeeze, ExpandDims', async () => {
    const x = values(1 * 5 * 5 * 2, 18);
    const k = values(3 * 3 * 2 * 3, 19);
    const bias = [0.1, -0.2, 0.3];
    const tf = (l: LayerSpec) => ({ ...l, op: `tf.${l.op}` });
    const g = graphOf([1, 5, 5, 2], [
      tf({ name: 'conv', op: '_FusedConv2D', attrs: { padding: 'explicit', pads: [[1, 1], [0, 2]], strides: [1, 1], dilations: [1, 1], fusedOps: ['BiasAdd', 'Relu6'], activation: 'relu6' }, weights: [['filter', [3, 3, 2, 3], k], ['bias', [3], bias]] }),
      tf({ name: 'bn', op: 'FusedBatchNormV3', attrs: { epsilon: 1e-3 }, weights: [['scale', [3], [1, 2, 3]], ['offset', [3], [0, 0.5, 1]], ['mean', [3], [0.1, 0.2, 0.3]], ['var', [3], [1, 1, 4]]] }),
      tf({ name: 'add', op: 'AddV2', attrs: { scalars: [{ position: 1, value: 3 }] }, weights: [['y', [], [3]]] }),
      tf({ name: 'mul', op: 'Mul', attrs: { scalars: [{ position: 0, value: 0.5 }] }, weights: [['a', [], [0.5]]] }),
      tf({ name: 'mean', op: 'Mean', attrs: { axis: [1, 2], keepdims: false }, weights: [['axes', [2], [1, 2]]] }),
      tf({ name: 'fc', op: '_FusedMatMul', attrs: { transposeB: true, fusedOps: ['BiasAdd'] }, weights: [['w', [2, 3], [1, 0, -1, 0.5, 0.5, 0.5]], ['b', [2], [1, -1]]] }),
      tf({ name: 'sub', op: 'Sub', attrs: { scalars: [{ position: 0, value: 10 }] }, weights: [['c', [], [10]]] }),
    ], { domain: 'tf' });
    const y = await runGraph(g, x, [1, 5, 5, 2]);
    // reference by hand
    const xp = new Float32Array(7 * 7 * 2);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) for (let c = 0; c < 2; c++) xp[((i + 1) * 7 + j) * 2 + c] = x[(i * 5 + j) * 2 + c];
    const conv = convRef(xp, [1, 7, 7, 2], k, [3, 3, 2, 3], [1, 1], [1, 1], 'valid');
    assert.deepEqual(conv.shape, [1, 5, 5, 3]);
    const sc = [1, 2, 3], of = [0, 0.5, 1], mu = [0.1, 0.2, 0.3], va = [1, 1, 4];
    const pooled = [0, 0, 0];
    conv.data.forEach((v, i) => {
      const c = i % 3;
      const r6 = Math.min(Math.max(v + bias[c], 0), 6);
      const bn = ((r6 - mu[c]) / Math.sqrt(va[c] + 1e-3)) * sc[c] + of[c];
      pooled[c] += ((bn + 3) * 0.5) / 25;
    });
    const fc = [pooled[0] - pooled[2] + 1, 0.5 * (pooled[0] + pooled[1] + pooled[2]) - 1];
    close(y.data, fc.map((v) => 10 - v), 1e-4, 'TF chain');

    const shapes = graphOf([1, 2, 3, 1], [
      tf({ name: 'pad', op: 'Pad', weights: [['p', [4, 2], [0, 0, 1, 0, 0, 1, 0, 0]]], attrs: { pads: [[1, 0], [0, 1]] } }),
      tf({ name: 'mpad', op: 'MirrorPad', weights: [['p', [4, 2], [0, 0, 0, 0, 1, 1, 0, 0]]], attrs: { pads: [[0, 0], [1, 1]], mode: 'reflect' } }),
      tf({ name: 'sq', op: 'Squeeze', attrs: { axis: [3] } }),
      tf({ name: 'rs', op: 'Reshape', weights: [['s', [3], [-1, 3, 6]]], attrs: { targetShape: [-1, 3, 6] } }),
      tf({ name: 'ed', op: 'ExpandDims', weights: [['a', [], [1]]], attrs: { axis: 1 } }),
      tf({ name: 'cat', op: 'ConcatV2', inputs: ['ed', 'ed'], weights: [['axis', [], [1]]], attrs: { axis: 1 } }),
    ], { domain: 'tf' });
    const xs = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const s = await runGraph(shapes, xs, [1, 2, 3, 1]);
    assert.deepEqual(s.shape, [1, 2, 3, 6]);
    // pad -> [[0,0,0,0],[1,2,3,0],[4,5,6,0]]; mirror (reflect) on the width by 1
    const rows = [[0, 0, 0, 0], [1, 2, 3, 0], [4, 5, 6, 0]].map((r) => [r[1], ...r, r[2]]);
    assert.deepEqual(Array.from(s.data), [...rows.flat(), ...rows.flat()]);
  });

  test('a tfjs graph model read from disk (converter layout: Const nodes, int32 axes, fused ops, Identity output)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'se-graph-'));
    try {
      const v = (n: number, seed: number) => Array.from(values(n, seed, 0.5));
      const w0 = v(3 * 3 * 3 * 8, 31), b0 = v(8, 32), m1 = v(8 * 2, 33), b1 = v(2, 34), w2 = v(2 * 8, 35), b2 = v(8, 36), wh = v(8 * 4, 37);
      const nodes = [
        { name: 'input', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: attr.shape([-1, 6, 6, 3]) } },
        // num_args: the count of fused operands after the filter, as the converter writes it (TF.js needs it)
        { name: 'features', op: '_FusedConv2D', input: ['input', 'w0', 'b0'], attr: { strides: attr.ints([1, 2, 2, 1]), padding: attr.s('SAME'), fused_ops: attr.strs(['BiasAdd', 'Relu']), data_format: attr.s('NHWC'), num_args: { i: '1' } } },
        { name: 'se/Mean', op: 'Mean', input: ['features', 'se/axes'], attr: { keep_dims: attr.b(false) } },
        { name: 'se/reduce', op: '_FusedMatMul', input: ['se/Mean', 'm1', 'b1'], attr: { fused_ops: attr.strs(['BiasAdd', 'Relu']), num_args: { i: '1' } } },
        { name: 'se/expand', op: '_FusedConv2D', input: ['se/r4', 'w2', 'b2'], attr: { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID'), fused_ops: attr.strs(['BiasAdd']), num_args: { i: '1' } } },
        { name: 'se/r4', op: 'Reshape', input: ['se/reduce', 'se/shape'] },
        { name: 'se/add', op: 'AddV2', input: ['se/expand', 'se/three'] },
        { name: 'se/relu6', op: 'Relu6', input: ['se/add'] },
        { name: 'se/gate', op: 'Mul', input: ['se/relu6', 'se/sixth'] },
        { name: 'se/scale', op: 'Mul', input: ['features', 'se/gate'] },
        { name: 'head/Mean', op: 'Mean', input: ['se/scale', 'se/axes'], attr: { keep_dims: attr.b(false) } },
        { name: 'logits', op: 'MatMul', input: ['head/Mean', 'wh'] },
        { name: 'Identity', op: 'Identity', input: ['logits'] },
      ];
      const consts = [
        { name: 'w0', shape: [3, 3, 3, 8], values: w0 }, { name: 'b0', shape: [8], values: b0 },
        { name: 'se/axes', shape: [2], values: [1, 2], dtype: 'int32' as const },
        { name: 'm1', shape: [8, 2], values: m1 }, { name: 'b1', shape: [2], values: b1 },
        { name: 'se/shape', shape: [4], values: [-1, 1, 1, 2], dtype: 'int32' as const },
        { name: 'w2', shape: [1, 1, 2, 8], values: w2 }, { name: 'b2', shape: [8], values: b2 },
        { name: 'se/three', shape: [], values: [3] }, { name: 'se/sixth', shape: [], values: [1 / 6] },
        { name: 'wh', shape: [8, 4], values: wh },
      ];
      const graph = await openModel(writeGraphModel(dir, nodes, consts));
      const report = analyze(graph);
      assert.equal(report.seBlocks.length, 1);
      assert.equal(report.seBlocks[0].gateLayer, 'se/gate');
      const x = values(6 * 6 * 3, 38, 2);
      const m = await loadModel(graph);
      let r;
      try {
        r = await excite(m, report, { data: x, shape: [1, 6, 6, 3] });
      } finally {
        m.dispose();
      }
      // by hand
      const conv = convRef(x, [1, 6, 6, 3], Float32Array.from(w0), [3, 3, 3, 8], [2, 2], [1, 1], 'same');
      const feat = Array.from(conv.data, (val, i) => Math.max(0, val + b0[i % 8]));
      const mean = (t: number[]) => [...Array(8).keys()].map((c) => t.filter((_, i) => i % 8 === c).reduce((a, b) => a + b) / 9);
      const z = mean(feat);
      const red = [0, 1].map((o) => Math.max(0, z.reduce((a, zc, c) => a + zc * m1[c * 2 + o], b1[o])));
      const gate = [...Array(8).keys()].map((o) => Math.min(Math.max(red[0] * w2[o] + red[1] * w2[8 + o] + b2[o] + 3, 0), 6) * Math.fround(1 / 6));
      close(r.blocks[0].excitation, gate, 1e-5, 'graph gate');
      const pooled = mean(feat.map((f, i) => f * gate[i % 8]));
      const logits = [0, 1, 2, 3].map((o) => pooled.reduce((a, p, c) => a + p * wh[c * 4 + o], 0));
      assert.deepEqual(r.output.shape, [1, 4]);
      const top = [...logits.keys()].sort((a, b) => logits[b] - logits[a]);
      assert.deepEqual(r.output.top5.map((t) => t.index), top);
      close(r.output.top5.map((t) => t.value), top.map((i) => logits[i]), 1e-5, 'graph logits');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('unknown ops and Lambda are refused at load naming the layer; a model without weights cannot run', async () => {
    const foo = graphOf([null, 4], [{ name: 'mystery', op: 'Foo' }]);
    await assert.rejects(loadModel(foo), (e: unknown) => e instanceof RuntimeError && e.message === "cannot run layer 'mystery': unsupported op 'Foo'");
    const lambda = graphOf([null, 4], [{ name: 'lam', op: 'Lambda' }, { name: 'act', op: 'Activation', attrs: { activation: 'relu' } }]);
    await assert.rejects(loadModel(lambda), /cannot run layer 'lam': unsupported op 'Lambda'/);
    const tfFoo = graphOf([1, 4], [{ name: 'op1', op: 'tf.Cumsum' }], { domain: 'tf' });
    await assert.rejects(loadModel(tfFoo), /cannot run layer 'op1': unsupported op 'Cumsum'/);
    const arch = graphOf([null, 4], [{ name: 'act', op: 'Activation', attrs: { activation: 'relu' } }], { format: 'keras-json', noWeights: true });
    await assert.rejects(loadModel(arch), (e: unknown) => e instanceof RuntimeError && /architecture only, no weights/.test(e.message));
    // a missing weight is named
    const missing = graphOf([null, 3], [{ name: 'fc', op: 'Dense', attrs: { units: 2, useBias: false, activation: 'linear' }, weights: [['kernel', [3, 2], [1, 2, 3]]] }]);
    await assert.rejects(loadModel(missing), /layer 'fc'.*holds 3 values.*needs 6/);
    // a wrong input shape is refused before running
    const ok = graphOf([null, 3], [{ name: 'act', op: 'Activation', attrs: { activation: 'relu' } }]);
    const m = await loadModel(ok);
    try {
      await assert.rejects(m.predict({ data: new Float32Array(4), shape: [1, 4] }), /input has shape \[1, 4\], but the model takes \[any, 3\]/);
    } finally {
      m.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Excitation runs: NaN counting, multi-input, leaks, cancellation, repeated runs

/** A tiny SE model: x [N,4,4,2] -> GAP -> Dense(1, relu) -> Dense(2, sigmoid) -> Multiply. */
function tinySe(expandBias: number[]): ModelGraph {
  return graphOf([null, 4, 4, 2], [
    { name: 'se_squeeze', op: 'GlobalAveragePooling2D' },
    { name: 'se_reduce', op: 'Dense', attrs: { units: 1, useBias: true, activation: 'relu' }, weights: [['kernel', [2, 1], [1, 1]], ['bias', [1], [0.5]]] },
    { name: 'se_expand', op: 'Dense', attrs: { units: 2, useBias: true, activation: 'sigmoid' }, weights: [['kernel', [1, 2], [1, -1]], ['bias', [2], expandBias]] },
    { name: 'se_scale', op: 'Multiply', inputs: ['x', 'se_expand'] },
  ]);
}

describe('excitation runs', () => {
  test('NaN/Inf gate values are counted per block, never averaged in', async () => {
    const g = tinySe([NaN, 0]);
    const report = analyze(g);
    assert.equal(report.seBlocks.length, 1);
    const m = await loadModel(g);
    try {
      const r = await excite(m, report, { data: new Float32Array(32).fill(1), shape: [1, 4, 4, 2] });
      const b = r.blocks[0];
      assert.equal(b.gateLayer, 'se_expand');
      assert.equal(b.nonFinite, 1);
      assert.ok(Number.isNaN(b.excitation[0]));
      // reduce: relu(1 + 1 + 0.5) = 2.5; expand channel 1: sigmoid(-2.5 + 0)
      const want = 1 / (1 + Math.exp(2.5));
      assert.ok(Math.abs(b.excitation[1] - want) < 1e-6);
      assert.ok(Math.abs(b.stats.mean - want) < 1e-6 && b.stats.min === b.stats.max && b.stats.std === 0);
      assert.equal(r.output.nonFinite, 16);
    } finally {
      m.dispose();
    }
  });

  test('a model with two inputs: the tensor goes to the image input, the other gets zeros or its given value, and the result says so', async () => {
    const g = graphOf([null, 4, 4, 2], [{ name: 'sum', op: 'Add', inputs: ['a', 'b'] }], { inputs: [{ name: 'a', shape: [null, 4, 4, 2] }, { name: 'b', shape: [null, 4, 4, 2] }] });
    const x = values(32, 5);
    for (const [given, value] of [[undefined, 'zeros'], [0.25, 'given 0.25']] as const) {
      const m = await loadModel(g, { inputs: given === undefined ? {} : { b: given } });
      try {
        const r = await excite(m, analyze(g), { data: x, shape: [1, 4, 4, 2] });
        assert.deepEqual(r.inputs, [
          { name: 'a', shape: [1, 4, 4, 2], dtype: 'float32', value: 'image' },
          { name: 'b', shape: [1, 4, 4, 2], dtype: 'float32', value },
        ]);
        assert.deepEqual(r.output.top5[0], { index: r.output.top5[0].index, value: Math.fround(x[r.output.top5[0].index] + (given ?? 0)) });
      } finally {
        m.dispose();
      }
    }
    await assert.rejects(loadModel(g, { inputs: { c: 1 } }), (e: unknown) => e instanceof RuntimeError && /no input named 'c' \(its inputs: a, b\)/.test(e.message));
  });

  test('no tensor leaks: loads, runs with and without capture, failures and cancellations return to the baseline', async () => {
    const graph = await openModel(`${KERAS}cifar10_se_r8.keras`);
    const report = analyze(graph);
    const input = { data: f32File(`${REF}cifar10_se_r8.input.f32`), shape: [1, 32, 32, 3] };
    const base = runtimeMemory().numTensors;
    const m = await loadModel(graph);
    const loaded = runtimeMemory().numTensors;
    assert.ok(loaded > base, 'the weights are uploaded once, at load');
    for (let i = 0; i < 3; i++) {
      await excite(m, report, input);
      assert.equal(runtimeMemory().numTensors, loaded, `after capture run ${i}`);
      await m.predict(input);
      assert.equal(runtimeMemory().numTensors, loaded, `after predict ${i}`);
    }
    const ac = new AbortController();
    await assert.rejects(m.run(input, { capture: report.seBlocks.map((b) => b.gateLayer), signal: ac.signal, onProgress: (d) => d === 20 && ac.abort() }), CancelledError);
    assert.equal(runtimeMemory().numTensors, loaded, 'after a cancelled run');
    await assert.rejects(m.run(input, { capture: ['no_such_layer'] }), /no_such_layer/);
    assert.equal(runtimeMemory().numTensors, loaded, 'after a failed run');
    m.dispose();
    assert.equal(runtimeMemory().numTensors, base, 'after dispose');
    await assert.rejects(m.predict(input), /disposed/);
  });

  test('cancellation: an abort between nodes stops the run with CancelledError; the model stays usable', async () => {
    const graph = await openModel(`${KERAS}mobilenet_v3_small.keras`);
    const report = analyze(graph);
    const m = await loadModel(graph);
    try {
      const input = { data: f32File(`${REF}mobilenet_v3_small.input.f32`), shape: [1, 224, 224, 3] };
      const pre = new AbortController();
      pre.abort();
      await assert.rejects(excite(m, report, input, { signal: pre.signal }), CancelledError);
      const ac = new AbortController();
      let last = 0;
      await assert.rejects(excite(m, report, input, { signal: ac.signal, onProgress: (done) => { last = done; if (done === 50) ac.abort(); } }), CancelledError);
      assert.equal(last, 50, 'no node runs after the abort');
      // an abort from a timer lands during a run too (the run yields to the event loop)
      const timed = new AbortController();
      setTimeout(() => timed.abort(), 5);
      const slow = excite(m, report, input, { signal: timed.signal, onProgress: () => { const t = Date.now(); while (Date.now() - t < 1); } });
      await assert.rejects(slow, CancelledError);
      const r = await excite(m, report, input);
      assert.equal(r.blocks.length, 9);
    } finally {
      m.dispose();
    }
  });

  test('weights are uploaded once: repeated runs are fast and capture costs what predict costs', async (t) => {
    const graph = await openModel(`${KERAS}mobilenet_v3_small.keras`);
    const report = analyze(graph);
    const m = await loadModel(graph, { warmup: true });
    try {
      const input = { data: f32File(`${REF}mobilenet_v3_small.input.f32`), shape: [1, 224, 224, 3] };
      const capture = report.seBlocks.map((b) => b.gateLayer);
      const before = runtimeMemory().numTensors;
      const times = { predict: [] as number[], capture: [] as number[] };
      for (let i = 0; i < 5; i++) {
        times.predict.push((await m.predict(input)).ms);
        times.capture.push((await m.run(input, { capture })).ms);
      }
      assert.equal(runtimeMemory().numTensors, before);
      const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
      const ratio = med(times.capture) / med(times.predict);
      t.diagnostic(`mobilenet_v3_small 224 wasm: load ${m.timings.total.toFixed(0)} ms (warm-up ${m.timings.warmup?.toFixed(0)} ms), predict median ${med(times.predict).toFixed(1)} ms, capture median ${med(times.capture).toFixed(1)} ms, ratio ${ratio.toFixed(2)}`);
      assert.ok(ratio < 1.5, `capture/predict = ${ratio.toFixed(2)}`);
      assert.ok(med(times.predict) < 1000, 'a warm 224x224 MobileNetV3 run takes well under a second on wasm');
    } finally {
      m.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Backends

describe('backends', () => {
  test("explicit 'tfjs-node' that cannot load is a RuntimeError saying why; the running backend is untouched", async (t) => {
    let installed = false;
    try {
      const spec = '@tensorflow/tfjs-node';
      await import(spec);
      installed = true;
    } catch {
      /* not installable here */
    }
    if (installed) return t.skip('@tensorflow/tfjs-node is installed on this machine');
    await assert.rejects(initBackend('tfjs-node'), (e: unknown) => e instanceof RuntimeError && /backend 'tfjs-node' is not available: @tensorflow\/tfjs-node is not installed/.test(e.message) && !e.message.includes('\n'));
    assert.equal(currentBackend()?.name, 'wasm');
    const auto = await initBackend('auto');
    assert.equal(auto.name, 'wasm');
    const cpu = await initBackend('cpu');
    assert.equal(cpu.name, 'cpu');
    // the same tiny model on cpu gives the same numbers as on wasm
    const g = tinySe([0.25, -0.25]);
    const x = values(32, 21);
    const onCpu = await runGraph(g, x, [1, 4, 4, 2], 'cpu');
    assert.equal(currentBackend()?.name, 'cpu');
    const onWasm = await runGraph(g, x, [1, 4, 4, 2]);
    close(onCpu.data, onWasm.data, 1e-6, 'cpu vs wasm');
    assert.equal(currentBackend()?.name, 'wasm');
  });
});
