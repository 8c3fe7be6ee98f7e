// SE detection by dataflow on small TF.js graph models written here: every spelling of squeeze,
// linear layers, activations and scale that converted models use, and what must stay rejected.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { GraphBuilder } from '../support/graphBuilder.js';
import { attr } from '../support/tfjsWriter.js';

const tmp = mkdtempSync(join(tmpdir(), 'se-spell-'));
let k = 0;

const C = 16;
const W = 4;
const HW = 8;

/** The SE test graphs: an 8x8x3 image, a 3x3 conv to C channels (`features`), then the block. */
class G extends GraphBuilder {
  constructor() {
    super();
    this.input('input', [1, HW, HW, 3]);
  }
  conv1x1(x: string, cin: number, cout: number, fused: string[] = ['BiasAdd']) {
    return this.conv(x, 1, cin, cout, { fused });
  }
  features() {
    return this.conv('input', 3, 3, C, { fused: ['BiasAdd', 'Relu'], padding: 'SAME' }, 'features');
  }
  mean(x: string, keep = true) {
    return this.op('Mean', [x, this.ints([1, 2])], { keep_dims: attr.b(keep) }, 'squeeze');
  }
  finish(out: string) {
    return this.write(join(tmp, `g${k++}`), [out]);
  }
}

async function inspect(g: G, out: string) {
  return analyze(await openModel(g.finish(out)));
}

/** features -> squeeze -> reduce (fused relu) -> expand -> gate(...) -> Mul(features, gate). */
function standard(gate: (g: G, x: string) => string, opts: { gateFirst?: boolean; squeeze?: (g: G, x: string) => string; reduce?: (g: G, x: string) => string } = {}) {
  const g = new G();
  const x = g.features();
  const s = opts.squeeze ? opts.squeeze(g, x) : g.mean(x);
  const r = opts.reduce ? opts.reduce(g, s) : g.conv1x1(s, C, W, ['BiasAdd', 'Relu']);
  const e = g.conv1x1(r, W, C);
  const gt = gate(g, e);
  const scale = g.op('Mul', opts.gateFirst ? [gt, x] : [x, gt], {}, 'scale');
  return { g, out: scale };
}

async function one(spec: ReturnType<typeof standard>) {
  const r = await inspect(spec.g, spec.out);
  assert.equal(r.seBlocks.length, 1, `SE blocks: ${JSON.stringify(r.seBlocks.map((b) => b.name))} warnings: ${r.warnings.join('; ')}`);
  const b = r.seBlocks[0];
  assert.equal(b.channels, C);
  assert.equal(b.squeezedWidth, W);
  assert.equal(b.scaleLayer, 'scale');
  assert.equal(b.scaledLayer, 'features');
  return b;
}

const hardSigmoid = (sixth: number, float16: boolean) => (g: G, x: string) => g.op('Mul', [g.op('Relu6', [g.op('AddV2', [x, g.scalar(3, float16)])]), g.scalar(sixth, float16)]);

test('hard sigmoid with 1/6 stored as float16 (0.1666259765625) is hard_sigmoid', async () => {
  const b = await one(standard(hardSigmoid(1 / 6, true)));
  assert.equal(b.gate, 'hard_sigmoid');
  assert.equal(b.reductionActivation, 'relu');
});

test('the same 0.1666259765625 stored as float32 is not 1/6: a custom gate, still an SE block', async () => {
  const b = await one(standard(hardSigmoid(0.1666259765625, false)));
  assert.equal(b.gate, 'custom (AddV2, Relu6, Mul)');
});

test('relu as Maximum(x, 0) with the constant first, sigmoid as 1 / (1 + exp(-x))', async () => {
  const b = await one(
    standard((g, x) => g.op('Reciprocal', [g.op('AddV2', [g.scalar(1), g.op('Exp', [g.op('Neg', [x])])])]), {
      reduce: (g, s) => g.op('Maximum', [g.scalar(0), g.conv1x1(s, C, W)]),
    }),
  );
  assert.equal(b.reductionActivation, 'relu');
  assert.equal(b.gate, 'sigmoid');
});

test('sigmoid as RealDiv(1, 1 + exp(-x)); the gate as the left operand of the scale', async () => {
  const b = await one(standard((g, x) => g.op('RealDiv', [g.scalar(1), g.op('AddV2', [g.op('Exp', [g.op('Neg', [x])]), g.scalar(1)])]), { gateFirst: true }));
  assert.equal(b.gate, 'sigmoid');
});

test('squeeze as Sum over H and W divided by H*W, without keepdims, then ExpandDims twice', async () => {
  const b = await one(
    standard((g, x) => g.op('Sigmoid', [x]), {
      squeeze: (g, x) => {
        const sum = g.op('Sum', [x, g.const([2], [1, 2], { dtype: 'int32' })], { keep_dims: attr.b(false) }, 'squeeze');
        const avg = g.op('RealDiv', [sum, g.scalar(HW * HW)]);
        return g.op('ExpandDims', [g.op('ExpandDims', [avg, g.const([], [1], { dtype: 'int32' })]), g.const([], [1], { dtype: 'int32' })]);
      },
    }),
  );
  assert.equal(b.squeeze, 'avg');
  assert.equal(b.squeezeLayer, 'squeeze');
});

test('a Sum over H and W that is not divided by H*W is not an average: no SE block', async () => {
  const { g, out } = standard((gg, x) => gg.op('Sigmoid', [x]), { squeeze: (gg, x) => gg.op('Sum', [x, gg.const([2], [1, 2], { dtype: 'int32' })], { keep_dims: attr.b(true) }) });
  assert.equal((await inspect(g, out)).seBlocks.length, 0);
});

