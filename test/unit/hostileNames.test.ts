// Names from a file or a flag that are also names of Object.prototype (`constructor`, `toString`)
// are looked up as names, never found as functions; integer-quantized weights without their
// scale and min are refused instead of dequantized with an invented scale.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { GraphBuilder } from '../support/graphBuilder.js';
import { KerasBuilder, seBlock } from '../support/kerasBuilder.js';
import { refusal } from '../support/refusal.js';

const root = mkdtempSync(join(tmpdir(), 'se-names-'));
let k = 0;
const CLI = join(import.meta.dirname, '../../dist/cli.js');

function graphModel(build: (g: GraphBuilder, x: string) => string, mutate?: (json: any) => void): string {
  const g = new GraphBuilder();
  const x = g.input('x', [1, 8, 8, 3]);
  const out = g.op('Identity', [build(g, x)], {}, 'out');
  const path = g.write(join(root, `g${k++}`), [out]);
  if (mutate) {
    const json = JSON.parse(readFileSync(path, 'utf8'));
    mutate(json);
    writeFileSync(path, JSON.stringify(json));
  }
  return path;
}

test("a fused op named 'constructor' is an unsupported fused op, not a function", async () => {
  const path = graphModel((g, x) => g.conv(x, 1, 3, 4, { fused: ['BiasAdd', 'constructor'] }, 'conv'));
  assert.equal(await refusal(path), `${path}: node 'conv' (_FusedConv2D) fuses 'constructor', which is not supported`);
});

test("a weight dtype 'toString' is an unsupported dtype", async () => {
  const path = graphModel((g, x) => g.conv(x, 1, 3, 4, {}, 'conv'), (j) => (j.weightsManifest[0].weights[0].dtype = 'toString'));
  assert.match(await refusal(path), /: weight '.*' has unsupported dtype 'toString'$/);
});

test('uint8-quantized weights without scale and min are refused, not dequantized with an invented scale', async () => {
  const path = graphModel((g, x) => g.conv(x, 1, 3, 4, {}, 'conv'), (j) => {
    const w = j.weightsManifest[0].weights[0];
    w.quantization = { dtype: 'uint8' };
  });
  assert.match(await refusal(path), /: weight '.*' is quantized to uint8 without a numeric scale and min: its values cannot be recovered$/);
});

test("Keras layer classes and activations named 'constructor' or 'toString' are unknown, never printed as functions", async () => {
  const b = new KerasBuilder('m');
  let x = b.add('Conv2D', { filters: 8, kernel_size: [1, 1], activation: 'constructor' }, b.input([null, 4, 4, 3]), 'conv');
  x = b.add('toString', {}, x, 'odd');
  const path = join(root, 'keras.json');
  writeFileSync(path, JSON.stringify(b.toJSON(x)));
  const report = analyze(await openModel(path).catch((e) => { throw e; }));
  const text = JSON.stringify(report);
  assert.doesNotMatch(text, /native code|function/);
  assert.ok(report.warnings.some((w) => /unknown layer class 'toString'/.test(w)), report.warnings.join('; '));
});

test("an SE gate's activation named 'toString' is no named gate", async () => {
  const b = new KerasBuilder('m');
  const x = b.add('Conv2D', { filters: 8, kernel_size: [1, 1] }, b.input([null, 4, 4, 3]), 'conv');
  seBlock(b, x, 8, 2, { prefix: 'se' });
  const config = b.toJSON({ layer: 'se_scale' });
  const text = JSON.stringify(config).replace('"activation":"sigmoid"', '"activation":"toString"');
  const path = join(root, 'gate.json');
  writeFileSync(path, text);
  const r = await promisify(execFile)(process.execPath, [CLI, 'inspect', path, '--json']).catch((e) => e);
  assert.doesNotMatch(r.stdout + r.stderr, /native code/);
});

test("--input constructor=1 is one input named 'constructor', not 'given twice'", async () => {
  const path = graphModel((g, x) => g.conv(x, 1, 3, 4, {}, 'conv'));
  const r = await promisify(execFile)(process.execPath, [CLI, 'inspect', path, '--input', 'constructor=1']).catch((e) => e);
  assert.doesNotMatch(r.stderr ?? '', /given twice|native code/);
});
