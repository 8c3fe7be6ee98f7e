// A multi-GB model is inspected without reading it whole: a 2.5 GB .keras (over 2 GiB, zip64, as
// Python's zipfile writes it) opens, its weights are read in place inside the archive (no copy,
// no temporary file), and the whole CLI process stays far below the file's size in memory.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { KerasBuilder } from '../support/kerasBuilder.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'se-big-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('inspect of a 2.5 GB .keras: opens, counts it exactly, and stays under 400 MB of RSS', { timeout: 300_000 }, async () => {
  const IN = 4096;
  const OUT = 152_600; // 4096 x 152,600 float32 = 2.50 GB
  const b = new KerasBuilder('big');
  const config = b.toJSON(b.add('Dense', { units: OUT }, b.input([null, IN]), 'dense'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const file = join(dir, 'big.keras');
  execFileSync('/usr/bin/python3', [join(ROOT, 'test/support/bigKeras.py'), file, join(dir, 'config.json'), String(IN), String(OUT)], { timeout: 240_000 });
  assert.ok(statSync(file).size > 2.5e9, `${statSync(file).size} bytes`);
  const hook = join(dir, 'rss.cjs');
  writeFileSync(hook, "process.on('exit', () => process.stderr.write(`maxRSS ${process.resourceUsage().maxRSS * 1024}\\n`));");
  const before = new Set(readdirSync(tmpdir()));
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-r', hook, join(ROOT, 'dist/cli.js'), 'inspect', file, '--json'], { maxBuffer: 64 << 20, timeout: 120_000 }).catch((e) => e);
  const report = JSON.parse(stdout);
  assert.equal(report.totals.params, IN * OUT + OUT);
  const rss = Number(/maxRSS (\d+)/.exec(stderr)![1]);
  assert.ok(rss < 400e6, `peak RSS ${(rss / 1e6).toFixed(0)} MB for a ${(statSync(file).size / 1e9).toFixed(2)} GB file`);
  assert.deepEqual(readdirSync(tmpdir()).filter((f) => !before.has(f) && f.startsWith('se-inspector')), [], 'no temporary copy');
});
