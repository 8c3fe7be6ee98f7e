"""Reads a TF.js graph model (model.json + weight shards) straight from the files, without the
product's code: nodes by name, the manifest entry of every weight, and weight values in float64
(dequantized as tfjs-core does: float16 widened; uint8/uint16 as min + scale * q, rounded to
float32 because tfjs keeps them in a Float32Array)."""
import json
import os

import numpy as np

DTYPE_BYTES = {'float32': 4, 'int32': 4, 'bool': 1, 'uint8': 1, 'uint16': 2, 'float16': 2}


def size_of(shape):
    n = 1
    for d in shape:
        n *= int(d)
    return n


class TfjsModel:
    def __init__(self, path):
        self.path = path
        with open(path, encoding='utf-8') as f:
            self.json = json.load(f)
        self.nodes = {}
        self.order = []
        for n in self.json['modelTopology']['node']:
            self.nodes[n['name']] = n
            self.order.append(n['name'])
        self.manifest = {}  # name -> (entry, file path, byte offset)
        folder = os.path.dirname(path)
        for group in self.json.get('weightsManifest', []):
            offset = 0
            files = [os.path.join(folder, p) for p in group['paths']]
            for w in group['weights']:
                q = w.get('quantization')
                stored = q['dtype'] if q else w['dtype']
                nbytes = size_of(w['shape']) * DTYPE_BYTES[stored]
                self.manifest[w['name']] = (w, files, offset)
                offset += nbytes
        self._shards = {}
        self._values = {}

    def _bytes(self, files, offset, nbytes):
        key = tuple(files)
        if key not in self._shards:
            self._shards[key] = b''.join(open(p, 'rb').read() for p in files)
        return self._shards[key][offset:offset + nbytes]

    def value(self, name):
        """The weight `name` as a numpy array (float64 for floats, int64 for ints, bool)."""
        if name in self._values:
            return self._values[name]
        w, files, offset = self.manifest[name]
        shape = [int(d) for d in w['shape']]
        n = size_of(shape)
        q = w.get('quantization')
        if q:
            raw = self._bytes(files, offset, n * DTYPE_BYTES[q['dtype']])
            if q['dtype'] == 'float16':
                v = np.frombuffer(raw, dtype='<f2').astype(np.float32)
            else:
                qv = np.frombuffer(raw, dtype='<u1' if q['dtype'] == 'uint8' else '<u2').astype(np.float64)
                v = (qv * q['scale'] + q['min']).astype(np.float32)
            orig = q.get('original_dtype', 'float32')
            v = v.astype(np.int64) if orig == 'int32' else v.astype(np.float64)
        else:
            raw = self._bytes(files, offset, n * DTYPE_BYTES[w['dtype']])
            if w['dtype'] == 'float32':
                v = np.frombuffer(raw, dtype='<f4').astype(np.float64)
            elif w['dtype'] == 'int32':
                v = np.frombuffer(raw, dtype='<i4').astype(np.int64)
            elif w['dtype'] == 'bool':
                v = np.frombuffer(raw, dtype='u1').astype(bool)
            else:
                raise ValueError(f'{self.path}: weight {name} has dtype {w["dtype"]}')
        v = v.reshape(shape)
        self._values[name] = v
        return v

    def dtype(self, name):
        w = self.manifest[name][0]
        q = w.get('quantization')
        return (q or {}).get('original_dtype', w['dtype']) if q else w['dtype']
