// The CLI end to end, as a user runs it after `npm run build`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { cifar10 } from '../support/architectures.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const SHARED = join(ROOT, '../shared');
const FIXTURES = join(SHARED, 'fixtures/keras');
const run = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e: any) {
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

for (const file of ['cifar10_se_r8.keras', 'cifar10_se_r8.h5']) {
  test(`inspect ${file}: 9 SE blocks, 1,993,970 params, baseline 1,927,946`, async () => {
    const text = await cli('inspect', join(FIXTURES, file));
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /params 1,993,970 \(trainable 1,991,282, non-trainable 2,688\)/);
    assert.match(text.stdout, /SE blocks: 9/);
    assert.match(text.stdout, /baseline without SE: 1,927,946 params/);
    const json = await cli('inspect', join(FIXTURES, file), '--json', '--ratios', '2,4,8,16,32');
    const r = JSON.parse(json.stdout);
    assert.equal(r.model.format, file.endsWith('.h5') ? 'keras-h5' : 'keras');
    assert.deepEqual(r.model.inputShape, [null, 32, 32, 3]);
    assert.equal(r.totals.params, 1_993_970);
    assert.equal(r.totals.flops, 2 * r.totals.macs);
    assert.equal(r.seBlocks.length, 9);
    for (const key of ['name', 'scaledLayer', 'channels', 'squeezedWidth', 'ratio', 'gate', 'variant', 'params', 'macs', 'layers']) assert.ok(key in r.seBlocks[0], key);
    for (const key of ['name', 'type', 'outputShape', 'params', 'macs']) assert.ok(key in r.layers[0], key);
    assert.equal(r.whatIf.baseline.params, 1_927_946);
    assert.deepEqual(r.whatIf.byRatio.map((x: any) => x.r), [2, 4, 8, 16, 32]);
    for (const key of ['r', 'params', 'macs', 'paramsDelta', 'macsDelta']) assert.ok(key in r.whatIf.byRatio[0], key);
  });
}

test('excite cifar10_se_r8.keras on chelsea.png prints nine excitation rows', async () => {
  const out = await cli('excite', join(FIXTURES, 'cifar10_se_r8.keras'), join(SHARED, 'images/chelsea.png'));
  assert.equal(out.code, 0, out.stderr);
  const rows = out.stdout.split('\n').filter((l) => /^\s*\d+\s+multiply/.test(l));
  assert.equal(rows.length, 9, out.stdout);
  assert.match(out.stdout, /preprocess unit/);
  const json = JSON.parse((await cli('excite', join(FIXTURES, 'cifar10_se_r8.keras'), join(SHARED, 'images/chelsea.png'), '--json', '--backend', 'wasm')).stdout);
  assert.equal(json.backend, 'wasm');
  assert.equal(json.blocks.length, 9);
  assert.deepEqual(json.blocks.map((b: any) => b.excitation.length), [64, 64, 64, 128, 128, 128, 256, 256, 256]);
  assert.ok(json.blocks.every((b: any) => b.excitation.every((v: number) => v > 0 && v < 1)));
  assert.equal(json.output.top5.length, 5);
  assert.ok(json.timings.load > 0 && json.timings.run > 0);
});

test('a model without SE still gets its cost report, and a non-zero exit', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'se-cli-')), 'cifar10.json');
  writeFileSync(path, JSON.stringify(cifar10()));
  const out = await cli('inspect', path);
  assert.equal(out.code, 3);
  assert.match(out.stdout, /params 1,927,946/);
  assert.equal(out.stderr.trim().split('\n').length, 1);
  assert.match(out.stderr, /no SE block found/);
});

test('bad input: one line naming the file, non-zero exit', async () => {
  const cases: [string[], RegExp][] = [
    [['inspect', '/nonexistent/model.keras'], /^se-inspector: \/nonexistent\/model.keras: does not exist or cannot be read$/],
    [['inspect', join(SHARED, 'images/chelsea.png')], /chelsea.png: is not a model file of a known format/],
    [['excite', join(FIXTURES, 'cifar10_se_r8.keras'), join(SHARED, 'images/truncated.jpg')], /truncated.jpg: /],
    [['excite', join(FIXTURES, 'cifar10_se_r8.keras'), join(SHARED, 'images/README.md')], /README.md: /],
    [['inspect'], /inspect takes one model file/],
    [['inspect', join(FIXTURES, 'cifar10_se_r8.keras'), '--ratios', 'two'], /--ratios wants reduction ratios from 1 to 4096/],
  ];
  for (const [args, expected] of cases) {
    const out = await cli(...args);
    assert.notEqual(out.code, 0, args.join(' '));
    assert.match(out.stderr.trim().split('\n')[0], expected);
    if (args.length > 1 && !args.includes('--ratios')) assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr);
  }
});

test('usage errors are exit 2 before any model is read: bad --backend, --preprocess, --ratios, --workers', async () => {
  // The model does not exist: a usage error must come first, or the exit would be 1 (bad input).
  const missing = join(ROOT, 'no-such-model.keras');
  const cores = (await import('node:os')).availableParallelism();
  for (const [args, message] of [
    [['excite', missing, 'x.png', '--backend', 'gpu'], /--backend wants one of auto\|onnx\|tfjs-node\|wasm\|cpu, got 'gpu'/],
    [['excite', missing, 'x.png', '--preprocess', 'imagenet'], /--preprocess wants one of auto, raw, unit, symmetric, caffe, torch, got 'imagenet'/],
    [['inspect', missing, '--ratios', '1e-320'], /--ratios wants reduction ratios from 1 to 4096/],
    [['excite', missing, 'folder', '--workers', String(cores + 1)], new RegExp(`--workers wants a whole number from 1 to ${cores} \\(the cores here`)],
  ] as [string[], RegExp][]) {
    const out = await cli(...args);
    assert.equal(out.code, 2, `${args.join(' ')}: ${out.stderr}`);
    assert.match(out.stderr, message);
  }
});
