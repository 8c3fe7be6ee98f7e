// Models Keras would refuse to build are refused with the layer and the file named, never counted
// with a kernel of 1.5 channels, a negative map or an infinite stride; and one valid model that
// was miscounted (an SE block on a 1 x 1 map) gets its MACs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { KerasBuilder, seBlock } from '../support/kerasBuilder.js';
import { refusal } from '../support/refusal.js';

const root = mkdtempSync(join(tmpdir(), 'se-impossible-'));
let k = 0;
const CLI = join(import.meta.dirname, '../../dist/cli.js');

function model(inputShape: (number | null)[], layer: [string, Record<string, unknown>]): string {
  const b = new KerasBuilder('m');
  const x = b.add(layer[0], layer[1], b.input(inputShape), 'bad');
  const path = join(root, `m${k++}.json`);
  writeFileSync(path, JSON.stringify(b.toJSON(x)));
  return path;
}

const cases: [string, (number | null)[], [string, Record<string, unknown>], string][] = [
  ['groups that do not divide the channels', [null, 8, 8, 3], ['Conv2D', { filters: 4, kernel_size: [1, 1], groups: 2 }], "layer 'bad' (Conv2D): groups=2 must divide both its 3 input channels and its 4 filters"],
  ['strides 0', [null, 8, 8, 3], ['Conv2D', { filters: 4, kernel_size: [3, 3], strides: [0, 1] }], "layer 'bad' (Conv2D) has invalid strides [0,1]"],
  ['a fractional kernel', [null, 8, 8, 3], ['Conv2D', { filters: 4, kernel_size: [1.5, 1] }], "layer 'bad' (Conv2D) has invalid kernel_size [1.5,1]"],
  ['a kernel larger than its valid input', [null, 2, 2, 3], ['Conv2D', { filters: 4, kernel_size: [3, 3] }], "layer 'bad' (Conv2D): its height window of 3 does not fit the input's 2: the output would be empty"],
  ['a pooling window larger than its input', [null, 1, 1, 3], ['MaxPooling2D', { pool_size: [2, 2] }], "layer 'bad' (MaxPooling2D): its height window of 2 does not fit the input's 1: the output would be empty"],
  ['cropping past the map', [null, 4, 4, 3], ['Cropping2D', { cropping: [[2, 2], [0, 0]] }], "layer 'bad' (Cropping2D): cropping 2 + 2 from a height of 4 leaves nothing"],
  ['negative padding', [null, 4, 4, 3], ['ZeroPadding2D', { padding: [[-1, 0], [0, 0]] }], "layer 'bad' (ZeroPadding2D): paddings must be whole numbers of at least 0, got [[-1,0],[0,0]]"],
  ['fractional padding', [null, 4, 4, 3], ['ZeroPadding2D', { padding: [[0.5, 0], [0, 0]] }], "layer 'bad' (ZeroPadding2D): paddings must be whole numbers of at least 0, got [[0.5,0],[0,0]]"],
  ['Reshape to a negative size', [null, 4, 4, 3], ['Reshape', { target_shape: [-2, -24] }], "layer 'bad' (Reshape): target shape [-2,-24] has a size that is neither a whole number of at least 1 nor -1"],
  ['zero units', [null, 4], ['Dense', { units: 0 }], "layer 'bad' (Dense) has invalid units 0"],
  ['a fractional input size', [null, 7.5, 8, 3], ['Conv2D', { filters: 4, kernel_size: [1, 1] }], "input layer 'input_layer' declares an impossible shape [null,7.5,8,3]"],
  ['an input beyond the size limit', [null, 100000, 100000, 3], ['Conv2D', { filters: 4, kernel_size: [1, 1] }], "refused: input 'input_layer' declares 100000 x 100000 pixels, beyond the limit of 16384 per side"],
];

for (const [what, shape, layer, message] of cases) {
  test(`refused: ${what}`, async () => {
    const path = model(shape, layer);
    const got = await refusal(path);
    assert.ok(got.startsWith(`${path}: `), `names the file: ${got}`);
    assert.equal(got.slice(path.length + 2), message);
  });
}

test('an SE block on a 1 x 1 map: the gate [N, C] scales [N, 1, 1, C] and its MACs count', async () => {
  const b = new KerasBuilder('one_by_one');
  const x = b.add('Conv2D', { filters: 16, kernel_size: [1, 1] }, b.input([null, 1, 1, 8]), 'conv');
  seBlock(b, x, 16, 4, { prefix: 'se' });
  const path = join(root, 'se1x1.json');
  writeFileSync(path, JSON.stringify(b.toJSON({ layer: 'se_scale' })));
  const r = analyze(await openModel(path));
  const scale = r.layers.find((l) => l.name === 'se_scale')!;
  assert.deepEqual(scale.outputShape, [null, 1, 1, 16]);
  assert.equal(scale.macs, 16);
  assert.ok(r.totals.complete);
  assert.equal(r.seBlocks.length, 1);
  // squeeze 16 + reduce 16 x 4 + expand 4 x 16 + scale 16
  assert.equal(r.seBlocks[0].macs, 16 + 64 + 64 + 16);
});

test('--ratios 1e-320 and 0.5 are usage errors (exit 2), not infinite widths', async () => {
  const path = model([null, 4, 4, 3], ['Conv2D', { filters: 4, kernel_size: [1, 1] }]);
  for (const r of ['1e-320', '0.5']) {
    const out = await promisify(execFile)(process.execPath, [CLI, 'inspect', path, '--ratios', r]).catch((e) => e);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /--ratios wants reduction ratios from 1 to 4096/);
  }
});
