import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { describeLayer, jsonStringAt, looksLikeModelJson } from '../../src/hover/jsonHover.js';
import { groupHits } from '../../src/hover/layerHits.js';
import { argFor, callAt, callVsLayer, describeSeCall, findSeDefs, importedFunction, importsOf, layerNameOf, moduleFiles, numberLiteral, parsePython, seCost, stringLiteral, type PyTree } from '../../src/hover/python.js';
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

// tree-sitter's Python grammar, as the extension loads it from dist/ (here from the package)
const WASM = resolve('node_modules/@vscode/tree-sitter-wasm/wasm');
const trees: PyTree[] = [];
const parse = async (text: string) => {
  const t = await parsePython(WASM, text);
  trees.push(t);
  return t;
};

test('callAt (tree-sitter): anywhere on the call, its name= string included; the layer, not its application', async () => {
  const src = 'x = layers.Dense(units=64, activation="relu", name="fc (1)")(x)  # Dense(1)\n';
  const t = await parse(src);
  for (const at of [src.indexOf('Dense') + 2, src.indexOf('fc (1)') + 1, src.indexOf('units'), src.indexOf('64'), src.indexOf(')(x)') + 2]) {
    const c = callAt(t, at);
    assert.equal(c?.callee, 'Dense', `at ${at}`);
    assert.equal(c?.qualified, 'layers.Dense');
  }
  const c = callAt(t, src.indexOf('fc (1)'))!;
  assert.deepEqual(c.args.map((a) => [a.name, a.text]), [['units', '64'], ['activation', '"relu"'], ['name', '"fc (1)"']]);
  assert.equal(layerNameOf(c), 'fc (1)');
  // the comment is not code
  assert.equal(callAt(t, src.indexOf('Dense(1)') + 1), undefined);
  const multi = 'y = Conv2D(\n    32, (3, 3),  # kernel\n    name=\'c1\',\n)(x)';
  const m = callAt(await parse(multi), multi.indexOf("'c1'") + 1)!;
  assert.deepEqual(m.args.map((a) => a.text), ['32', '(3, 3)', "'c1'"]);
  assert.equal(layerNameOf(m), 'c1');
  assert.equal(callAt(await parse('GlobalAveragePooling2D'), 3), undefined);
});

test('arguments that are names bound to literals in the same scope are resolved; other scopes are not', async () => {
  const src = 'units = 99\nn = "outer"\ndef build(x):\n    units = 10\n    n = "dense_1"\n    return Dense(units, name=n)(x)\ny = Dense(units, name=n)(x)\n';
  const t = await parse(src);
  const inner = callAt(t, src.indexOf('Dense(units, name=n)(x)\ny') + 1)!;
  assert.equal(inner.args[0].literal, '10');
  assert.equal(inner.args[0].via, 'units');
  assert.equal(layerNameOf(inner), 'dense_1');
  const outer = callAt(t, src.lastIndexOf('Dense') + 1)!;
  assert.equal(outer.args[0].literal, '99');
  assert.equal(layerNameOf(outer), 'outer');
  // a name bound to something else than a literal stays unresolved; a later binding does not count
  const t2 = await parse('k = f(3)\nDense(k, name=m)\nm = "late"\n');
  const c2 = callAt(t2, 1 + 'k = f(3)\n'.length)!;
  assert.equal(c2.args[0].literal, undefined);
  assert.equal(layerNameOf(c2), undefined);
});

test('literals', () => {
  assert.equal(stringLiteral('"a\\"b"'), 'a"b');
  assert.equal(stringLiteral("r'x'"), 'x');
  assert.equal(stringLiteral('name'), undefined);
  assert.equal(numberLiteral('1_024'), 1024);
  assert.equal(numberLiteral('16.0'), 16);
  assert.equal(numberLiteral('c // 2'), undefined);
});

test('findSeDefs recognises the se_block of se-reference.md, with its channels and ratio parameters', async () => {
  const defs = findSeDefs(await parse(PYTHON));
  assert.equal(defs.length, 1);
  const d = defs[0];
  assert.equal(d.name, 'se_block');
  assert.deepEqual(d.params, [{ name: 'x' }, { name: 'channels' }, { name: 'r', default: '16' }]);
  assert.equal(d.channelsParam, 1);
  assert.equal(d.ratioParam, 2);
  assert.equal(d.bias, true);
  assert.equal(d.widthExpr, 'channels // r');
  // a def without Multiply is not SE; one with use_bias=False has no biases; typed, multi-line signatures
  const other = `def head(x):\n    return GlobalAveragePooling2D()(x)\n\nclass M:\n    def se(self,\n           x: tf.Tensor,\n           filters: int = 32,\n           ratio: float = 4):\n        s = GlobalAveragePooling2D()(x)\n        s = Dense(filters // ratio, use_bias=False)(s)\n        s = Dense(filters, activation='sigmoid', use_bias=False)(s)\n        return multiply([x, s])\n`;
  const o = findSeDefs(await parse(other));
  assert.deepEqual(o.map((x) => x.name), ['se']);
  assert.equal(o[0].bias, false);
  assert.equal(o[0].channelsParam, 2);
  assert.equal(o[0].ratioParam, 3);
  const call = callAt(await parse('self.se(x, 128)'), 6)!;
  assert.equal(argFor(o[0], call, o[0].channelsParam), '128');
  assert.equal(argFor(o[0], call, o[0].ratioParam), '4');
});

