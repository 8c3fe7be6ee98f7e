"""Writes a real Keras 3 .keras archive of a given size: config.json from the test, metadata.json,
and model.weights.h5 (h5py) holding one Dense layer's kernel and bias, stored uncompressed as
Keras stores it, in zip64 (as Python's zipfile writes entries over 2 GiB).

The kernel is allocated and never filled, so the .h5 is a sparse file, and the archive is written
here entry by entry with the same holes: a 2.5 GB file costs no 2.5 GB of disk writes. Readers
see an ordinary file (holes read as zeros); the CRC-32s are those of the real bytes.

usage: bigKeras.py OUT.keras CONFIG.json IN_UNITS OUT_UNITS
"""
import json
import os
import struct
import sys
import zlib

import h5py
import numpy as np

out, config_path, n_in, n_out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
h5_path = out + '.weights.h5'
with h5py.File(h5_path, 'w') as f:
    # Keras 3's layout: a group per layer of model.layers (the input layer too), weights as vars/i.
    f.create_group('layers/input_layer/vars')
    f.create_group('vars')
    space = h5py.h5s.create_simple((n_in, n_out))
    plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    plist.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    plist.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
    f.create_group('layers/dense/vars')
    h5py.h5d.create(f['layers/dense/vars'].id, b'0', h5py.h5t.IEEE_F32LE, space, plist)
    f.create_dataset('layers/dense/vars/1', data=np.zeros((n_out,), 'f4'))

CHUNK = 64 << 20


def data_ranges(fd, size):
    """The (start, end) ranges of a sparse file that hold data."""
    at = 0
    while at < size:
        try:
            start = os.lseek(fd, at, os.SEEK_DATA)
        except OSError:
            return
        end = os.lseek(fd, start, os.SEEK_HOLE)
        yield start, end
        at = end


def crc_of_file(fd, size):
    crc, zeros, at = 0, bytes(CHUNK), 0
    for start, end in list(data_ranges(fd, size)) + [(size, size)]:
        while at < start:  # a hole: zeros
            n = min(CHUNK, start - at)
            crc = zlib.crc32(zeros[:n], crc)
            at += n
        while at < end:
            n = min(CHUNK, end - at)
            crc = zlib.crc32(os.pread(fd, n, at), crc)
            at += n
    return crc


entries, central = [], b''
with open(out, 'wb') as z:
    def add(name, data=None, path=None):
        global central
        name_b = name.encode()
        offset = z.tell()
        if path is None:
            size, crc = len(data), zlib.crc32(data)
        else:
            fd = os.open(path, os.O_RDONLY)
            size = os.fstat(fd).st_size
            crc = crc_of_file(fd, size)
        extra = struct.pack('<HHQQ', 1, 16, size, size)
        z.write(struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 0, 0, 0, crc, 0xffffffff, 0xffffffff, len(name_b), len(extra)) + name_b + extra)
        start = z.tell()
        if path is None:
            z.write(data)
        else:
            for a, b in data_ranges(fd, size):
                z.seek(start + a)
                for p in range(a, b, CHUNK):
                    z.write(os.pread(fd, min(CHUNK, b - p), p))
            z.seek(start + size)
            z.truncate()
            os.close(fd)
        cextra = struct.pack('<HHQQQ', 1, 24, size, size, offset)
        central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 0, 0, 0, crc, 0xffffffff, 0xffffffff, len(name_b), len(cextra), 0, 0, 0, 0, 0xffffffff) + name_b + cextra
        entries.append(name)

    add('metadata.json', json.dumps({'keras_version': '3.16.0'}).encode())
    with open(config_path, 'rb') as fh:
        add('config.json', fh.read())
    add('model.weights.h5', path=h5_path)
    dir_offset = z.tell()
    z.write(central)
    end64 = z.tell()
    n = len(entries)
    z.write(struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, n, n, len(central), dir_offset))
    z.write(struct.pack('<IIQI', 0x07064b50, 0, end64, 1))
    z.write(struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0))
os.remove(h5_path)
print(os.path.getsize(out))
