import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { describeLayer, jsonStringAt, looksLikeModelJson } from '../../src/hover/jsonHover.js';
import { argFor, callAt, describeSeCall, findSeDefs, layerNameOf, numberLiteral, seCost, splitArgs, stringLiteral } from '../../src/hover/python.js';
import { makeWorkspace, PYTHON } from '../integration/makeFixtures.js';

test('jsonStringAt finds the string under the cursor, keys vs values, escapes, minified lines', () => {
  const text = '{"name": "dense_1", "a\\"b": "x\\\\", "class_name": "Dense"}';
  const at = (s: string, k = 1) => jsonStringAt(text, text.indexOf(s) + k);
  assert.deepEqual(at('dense_1'), { value: 'dense_1', start: text.indexOf('"dense_1"'), end: text.indexOf('"dense_1"') + 9, isKey: false });
  assert.equal(at('"name"')?.isKey, true);
  assert.equal(at('a\\"b')?.value, 'a"b');
  assert.equal(at('x\\\\')?.value, 'x\\');
  assert.equal(jsonStringAt(text, text.indexOf(':')), undefined);
  assert.equal(jsonStringAt(text, -1), undefined);
  const multi = '{\n  "layers": [\n    {"name": "conv"}\n  ]\n}';
  assert.equal(jsonStringAt(multi, multi.indexOf('conv') + 2)?.value, 'conv');
  // the opening quote belongs to the token, the position after the closing quote does not
  assert.equal(jsonStringAt(text, text.indexOf('"dense_1"'))?.value, 'dense_1');
  assert.equal(jsonStringAt(text, text.indexOf('"dense_1"') + 9), undefined);
});

test('looksLikeModelJson', () => {
  assert.equal(looksLikeModelJson('{"name": "pkg", "version": "1.0.0"}'), false);
  assert.equal(looksLikeModelJson('{"class_name": "Functional"}'), true);
  assert.equal(looksLikeModelJson('{"format": "layers-model", "modelTopology": {}}'), true);
});

test('describeLayer on a real report: type, shape, params, MACs, SE block and role', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'se-hover-'));
  await makeWorkspace(dir);
  const report = analyze(await openModel(join(dir, 'models/tfjs/model.json')));
  assert.equal(report.totals.params, 1_993_970);
  const conv = describeLayer(report, 'conv2d_9')!;
  assert.match(conv, /\*\*conv2d_9\*\* — `Conv2D`/);
  assert.match(conv, /\(None, 32, 32, 64\)/);
  assert.match(conv, /1,792/); // 3*3*3*64 + 64
  assert.match(conv, /MACs \| 1,769,472/); // 32*32*64*27
  const dense = describeLayer(report, 'dense_1')!;
  assert.match(dense, /SE block `multiply`\*\* \(reduce\)/);
  assert.match(dense, /C = 64, width 8, r = 8/);
  const block = report.seBlocks[0];
  assert.match(describeLayer(report, block.gateLayer)!, /gate/);
  assert.equal(describeLayer(report, 'no_such_layer'), undefined);
});

test('callAt: callee under the cursor, nested parentheses, strings and keyword arguments', () => {
  const src = 'x = layers.Dense(units=64, activation="relu", name="fc (1)")(x)  # Dense(1)\n';
  const c = callAt(src, src.indexOf('Dense') + 2)!;
  assert.equal(c.callee, 'Dense');
  assert.equal(c.qualified, 'layers.Dense');
  assert.deepEqual(c.args, [{ name: 'units', text: '64' }, { name: 'activation', text: '"relu"' }, { name: 'name', text: '"fc (1)"' }]);
  assert.equal(layerNameOf(c), 'fc (1)');
  assert.equal(callAt(src, src.indexOf('units') + 1), undefined); // not a call
  const multi = 'y = Conv2D(\n    32, (3, 3),  # kernel\n    name=\'c1\',\n)(x)';
  const m = callAt(multi, multi.indexOf('Conv2D'))!;
  assert.deepEqual(m.args.map((a) => a.text), ['32', '(3, 3)', "'c1'"]);
  assert.equal(layerNameOf(m), 'c1');
  assert.equal(callAt('GlobalAveragePooling2D', 3), undefined);
  assert.deepEqual(splitArgs('a, [1, 2], f(b, c), k=v == 2'), [{ text: 'a' }, { text: '[1, 2]' }, { text: 'f(b, c)' }, { name: 'k', text: 'v == 2' }]);
});

