// Property: any JSON given to the readers yields a report or a clear InspectorError, never a crash or a hang.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { InspectorError } from '../../src/util/errors.js';
import { cifar10 } from '../support/architectures.js';
import { toKeras2 } from '../support/tfjsWriter.js';

const dir = mkdtempSync(join(tmpdir(), 'se-fuzz-'));
const PER_INPUT_MS = 2000;

/** Every path to a value inside a JSON tree. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

function setAt(root: any, path: (string | number)[], value: unknown): any {
  if (path.length === 0) return value;
  const copy = structuredClone(root);
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k];
  cur[path[path.length - 1]] = value;
  return copy;
}

async function check(model: unknown): Promise<void> {
  const file = join(dir, 'model.json');
  writeFileSync(file, JSON.stringify(model) ?? 'null');
  const t0 = performance.now();
  try {
    analyze(await openModel(file));
  } catch (e) {
    assert.ok(e instanceof InspectorError, `uncaught ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.ok(!e.message.includes('\n'));
  }
  assert.ok(performance.now() - t0 < PER_INPUT_MS, 'bounded time');
}

const bases: [string, unknown][] = [
  ['Keras 3 config', cifar10(8)],
  ['tfjs layers model.json', { format: 'layers-model', modelTopology: { model_config: toKeras2(cifar10(8)) }, weightsManifest: [] }],
];

for (const [name, base] of bases) {
  const all = paths(base);
  test(`fuzz: one value of a ${name} replaced by arbitrary JSON`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(all.length - 1), fc.jsonValue({ maxDepth: 3 }), async (i, value) => check(setAt(base, all[i], value))),
      { numRuns: 300, seed: 42 },
    );
  });
  test(`fuzz: one subtree of a ${name} deleted`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(all.length - 1), async (i) => {
        const p = all[i];
        if (p.length === 0) return;
        const copy: any = structuredClone(base);
        let cur = copy;
        for (const k of p.slice(0, -1)) cur = cur[k];
        if (Array.isArray(cur)) cur.splice(p[p.length - 1] as number, 1);
        else delete cur[p[p.length - 1]];
        await check(copy);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
}

test('fuzz: arbitrary JSON documents', async () => {
  await fc.assert(fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), check), { numRuns: 300, seed: 1 });
});
