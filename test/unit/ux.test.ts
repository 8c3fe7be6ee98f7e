// The pure parts of the UX work: class labels, short heatmap row labels, report export, webview messages.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { IMAGENET_LABELS, classCount, readLabelsFile, resolveLabels } from '../../src/labels/index.js';
import { reportToJson, reportToMarkdown } from '../../src/extension/reportExport.js';
import { checkFromWebview } from '../../src/extension/validate.js';
import { distinctParts } from '../../webview/lib/rowLabels.js';
import { FormatError } from '../../src/util/errors.js';

const FIXTURES = path.resolve('../shared/fixtures/keras');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'se-ux-'));

test('ImageNet labels: 1000, in keras.applications order', () => {
  assert.equal(IMAGENET_LABELS.length, 1000);
  assert.equal(IMAGENET_LABELS[0], 'tench, Tinca tinca');
  assert.equal(IMAGENET_LABELS[281], 'tabby, tabby cat');
  assert.equal(IMAGENET_LABELS[999], 'toilet tissue, toilet paper, bathroom tissue');
});

test('labels files: text (one per line), JSON array, JSON index object (Keras class index too)', () => {
  const txt = path.join(tmp, 'l.txt');
  fs.writeFileSync(txt, 'cat\ndog\r\nbird\n\n');
  assert.deepEqual(readLabelsFile(txt), ['cat', 'dog', 'bird']);
  const arr = path.join(tmp, 'a.json');
  fs.writeFileSync(arr, '["cat","dog"]');
  assert.deepEqual(readLabelsFile(arr), ['cat', 'dog']);
  const obj = path.join(tmp, 'o.json');
  fs.writeFileSync(obj, '{"1": ["n02", "dog"], "0": ["n01", "cat"]}');
  assert.deepEqual(readLabelsFile(obj), ['cat', 'dog']);
  const bad = path.join(tmp, 'bad.json');
  fs.writeFileSync(bad, '{"x": 1}');
  assert.throws(() => readLabelsFile(bad), (e: Error) => e instanceof FormatError && e.message.startsWith(bad));
  assert.throws(() => readLabelsFile(path.join(tmp, 'missing.txt')), FormatError);
});

test('resolveLabels: the file first (its count must match), ImageNet for 1000 classes, else none', () => {
  const txt = path.join(tmp, 'three.txt');
  fs.writeFileSync(txt, 'a\nb\nc\n');
  assert.equal(resolveLabels({ file: txt, classes: 3 })?.labels[2], 'c');
  assert.throws(() => resolveLabels({ file: txt, classes: 10 }), /has 3 labels but the model's output has 10 classes/);
  assert.equal(resolveLabels({ classes: 1000 })?.source, 'ImageNet (built in)');
  assert.equal(resolveLabels({ classes: 10 }), undefined);
  const md = path.join(tmp, 'model.json');
  fs.writeFileSync(md, JSON.stringify({ modelTopology: {}, userDefinedMetadata: { classNames: ['x', 'y'] } }));
  assert.deepEqual(resolveLabels({ modelPath: md, classes: 2 }), { labels: ['x', 'y'], source: 'model metadata' });
  assert.equal(classCount([null, 1000]), 1000);
  assert.equal(classCount([null, 7, 7, 3]), null);
  assert.equal(classCount(null), null);
});

test('row labels keep only the part of the names that differs', () => {
  assert.deepEqual(distinctParts(['expanded_conv_squeeze_excite', 'expanded_conv_3_squeeze_excite', 'expanded_conv_10_squeeze_excite']), ['conv', 'conv_3', 'conv_10']);
  assert.deepEqual(distinctParts(['multiply', 'multiply_1', 'multiply_8']), ['multiply', 'multiply_1', 'multiply_8']);
  assert.deepEqual(distinctParts(['se/a/mul', 'se/b/mul']), ['a', 'b']);
  const nine = Array.from({ length: 9 }, (_, i) => `expanded_conv_${i + 1}_squeeze_excite`);
  assert.equal(new Set(distinctParts(nine)).size, 9);
});

test('report export: JSON as the CLI prints it, Markdown with every SE block and layer', async () => {
  const report = analyze(await openModel(path.join(FIXTURES, 'cifar10_se_r8.keras')));
  assert.equal(reportToJson(report), JSON.stringify(report, null, 1) + '\n');
  const md = reportToMarkdown(report, 'models/cifar10_se_r8.keras');
  assert.match(md, /^# cifar10_se\n/);
  assert.match(md, /`models\/cifar10_se_r8.keras`/);
  assert.match(md, /params: 1,993,970/);
  for (const b of report.seBlocks) assert.ok(md.includes(`| ${b.name} |`), b.name);
  const layers = md.slice(md.indexOf('## Layers'));
  assert.equal(layers.split('\n').filter((l) => /^\| \d+ \|/.test(l)).length, report.layers.length);
});

test('webview messages: export, history and folder runs are checked', () => {
  assert.deepEqual(checkFromWebview({ type: 'exportReport', format: 'json' }), { ok: true, message: { type: 'exportReport', format: 'json' } });
  assert.equal(checkFromWebview({ type: 'exportReport', format: 'pdf' }).ok, false);
  assert.deepEqual(checkFromWebview({ type: 'showRun', id: 'mio3k2-0' }), { ok: true, message: { type: 'showRun', id: 'mio3k2-0' } });
  assert.equal(checkFromWebview({ type: 'showRun', id: 12 }).ok, false);
  assert.equal(checkFromWebview({ type: 'showRun', id: 'x'.repeat(65) }).ok, false);
  assert.deepEqual(checkFromWebview({ type: 'runFolder' }), { ok: true, message: { type: 'runFolder' } });
});
