"""Writes HDF5 models that reach outside their own file, or use filters, for the bad-input tests.

usage: hostileHdf5.py OUT_DIR MODEL.h5 MODEL.keras FIFO_PATH
Each output is a copy of a real Keras file with one weight (dense_1's bias, or the .keras
equivalent) stored elsewhere: external storage (raw bytes of another file), a virtual dataset
built from another file, a group that is an external link, or compressed with LZF.
"""
import os
import shutil
import sys
import zipfile

import h5py
import numpy as np

out, src_h5, src_keras, fifo = sys.argv[1:5]
os.makedirs(out, exist_ok=True)
BIAS = 'model_weights/dense_1/dense_1/bias'


def copy(name):
    path = os.path.join(out, name)
    shutil.copyfile(src_h5, path)
    return path


def external_storage(f, ds, target):
    n = f[ds].shape[0]
    del f[ds]
    f.create_dataset(ds, shape=(n,), dtype='f4', external=[(target, 0, 4 * n)])


with h5py.File(os.path.join(out, 'other.h5'), 'w') as f:
    f.create_dataset('g/bias', data=np.arange(64, dtype='f4'))
    f.create_dataset('g/dense_1/bias', data=np.arange(64, dtype='f4'))

with h5py.File(copy('external_storage.h5'), 'a') as f:
    external_storage(f, BIAS, '/etc/passwd')

with h5py.File(copy('external_fifo.h5'), 'a') as f:
    external_storage(f, BIAS, fifo)

with h5py.File(copy('virtual.h5'), 'a') as f:
    n = f[BIAS].shape[0]
    del f[BIAS]
    layout = h5py.VirtualLayout(shape=(n,), dtype='f4')
    layout[:] = h5py.VirtualSource(os.path.join(out, 'other.h5'), 'g/bias', shape=(64,))[:n]
    f.create_virtual_dataset(BIAS, layout)

with h5py.File(copy('external_link.h5'), 'a') as f:
    del f['model_weights/dense_1/dense_1']
    f['model_weights/dense_1/dense_1'] = h5py.ExternalLink(os.path.join(out, 'other.h5'), '/g/dense_1')

with h5py.File(copy('lzf.h5'), 'a') as f:
    data = f[BIAS][()]
    del f[BIAS]
    f.create_dataset(BIAS, data=data, compression='lzf', chunks=data.shape)

# The same trick inside a .keras: its model.weights.h5, rewritten, zipped again.
with zipfile.ZipFile(src_keras) as z:
    entries = {n: z.read(n) for n in z.namelist()}
inner = os.path.join(out, 'inner.h5')
with open(inner, 'wb') as fh:
    fh.write(entries['model.weights.h5'])
with h5py.File(inner, 'a') as f:
    ds = next(p for p in ['layers/dense/vars/1'] if p in f)
    external_storage(f, ds, '/etc/passwd')
with open(inner, 'rb') as fh:
    entries['model.weights.h5'] = fh.read()
os.remove(inner)
with zipfile.ZipFile(os.path.join(out, 'external_storage.keras'), 'w') as z:
    for n, b in entries.items():
        z.writestr(n, b)
print('ok')