test('squeeze as a full-window AvgPool', async () => {
  const b = await one(
    standard((g, x) => g.op('Sigmoid', [x]), {
      squeeze: (g, x) => g.op('AvgPool', [x], { ksize: attr.ints([1, HW, HW, 1]), strides: attr.ints([1, HW, HW, 1]), padding: attr.s('VALID') }, 'squeeze'),
    }),
  );
  assert.equal(b.squeeze, 'avg');
});

test('Dense spelled MatMul + Add(bias, x) with the bias first, and folded BatchNorm Mul/Add vectors; hard swish as x * relu6(x + 3) / 6', async () => {
  const b = await one(
    standard((g, x) => g.op('Sigmoid', [x]), {
      squeeze: (g, x) => g.op('Reshape', [g.mean(x, false), g.const([4], [1, 1, 1, C], { dtype: 'int32' })]),
      reduce: (g, s) => {
        const flat = g.op('Reshape', [s, g.const([2], [1, C], { dtype: 'int32' })]);
        const mm = g.op('MatMul', [flat, g.const([C, W])]);
        const biased = g.op('AddV2', [g.const([W]), mm]);
        const bn = g.op('AddV2', [g.op('Mul', [biased, g.const([W])]), g.const([W])]);
        const hs = g.op('Mul', [bn, g.op('Mul', [g.op('Relu6', [g.op('AddV2', [bn, g.scalar(3)])]), g.scalar(1 / 6)])]);
        return g.op('Reshape', [hs, g.const([4], [1, 1, 1, W], { dtype: 'int32' })]);
      },
    }),
  );
  assert.equal(b.reductionActivation, 'hard_swish');
  assert.equal(b.reduceBias, true);
  assert.equal(b.gate, 'sigmoid');
});

test('Keras 2 hard sigmoid clip(0.2x + 0.5, 0, 1) is named apart from relu6(x + 3) / 6', async () => {
  const b = await one(standard((g, x) => g.op('ClipByValue', [g.op('AddV2', [g.op('Mul', [x, g.scalar(0.2)]), g.scalar(0.5)]), g.scalar(0), g.scalar(1)])));
  assert.equal(b.gate, 'hard_sigmoid (0.2x + 0.5)');
});

test('a valid gate without a name is reported as custom, never dropped', async () => {
  const b = await one(standard((g, x) => g.op('Mul', [g.op('Sigmoid', [x]), g.scalar(2)])));
  assert.equal(b.gate, 'custom (Sigmoid, Mul)');
});

test('an attention gate that pools one tensor and scales another is rejected', async () => {
  const g = new G();
  const a = g.features();
  const other = g.op('_FusedConv2D', ['input', g.const([3, 3, 3, C]), g.const([C])], { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME'), fused_ops: attr.strs(['BiasAdd']) }, 'other');
  const e = g.conv1x1(g.conv1x1(g.mean(a), C, W, ['BiasAdd', 'Relu']), W, C);
  const r = await inspect(g, g.op('Mul', [other, g.op('Sigmoid', [e])], {}, 'scale'));
  assert.equal(r.seBlocks.length, 0);
});

test('a gate that also reads the feature map elsewhere is not SE', async () => {
  const g = new G();
  const x = g.features();
  const e = g.conv1x1(g.conv1x1(g.mean(x), C, W, ['BiasAdd', 'Relu']), W, C);
  // The gate mixes in a spatial max of another tensor: not a function of the pooled X alone.
  const side = g.op('Max', ['input', g.const([2], [1, 2], { dtype: 'int32' })], { keep_dims: attr.b(true) });
  const mixed = g.op('AddV2', [g.op('Sigmoid', [e]), g.op('Mean', [side, g.const([1], [3], { dtype: 'int32' })], { keep_dims: attr.b(true) })]);
  const r = await inspect(g, g.op('Mul', [x, mixed], {}, 'scale'));
  assert.equal(r.seBlocks.length, 0);
});

test('a one-unit bias is a parameter; scalar operands and axes are not', async () => {
  const g = new G();
  const x = g.features();
  const head = g.op('_FusedConv2D', [x, g.const([1, 1, C, 1]), g.const([1])], { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID'), fused_ops: attr.strs(['BiasAdd']) });
  const plusThree = g.op('AddV2', [head, g.scalar(3)]);
  const r = await inspect(g, g.op('Mean', [plusThree, g.const([2], [1, 2], { dtype: 'int32' })], { keep_dims: attr.b(false) }));
  assert.equal(r.totals.params, 3 * 3 * 3 * C + C + C + 1);
});

test('uint8-quantized constants are compared within half their quantization step', async () => {
  // 0.17 and 3.02 as uint8 codes of a coarse grid (scale 0.01 and 0.02): within a step of 1/6 and 3.
  const coarse = (g: G, x: string) => {
    const three = g.const([1], [151], { uint8: { min: 0, scale: 0.02 } });
    const sixth = g.const([1], [17], { uint8: { min: 0, scale: 0.01 } });
    return g.op('Mul', [g.op('Relu6', [g.op('AddV2', [x, three])]), sixth]);
  };
  assert.equal((await one(standard(coarse))).gate, 'hard_sigmoid');
  // The same values exact in float32 are another function.
  assert.equal((await one(standard((g, x) => g.op('Mul', [g.op('Relu6', [g.op('AddV2', [x, g.scalar(3.02)])]), g.scalar(0.17)])))).gate, 'custom (AddV2, Relu6, Mul)');
});