test('imports: a function from another workspace file, by from-import (aliased), module import, relative import', async () => {
  const src = 'from models.blocks import se_block as sb\nimport models.blocks as mb\nfrom .local import squeeze\nsb(x, 64)\nmb.se_block(x, 32)\nsqueeze(x, 8)\n';
  const t = await parse(src);
  const imports = importsOf(t);
  assert.deepEqual(importedFunction(imports, callAt(t, src.indexOf('sb(x') + 1)!), { module: 'models.blocks', level: 0, name: 'se_block' });
  assert.deepEqual(importedFunction(imports, callAt(t, src.indexOf('mb.se_block') + 4)!), { module: 'models.blocks', level: 0, name: 'se_block' });
  assert.deepEqual(importedFunction(imports, callAt(t, src.indexOf('squeeze(x') + 1)!), { module: 'local', level: 1, name: 'squeeze' });
  assert.deepEqual(moduleFiles('models.blocks', 0, '/ws/train', ['/ws']), ['/ws/models/blocks.py', '/ws/models/blocks/__init__.py', '/ws/train/models/blocks.py', '/ws/train/models/blocks/__init__.py']);
  assert.deepEqual(moduleFiles('local', 1, '/ws/train', ['/ws']), ['/ws/train/local.py', '/ws/train/local/__init__.py']);
  assert.deepEqual(moduleFiles('util', 2, '/ws/train/sub', ['/ws']), ['/ws/train/util.py', '/ws/train/util/__init__.py']);
});

test('callVsLayer: a warning when the call and the model disagree on type, units or filters', () => {
  const call = (text: string) => parse(text).then((t) => callAt(t, 1)!);
  return (async () => {
    assert.deepEqual(callVsLayer(await call('Dense(10, name="dense_1")'), { type: 'Dense', outputShape: [null, 8] }), ["the call has units=10, the model's layer has 8"]);
    assert.deepEqual(callVsLayer(await call('Dense(units=8, name="dense_1")'), { type: 'Dense', outputShape: [null, 8] }), []);
    assert.deepEqual(callVsLayer(await call('Dense(8, name="conv2d_9")'), { type: 'Conv2D', outputShape: [null, 32, 32, 64] }), ["the call makes a `Dense`, the model's layer is a `Conv2D`"]);
    assert.deepEqual(callVsLayer(await call('Conv2D(32, 3, name="c")'), { type: 'Conv2D', outputShape: [null, 32, 32, 64] }), ["the call has filters=32, the model's layer has 64"]);
    assert.deepEqual(callVsLayer(await call('Conv2D(filters=64, kernel_size=3, name="c")'), { type: 'Conv2D', outputShape: [null, 32, 32, 64] }), []);
    // a helper function is not a layer class: no type warning
    assert.deepEqual(callVsLayer(await call('conv_bn(x, name="c")'), { type: 'Conv2D', outputShape: [null, 32, 32, 64] }), []);
  })();
});

test('groupHits: the model as .h5, .keras and tfjs lists each layer once, with its three files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'se-hover-'));
  await makeWorkspace(dir);
  const files = [join(dir, 'models/cifar10_se_r8.keras'), join(dir, 'models/tfjs/model.json'), resolve('../shared/fixtures/keras/cifar10_se_r8.h5')];
  const hits = await Promise.all(files.map(async (uri) => ({ uri, report: analyze(await openModel(uri)) })));
  const groups = groupHits(hits, 'dense_1');
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0].uris, files);
  assert.equal(groups[0].row.type, 'Dense');
  assert.deepEqual(groupHits(hits, 'no_such_layer'), []);
});

test('seCost: 2C²/r + C/r + C params, 2C²/r FC MACs, and the SE-ResNet-50 stage widths', () => {
  assert.deepEqual(seCost(64, 16), { channels: 64, ratio: 16, width: 4, params: 580, fcMacs: 512, perPixelMacs: 128 });
  assert.equal(seCost(64, 8).params, 2 * 64 * 8 + 8 + 64);
  assert.equal(seCost(64, 8, false).params, 2 * 64 * 8);
  assert.equal(seCost(3, 16).width, 1); // max(1, C // r)
  // SE-ResNet-50 r=16 widths: 16, 32, 64, 128 for 256..2048 channels
  assert.deepEqual([256, 512, 1024, 2048].map((c) => seCost(c, 16).width), [16, 32, 64, 128]);
});

test('describeSeCall: the numbers for the call, the table for r = 2..32, and H·W stated as unknown', async () => {
  const t = await parse(PYTHON);
  const def = findSeDefs(t)[0];
  const at = PYTHON.indexOf('se_block(x, 64');
  const md = describeSeCall(def, callAt(t, at + 2)!);
  assert.match(md, /C = 64, r = 8 → width 8/);
  assert.match(md, /params: \*\*1,096\*\*/); // 2*64*8 + 8 + 64
  assert.match(md, /MACs: \*\*1,024\*\* for the two FC layers/);
  assert.match(md, /128·H·W for pool and scale \(H·W is not known from the code\)/);
  for (const [r, params] of [[2, 4192], [4, 2128], [8, 1096], [16, 580], [32, 322]]) assert.ok(md.includes(`| ${r}${r === 8 ? ' ←' : ''} | ${Math.floor(64 / r)} | ${params.toLocaleString('en-US')} |`), `row r=${r}`);
  // default ratio from the def, a non-literal channel count, a channel count bound in the scope
  assert.match(describeSeCall(def, callAt(await parse('se_block(x, 256)'), 1)!), /C = 256, r = 16 → width 16/);
  assert.match(describeSeCall(def, callAt(await parse('se_block(x, x.shape[-1])'), 1)!), /not a literal/);
  assert.match(describeSeCall(def, callAt(await parse('c = 128\nse_block(x, c)'), 9)!, 'models/blocks.py'), /from \*models\/blocks.py\*[\s\S]*C = 128 \(`c` in this scope\)/);
});

test.after(() => {
  for (const t of trees) t.dispose();
});
