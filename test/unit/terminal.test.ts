// Names from a model file reach the terminal: they must not control it or forge lines.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { safeText, shortened, term } from '../../src/util/terminal.js';
import { KerasBuilder, seBlock } from '../support/kerasBuilder.js';

const CLI = join(import.meta.dirname, '../../dist/cli.js');

test('safeText shows controls, newlines, bidi and zero-width characters as escapes', () => {
  assert.equal(safeText('conv\x1b]0;pwned\x07'), 'conv\\x1b]0;pwned\\x07');
  assert.equal(safeText('a\nOK b\r\t'), 'a\\nOK b\\r\\t');
  assert.equal(safeText('gate\u202ecba\u2066\u200b\ufeff'), 'gate\\u202ecba\\u2066\\u200b\\ufeff');
  assert.equal(safeText('\x9b2J\x7f'), '\\x9b2J\\x7f');
  assert.equal(safeText('plain_name/конв 1×1'), 'plain_name/конв 1×1');
  assert.equal(term`layer ${'x\ny'} of ${'m'}\n`, 'layer x\\ny of m\n');
});

test('inspect prints hostile layer and model names escaped, one table row per block', async () => {
  const b = new KerasBuilder('model\x1b[2J\u202eevil');
  const x = b.input([null, 8, 8, 16]);
  const c = b.add('Conv2D', { filters: 16, kernel_size: [3, 3], padding: 'same' }, x, 'conv\n1  fake_row  16  4  4  relu  sigmoid');
  seBlock(b, c, 16, 4, { prefix: 'se\x1b]0;title\x07' });
  const dir = mkdtempSync(join(tmpdir(), 'se-term-'));
  const file = join(dir, 'hostile.json');
  writeFileSync(file, JSON.stringify(b.toJSON({ layer: 'se\x1b]0;title\x07_scale' })));
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'inspect', file, '--layers']);
  assert.doesNotMatch(stdout, /[\x1b\x07\u202e]/);
  assert.match(stdout, /model\\x1b\[2J\\u202eevil/);
  assert.equal(stdout.split('\n').filter((l) => /fake_row/.test(l)).length, 2, 'the conv name appears once as scaled layer and once in the layer table, each on its own row');
  assert.ok(stdout.split('\n').every((l) => !l.startsWith('1  fake_row')), 'no forged row');
});

test('an error line with a 2 MB name is cut in the middle to one readable line', () => {
  const name = 'x'.repeat(2_000_000);
  const line = shortened(`layer '${name}' is bad`);
  assert.ok(line.length <= 2000, String(line.length));
  assert.match(line, /^layer 'x+ \.\.\. \(1998\d{3} characters left out\) \.\.\. x+' is bad$/);
  assert.equal(shortened('short'), 'short');
});
