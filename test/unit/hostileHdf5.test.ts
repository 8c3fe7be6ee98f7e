// HDF5 files that reach outside themselves (external storage, virtual datasets, external links) or
// use a filter we cannot decode: refused with one line naming the file, the dataset and the cause;
// never read, never a hang (a FIFO as external file). The files are real h5py output
// (Debian's python3-h5py), made from the shared Keras fixtures by test/support/hostileHdf5.py.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const FIXTURES = join(ROOT, '../shared/fixtures/keras');
const IMAGE = join(ROOT, '../shared/images/chelsea.png');
const out = mkdtempSync(join(tmpdir(), 'se-hostile-h5-'));
const fifo = join(out, 'fifo');
execFileSync('mkfifo', [fifo]);
execFileSync('/usr/bin/python3', [join(ROOT, 'test/support/hostileHdf5.py'), out, join(FIXTURES, 'cifar10_se_r8.h5'), join(FIXTURES, 'cifar10_se_r8.keras'), fifo]);

async function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 60_000 });
    return { code: 0, stderr: '' };
  } catch (e: any) {
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

const BIAS = 'model_weights/dense_1/dense_1/bias';
const OWN = 'refused, a model is read from its own file only';
const cases: { file: string; inspect?: string; excite: string }[] = [
  { file: 'external_storage.h5', excite: `dataset '${BIAS}' stores its values in another file ('/etc/passwd'): ${OWN}` },
  { file: 'external_fifo.h5', excite: `dataset '${BIAS}' stores its values in another file ('${fifo}'): ${OWN}` },
  { file: 'virtual.h5', inspect: `dataset '${BIAS}' is a virtual dataset built from other files ('${join(out, 'other.h5')}'): ${OWN}`, excite: `dataset '${BIAS}' is a virtual dataset built from other files ('${join(out, 'other.h5')}'): ${OWN}` },
  { file: 'lzf.h5', excite: `dataset '${BIAS}' is compressed with the HDF5 filter 'lzf' (id 32000), which this reader cannot decode` },
  { file: 'external_storage.keras', excite: `dataset 'layers/dense/vars/1' stores its values in another file ('/etc/passwd'): ${OWN}` },
];

for (const c of cases) {
  test(`${c.file}: refused by excite${c.inspect ? ' and inspect' : ''}, naming the dataset and the other file`, async () => {
    const label = join(out, c.file) + (c.file.endsWith('.keras') ? '!model.weights.h5' : '');
    const ex = await cli('excite', join(out, c.file), IMAGE);
    assert.equal(ex.code, 1, ex.stderr);
    assert.equal(ex.stderr, `se-inspector: ${label}: ${c.excite}\n`);
    const ins = await cli('inspect', join(out, c.file));
    if (c.inspect) assert.equal(ins.stderr, `se-inspector: ${label}: ${c.inspect}\n`);
    else assert.equal(ins.code, 0, `inspect reads no weight values: ${ins.stderr}`);
  });
}

test('external_link.h5: a layer group linked into another file is refused before anything of it is read', async () => {
  for (const args of [['inspect'], ['excite']]) {
    const r = await cli(...args, join(out, 'external_link.h5'), ...(args[0] === 'excite' ? [IMAGE] : []));
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^se-inspector: ${join(out, 'external_link.h5')}: 'model_weights/dense_1/dense_1/\\w+' refers to another file \\('${join(out, 'other.h5')}'\\): ${OWN}\\n$`));
  }
});

test('float16, float64 and int64 datasets are read as Keras reads them, not called corrupt', async () => {
  const path = join(out, 'dtypes.h5');
  execFileSync('/usr/bin/python3', ['-c', `import h5py, numpy as np, sys
with h5py.File(sys.argv[1], 'w') as f:
    f['half'] = np.array([0, 1, -2.5, 0.1, 65504, 6e-8], dtype='f2')
    f['double'] = np.array([0.1, 1e-30], dtype='f8')
    f['count'] = np.int64(123456789)`, path]);
  const { Hdf5File } = await import('../../src/formats/containers/hdf5.js');
  const f = await Hdf5File.open(path);
  try {
    const half = Array.from(f.dataset('half')!.read());
    // the float16 values themselves (0.1 is 0.0999755859375 in half precision)
    assert.deepEqual(half, [0, 1, -2.5, 0.0999755859375, 65504, 5.960464477539063e-8]);
    assert.deepEqual(Array.from(f.dataset('double')!.read()), [Math.fround(0.1), Math.fround(1e-30)]);
    assert.deepEqual(Array.from(f.dataset('count')!.read()), [123456792]); // the weight store holds float32: the nearest to 123456789
  } finally {
    f.close();
  }
});
