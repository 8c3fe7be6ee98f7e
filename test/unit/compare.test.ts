// Two runs compared (src/analysis/compare.ts), and the CLI's `excite --compare` against two plain runs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ComparisonError, differenceByBlock, maxAbsDifference, rankByDifference } from '../../src/analysis/compare.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const SHARED = join(ROOT, '../shared');
const MODEL = join(SHARED, 'fixtures/keras/cifar10_se_r8.keras');
const CAT = join(SHARED, 'images/chelsea.png');
const ROCKET = join(SHARED, 'images/rocket.jpg');
const run = promisify(execFile);

test('B minus A per channel, mean and max |B-A| over the finite channels, NaN/null left out', () => {
  const a = [
    { name: 'se1', channels: 4, values: [0.1, 0.5, 0.9, 0.25] },
    { name: 'se2', channels: 2, values: [0.5, NaN] },
  ];
  const b = [
    { name: 'se1', channels: 4, values: [0.3, 0.5, 0.4, 0.25] },
    { name: 'se2', channels: 2, values: [0.25, 0.7] },
  ];
  const d = differenceByBlock(a, b);
  assert.equal(d[0].name, 'se1');
  assert.deepEqual(d[0].difference, [0.3 - 0.1, 0, 0.4 - 0.9, 0]);
  assert.equal(d[0].meanAbsDifference, (Math.abs(0.3 - 0.1) + Math.abs(0.4 - 0.9)) / 4);
  assert.equal(d[0].maxAbsDifference, Math.abs(0.4 - 0.9));
  assert.equal(d[0].nonFinite, 0);
  assert.deepEqual(d[1].difference, [-0.25, null]);
  assert.equal(d[1].meanAbsDifference, 0.25);
  assert.equal(d[1].nonFinite, 1);
  // se2 (0.25 on its one finite channel) differs more than se1 (0.175)
  assert.deepEqual(rankByDifference(d).map((x) => x.name), ['se2', 'se1']);
  assert.deepEqual(d.map((x) => x.name), ['se1', 'se2'], 'ranking does not reorder its input');
  assert.equal(maxAbsDifference(d), 0.5);
  // a run compared with itself: all zeros
  const same = differenceByBlock(a, a);
  assert.deepEqual(same[0].difference, [0, 0, 0, 0]);
  assert.equal(same[0].meanAbsDifference, 0);
});

test('ties keep network order; a block with no finite channel has difference 0', () => {
  const a = [
    { name: 'x', channels: 1, values: [null] },
    { name: 'y', channels: 1, values: [0.5] },
    { name: 'z', channels: 1, values: [0.5] },
  ];
  const d = rankByDifference(differenceByBlock(a, a));
  assert.deepEqual(d.map((x) => x.name), ['x', 'y', 'z']);
  assert.equal(d[0].meanAbsDifference, 0);
  assert.equal(d[0].nonFinite, 1);
});

test('runs of different models are refused with a clear error', () => {
  const a = [{ name: 'se1', channels: 2, values: [0, 1] }];
  assert.throws(() => differenceByBlock(a, []), ComparisonError);
  assert.throws(() => differenceByBlock(a, [{ name: 'other', channels: 2, values: [0, 1] }]), /'se1' \(C=2\) in run A but 'other' \(C=2\) in run B/);
  assert.throws(() => differenceByBlock(a, [{ name: 'se1', channels: 3, values: [0, 1, 2] }]), ComparisonError);
  assert.throws(() => differenceByBlock(a, [{ name: 'se1', channels: 2, values: [0] }]), ComparisonError);
});

async function cliJson(...args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, timeout: 180_000 });
  return JSON.parse(stdout);
}

test('CLI excite --compare --json: a and b are the two plain runs, difference = B - A, ranked by mean |B-A|', async () => {
  const [cmp, a, b] = await Promise.all([
    cliJson('excite', MODEL, CAT, '--compare', ROCKET, '--json', '--backend', 'wasm'),
    cliJson('excite', MODEL, CAT, '--json', '--backend', 'wasm'),
    cliJson('excite', MODEL, ROCKET, '--json', '--backend', 'wasm'),
  ]);
  assert.equal(cmp.a.image, CAT);
  assert.equal(cmp.b.image, ROCKET);
  assert.deepEqual(cmp.a.blocks.map((x: any) => x.excitation), a.blocks.map((x: any) => x.excitation));
  assert.deepEqual(cmp.b.blocks.map((x: any) => x.excitation), b.blocks.map((x: any) => x.excitation));
  assert.equal(cmp.blocks.length, 9);
  for (const d of cmp.blocks) {
    const i = a.blocks.findIndex((x: any) => x.name === d.name);
    assert.ok(i >= 0, d.name);
    assert.equal(d.channels, a.blocks[i].channels);
    const expected = a.blocks[i].excitation.map((va: number, c: number) => b.blocks[i].excitation[c] - va);
    assert.deepEqual(d.difference, expected, `${d.name}: difference is not B - A`);
    const mean = expected.reduce((s: number, v: number) => s + Math.abs(v), 0) / expected.length;
    assert.ok(Math.abs(d.meanAbsDifference - mean) < 1e-12, `${d.name}: mean |B-A| ${d.meanAbsDifference} vs ${mean}`);
    assert.ok(d.meanAbsDifference > 0, `${d.name}: a cat and a rocket give the same gates`);
  }
  const means = cmp.blocks.map((d: any) => d.meanAbsDifference);
  assert.deepEqual(means, [...means].sort((x: number, y: number) => y - x), 'blocks are not ranked by mean |B-A|');
});

test('CLI excite --compare prints the ranked table; a bad second image is one line naming it', async () => {
  const { stdout } = await run(process.execPath, [CLI, 'excite', MODEL, CAT, '--compare', ROCKET, '--backend', 'wasm'], { timeout: 180_000 });
  assert.match(stdout, /rocket\.jpg minus .*chelsea\.png/);
  assert.equal(stdout.split('\n').filter((l) => /^\s*\d+\s+\d+\s+multiply/.test(l)).length, 9, stdout);
  const bad = await run(process.execPath, [CLI, 'excite', MODEL, CAT, '--compare', join(SHARED, 'images/truncated.jpg')], { timeout: 180_000 }).then(
    () => assert.fail('a truncated image was accepted'),
    (e: any) => e,
  );
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /truncated\.jpg: /);
});
