// .keras archives that are not what Keras writes: entries compressed with bzip2 or LZMA (Python's
// zipfile writes both), an encrypted entry, and bytes that fail their CRC-32. Each is refused with
// one line naming the file and the entry; none is read as if it were fine.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openModel } from '../../src/formats/index.js';
import { refusal } from '../support/refusal.js';

const FIXTURE = join(import.meta.dirname, '../../../shared/fixtures/keras/cifar10_se_r8.keras');
const out = mkdtempSync(join(tmpdir(), 'se-hostile-zip-'));

/** Rewrites the fixture's entries with Python's zipfile and the given compression. */
function rezip(name: string, compression: 'ZIP_BZIP2' | 'ZIP_LZMA' | 'ZIP_DEFLATED'): string {
  const path = join(out, name);
  execFileSync('/usr/bin/python3', ['-c', `import zipfile,sys
src=zipfile.ZipFile(sys.argv[1]); dst=zipfile.ZipFile(sys.argv[2],'w',zipfile.${compression})
[dst.writestr(n, src.read(n)) for n in src.namelist()]; dst.close()`, FIXTURE, path]);
  return path;
}

/** Offsets of every central-directory header of a zip. */
function centralHeaders(z: Buffer): number[] {
  const at: number[] = [];
  for (let i = z.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); i >= 0; i = z.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), i + 4)) at.push(i);
  return at;
}

test('bzip2 and LZMA entries are named as such, not called corrupt', async () => {
  assert.equal(await refusal(rezip('bz2.keras', 'ZIP_BZIP2')), `${join(out, 'bz2.keras')}: entry 'config.json' is compressed with bzip2; Keras writes stored or deflated entries, which are what this reader reads`);
  assert.equal(await refusal(rezip('lzma.keras', 'ZIP_LZMA')), `${join(out, 'lzma.keras')}: entry 'config.json' is compressed with LZMA; Keras writes stored or deflated entries, which are what this reader reads`);
});

test('an archive rewritten with deflate is read as the original', async () => {
  const g = await openModel(rezip('deflated.keras', 'ZIP_DEFLATED'));
  assert.equal(g.nodes.length, (await openModel(FIXTURE)).nodes.length);
});

test('an encrypted entry is refused as encrypted', async () => {
  const z = readFileSync(FIXTURE);
  for (const at of centralHeaders(z)) z.writeUInt16LE(z.readUInt16LE(at + 8) | 1, at + 8);
  const path = join(out, 'encrypted.keras');
  writeFileSync(path, z);
  assert.match(await refusal(path), /: entry '(config|metadata)\.json' is encrypted \(Keras never encrypts a \.keras archive\)$/);
});

test('bytes that no longer match their CRC-32 are refused, as Python and Keras refuse them', async () => {
  const z = readFileSync(FIXTURE);
  const at = centralHeaders(z).find((h) => z.subarray(h + 46, h + 46 + z.readUInt16LE(h + 28)).toString() === 'model.weights.h5')!;
  const stored = z.readUInt32LE(at + 16);
  z.writeUInt32LE((stored ^ 0x00010000) >>> 0, at + 16);
  const path = join(out, 'crc.keras');
  writeFileSync(path, z);
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  assert.equal(await refusal(path), `${path}: entry 'model.weights.h5' fails its CRC-32 check (stored ${hex(stored ^ 0x00010000)}, computed ${hex(stored)}): the archive is corrupt`);
});