test('literals', () => {
  assert.equal(stringLiteral('"a\\"b"'), 'a"b');
  assert.equal(stringLiteral("r'x'"), 'x');
  assert.equal(stringLiteral('name'), undefined);
  assert.equal(numberLiteral('1_024'), 1024);
  assert.equal(numberLiteral('16.0'), 16);
  assert.equal(numberLiteral('c // 2'), undefined);
});

test('findSeDefs recognises the se_block of se-reference.md, with its channels and ratio parameters', () => {
  const defs = findSeDefs(PYTHON);
  assert.equal(defs.length, 1);
  const d = defs[0];
  assert.equal(d.name, 'se_block');
  assert.deepEqual(d.params, [{ name: 'x', default: undefined }, { name: 'channels', default: undefined }, { name: 'r', default: '16' }]);
  assert.equal(d.channelsParam, 1);
  assert.equal(d.ratioParam, 2);
  assert.equal(d.bias, true);
  assert.equal(d.widthExpr, 'channels // r');
  // a def without Multiply is not SE; one with use_bias=False has no biases; typed, multi-line signatures
  const other = `def head(x):\n    return GlobalAveragePooling2D()(x)\n\nclass M:\n    def se(self,\n           x: tf.Tensor,\n           filters: int = 32,\n           ratio: float = 4):\n        s = GlobalAveragePooling2D()(x)\n        s = Dense(filters // ratio, use_bias=False)(s)\n        s = Dense(filters, activation='sigmoid', use_bias=False)(s)\n        return multiply([x, s])\n`;
  const o = findSeDefs(other);
  assert.deepEqual(o.map((x) => x.name), ['se']);
  assert.equal(o[0].bias, false);
  assert.equal(o[0].channelsParam, 2);
  assert.equal(o[0].ratioParam, 3);
  const call = callAt('self.se(x, 128)', 6)!;
  assert.equal(argFor(o[0], call, o[0].channelsParam), '128');
  assert.equal(argFor(o[0], call, o[0].ratioParam), '4');
});

test('seCost: 2C²/r + C/r + C params, 2C²/r FC MACs, and the SE-ResNet-50 stage widths', () => {
  assert.deepEqual(seCost(64, 16), { channels: 64, ratio: 16, width: 4, params: 580, fcMacs: 512, perPixelMacs: 128 });
  assert.equal(seCost(64, 8).params, 2 * 64 * 8 + 8 + 64);
  assert.equal(seCost(64, 8, false).params, 2 * 64 * 8);
  assert.equal(seCost(3, 16).width, 1); // max(1, C // r)
  // SE-ResNet-50 r=16 widths: 16, 32, 64, 128 for 256..2048 channels
  assert.deepEqual([256, 512, 1024, 2048].map((c) => seCost(c, 16).width), [16, 32, 64, 128]);
});

test('describeSeCall: the numbers for the call, the table for r = 2..32, and H·W stated as unknown', () => {
  const def = findSeDefs(PYTHON)[0];
  const at = PYTHON.indexOf('se_block(x, 64');
  const md = describeSeCall(def, callAt(PYTHON, at + 2)!);
  assert.match(md, /C = 64, r = 8 → width 8/);
  assert.match(md, /params: \*\*1,096\*\*/); // 2*64*8 + 8 + 64
  assert.match(md, /MACs: \*\*1,024\*\* for the two FC layers/);
  assert.match(md, /128·H·W for pool and scale \(H·W is not known from the code\)/);
  for (const [r, params] of [[2, 4192], [4, 2128], [8, 1096], [16, 580], [32, 322]]) assert.ok(md.includes(`| ${r}${r === 8 ? ' ←' : ''} | ${Math.floor(64 / r)} | ${params.toLocaleString('en-US')} |`), `row r=${r}`);
  // default ratio from the def, and a non-literal channel count
  assert.match(describeSeCall(def, callAt('se_block(x, 256)', 1)!), /C = 256, r = 16 → width 16/);
  assert.match(describeSeCall(def, callAt('se_block(x, x.shape[-1])', 1)!), /not a literal/);
});
