#!/usr/bin/python3
"""Float64 reference run of a TF.js graph model (model.json + shards read directly, numpy only,
nothing of the product): evaluates, lazily and only what is needed, the gate operand of every SE
block that the independent walk finds, and prints them as JSON.

  graph_reference.py model.json --input NAME=FILE.f32:1x256x256x3 [--input NAME=0.5 ...]

A FILE.f32 input is raw little-endian float32 of that shape; a bare number is a scalar input;
an input not given is zeros of its declared shape (recurrent states). Op semantics follow
TensorFlow: SAME padding puts the odd pixel at the end, average pools do not count padding,
ResizeBilinear honours align_corners / half_pixel_centers, tf.cond runs through Switch/Merge with
dead branches. An op outside this list stops the run naming the op.
"""
import argparse
import base64
import json
import math
import os
import sys
import threading

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from independent_walk import Walk, split_ref  # noqa: E402

DEAD = object()  # the untaken side of a tf.cond


def attr_s(node, key, default=None):
    a = node.get('attr', {}).get(key)
    return base64.b64decode(a['s']).decode() if a and 's' in a else default


def attr_ints(node, key):
    a = node.get('attr', {}).get(key)
    return [int(v) for v in a['list'].get('i', [])] if a and 'list' in a else None


def attr_i(node, key, default=0):
    a = node.get('attr', {}).get(key)
    return int(a['i']) if a and 'i' in a else default


def attr_b(node, key):
    a = node.get('attr', {}).get(key)
    return bool(a and a.get('b'))


def attr_f(node, key, default=None):
    a = node.get('attr', {}).get(key)
    return float(a['f']) if a and 'f' in a else default


def same_pads(size, k, s, d):
    ek = (k - 1) * d + 1
    out = math.ceil(size / s)
    total = max((out - 1) * s + ek - size, 0)
    return total // 2, total - total // 2


def spatial_pads(node, x, kh, kw):
    """[(top, bottom), (left, right)] of a conv/pool node on NHWC x."""
    pad = attr_s(node, 'padding')
    s = attr_ints(node, 'strides')
    d = attr_ints(node, 'dilations') or [1, 1, 1, 1]
    if pad == 'SAME':
        return [same_pads(x.shape[1], kh, s[1], d[1]), same_pads(x.shape[2], kw, s[2], d[2])]
    if pad == 'VALID':
        return [(0, 0), (0, 0)]
    if pad == 'EXPLICIT':
        e = attr_ints(node, 'explicit_paddings')
        return [(e[2], e[3]), (e[4], e[5])]
    raise NotImplementedError(f"padding {pad} of '{node['name']}'")


def taps(node, x, kh, kw, fill=0.0):
    """Yields (i, j, window) per kernel tap: the strided input slice that tap sees."""
    s = attr_ints(node, 'strides')
    d = attr_ints(node, 'dilations') or [1, 1, 1, 1]
    (pt, pb), (pl, pr) = spatial_pads(node, x, kh, kw)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)
    oh = (xp.shape[1] - ((kh - 1) * d[1] + 1)) // s[1] + 1
    ow = (xp.shape[2] - ((kw - 1) * d[2] + 1)) // s[2] + 1
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * d[1], j * d[2]
            yield i, j, xp[:, r0:r0 + s[1] * (oh - 1) + 1:s[1], c0:c0 + s[2] * (ow - 1) + 1:s[2], :]


def conv2d(node, x, w):
    kh, kw, _, co = w.shape
    out = None
    for i, j, win in taps(node, x, kh, kw):
        t = np.tensordot(win, w[i, j], axes=([3], [0]))
        out = t if out is None else out + t
    return out


def depthwise(node, x, w):
    kh, kw, c, m = w.shape
    out = None
    for i, j, win in taps(node, x, kh, kw):
        t = (win[..., :, None] * w[i, j][None, None, None]).reshape(win.shape[:3] + (c * m,))
        out = t if out is None else out + t
    return out


def pool(node, x, kind):
    k = attr_ints(node, 'ksize')
    if kind == 'max':
        out = None
        for _, _, win in taps(node, x, k[1], k[2], fill=-np.inf):
            out = win if out is None else np.maximum(out, win)
        return out
    total, count = None, None
    ones = np.ones(x.shape[:3] + (1,))
    for (_, _, win), (_, _, wone) in zip(taps(node, x, k[1], k[2]), taps(node, ones, k[1], k[2])):
        total = win if total is None else total + win
        count = wone if count is None else count + wone
    return total / count  # TF's average pool does not count padded cells


def activation(name, x, node, alpha=None):
    if name == 'Relu':
        return np.maximum(x, 0)
    if name == 'Relu6':
        return np.clip(x, 0, 6)
    if name == 'Sigmoid':
        return 1 / (1 + np.exp(-x))
    if name == 'Tanh':
        return np.tanh(x)
    if name == 'Elu':
        return np.where(x > 0, x, np.expm1(x))
    if name == 'LeakyRelu':
        a = attr_f(node, 'leakyrelu_alpha', attr_f(node, 'alpha', 0.2))
        return np.where(x > 0, x, a * x)
    if name == 'Prelu':
        return np.where(x > 0, x, alpha * x)
    raise NotImplementedError(f"fused activation {name} of '{node['name']}'")


def resize_bilinear(node, x, size):
    oh, ow = int(size[0]), int(size[1])
    align = attr_b(node, 'align_corners')
    half = attr_b(node, 'half_pixel_centers')

    def weights(n_in, n_out):
        scale = (n_in - 1) / (n_out - 1) if align and n_out > 1 else n_in / n_out
        src = (np.arange(n_out) + 0.5) * scale - 0.5 if half else np.arange(n_out) * scale
        lo_f = np.floor(src)
        lo = np.maximum(lo_f, 0).astype(int)
        hi = np.minimum(np.ceil(src), n_in - 1).astype(int)
        return lo, hi, src - lo_f

    t, b, fy = weights(x.shape[1], oh)
    l, r, fx = weights(x.shape[2], ow)
    top = x[:, t][:, :, l] + (x[:, t][:, :, r] - x[:, t][:, :, l]) * fx[None, None, :, None]
    bot = x[:, b][:, :, l] + (x[:, b][:, :, r] - x[:, b][:, :, l]) * fx[None, None, :, None]
    return top + (bot - top) * fy[None, :, None, None]


def strided_slice(node, x, begin, end, strides):
    bm, em, sm = attr_i(node, 'begin_mask'), attr_i(node, 'end_mask'), attr_i(node, 'shrink_axis_mask')
    if attr_i(node, 'ellipsis_mask') or attr_i(node, 'new_axis_mask'):
        raise NotImplementedError(f"StridedSlice '{node['name']}' with ellipsis/new-axis masks")
    idx = []
    for a in range(len(begin)):
        b, e, s = int(begin[a]), int(end[a]), int(strides[a])
        if sm >> a & 1:
            idx.append(b)
            continue
        idx.append(slice(None if bm >> a & 1 else b, None if em >> a & 1 else e, s))
    return x[tuple(idx)]


def space_to_batch(x, block, pads):
    n, h, w, c = x.shape
    bh, bw = int(block[0]), int(block[1])
    xp = np.pad(x, ((0, 0), tuple(int(v) for v in pads[0]), tuple(int(v) for v in pads[1]), (0, 0)))
    hp, wp = xp.shape[1] // bh, xp.shape[2] // bw
    y = xp.reshape(n, hp, bh, wp, bw, c).transpose(2, 4, 0, 1, 3, 5)
    return y.reshape(bh * bw * n, hp, wp, c)


def batch_to_space(x, block, crops):
    bh, bw = int(block[0]), int(block[1])
    nb, h, w, c = x.shape
    n = nb // (bh * bw)
    y = x.reshape(bh, bw, n, h, w, c).transpose(2, 3, 0, 4, 1, 5).reshape(n, h * bh, w * bw, c)
    (ct, cb), (cl, cr) = [(int(a), int(b)) for a, b in crops]
    return y[:, ct:y.shape[1] - cb, cl:y.shape[2] - cr, :]


class Reference:
    def __init__(self, path, inputs):
        self.walk = Walk(path)
        self.m = self.walk.m
        self.nodes = self.m.nodes
        self.inputs = inputs
        self.values = {}

    def out(self, ref):
        name, k = split_ref(ref)
        outs = self.eval(name)
        return outs[k] if outs is not DEAD else DEAD

    def eval(self, name):
        if name not in self.values:
            self.values[name] = self.compute(self.nodes[name])
        return self.values[name]

    def compute(self, node):
        op = node['op']
        if op == 'Const':
            return [self.m.value(node['name'])]
        if op == 'Placeholder':
            return [self.placeholder(node)]
        refs = [r for r in node.get('input', []) if not r.startswith('^')]
        controls = [r[1:] for r in node.get('input', []) if r.startswith('^')]
        if op == 'Merge':
            for i, r in enumerate(refs):
                v = self.out(r)
                if v is not DEAD:
                    return [v, np.array(i)]
            return DEAD
        if any(self.eval(c) is DEAD for c in controls):
            return DEAD
        args = [self.out(r) for r in refs]
        if any(a is DEAD for a in args):
            return DEAD
        if op == 'NoOp':
            return []
        if op == 'Switch':
            data, pred = args
            return [DEAD, data] if bool(pred) else [data, DEAD]
        return [self.op(node, op, args)]

    def placeholder(self, node):
        name = node['name']
        if name in self.inputs:
            return self.inputs[name]
        dims = node.get('attr', {}).get('shape', {}).get('shape', {}).get('dim', [])
        return np.zeros([max(int(d['size']), 1) for d in dims])

    def op(self, node, op, a):
        f = FLOAT
        if op in ('Identity', 'StopGradient', 'Snapshot'):
            return a[0]
        if op == 'Conv2D':
            return conv2d(node, a[0], a[1])
        if op == 'DepthwiseConv2dNative':
            return depthwise(node, a[0], a[1])
        if op in ('_FusedConv2D', 'FusedDepthwiseConv2dNative', '_FusedMatMul'):
            if op == '_FusedConv2D':
                y = conv2d(node, a[0], a[1])
            elif op == 'FusedDepthwiseConv2dNative':
                y = depthwise(node, a[0], a[1])
            else:
                y = matmul(node, a[0], a[1])
            extra = a[2:]
            fused = [base64.b64decode(s).decode() for s in node['attr']['fused_ops']['list'].get('s', [])]
            for fo in fused:
                if fo in ('BiasAdd', 'Add'):
                    y = y + extra.pop(0)
                elif fo == 'Prelu':
                    y = activation('Prelu', y, node, extra.pop(0))
                else:
                    y = activation(fo, y, node)
            return y
        if op == 'MatMul':
            return matmul(node, a[0], a[1])
        if op in ('Add', 'AddV2', 'BiasAdd'):
            return a[0] + a[1]
        if op == 'AddN':
            return sum(a[1:], a[0])
        if op == 'Sub':
            return a[0] - a[1]
        if op == 'Mul':
            return a[0] * a[1]
        if op == 'RealDiv':
            return a[0] / a[1]
        if op == 'Maximum':
            return np.maximum(a[0], a[1])
        if op == 'Minimum':
            return np.minimum(a[0], a[1])
        if op == 'FloorMod':
            return np.mod(a[0], a[1])
        if op == 'FloorDiv':
            return np.floor_divide(a[0], a[1])
        if op == 'Equal':
            return np.equal(a[0], a[1])
        if op in ('Relu', 'Relu6', 'Sigmoid', 'Tanh', 'Elu', 'LeakyRelu'):
            return activation(op, a[0], node)
        if op == 'Prelu':
            return activation('Prelu', a[0], node, a[1])
        if op in ('Mean', 'Sum', 'Max'):
            axes = tuple(int(v) for v in np.reshape(a[1], -1))
            fn = {'Mean': np.mean, 'Sum': np.sum, 'Max': np.max}[op]
            return fn(a[0], axis=axes, keepdims=attr_b(node, 'keep_dims'))
        if op == 'AvgPool':
            return pool(node, a[0], 'avg')
        if op == 'MaxPool':
            return pool(node, a[0], 'max')
        if op in ('Pad', 'PadV2'):
            value = float(a[2]) if op == 'PadV2' else 0.0
            return np.pad(a[0], [(int(p[0]), int(p[1])) for p in a[1]], constant_values=value)
        if op == 'Reshape':
            return np.reshape(a[0], [int(v) for v in np.reshape(a[1], -1)])
        if op == 'Squeeze':
            dims = attr_ints(node, 'squeeze_dims')
            return np.squeeze(a[0], axis=tuple(dims)) if dims else np.squeeze(a[0])
        if op == 'ExpandDims':
            return np.expand_dims(a[0], int(np.reshape(a[1], -1)[0]))
        if op == 'ConcatV2':
            return np.concatenate(a[:-1], axis=int(a[-1]))
        if op == 'ResizeBilinear':
            return resize_bilinear(node, a[0], a[1])
        if op == 'Shape':
            return np.array(a[0].shape, dtype=np.int64)
        if op == 'StridedSlice':
            return strided_slice(node, a[0], a[1], a[2], a[3])
        if op == 'Pack':
            return np.stack(a, axis=attr_i(node, 'axis'))
        if op == 'Cast':
            dst = node['attr']['DstT']['type']
            if dst in ('DT_INT32', 'DT_INT64'):
                return np.trunc(a[0]).astype(np.int64)
            if dst == 'DT_BOOL':
                return a[0].astype(bool)
            return a[0].astype(f)
        if op == 'SpaceToBatchND':
            return space_to_batch(a[0], a[1], a[2])
        if op == 'BatchToSpaceND':
            return batch_to_space(a[0], a[1], a[2])
        raise NotImplementedError(f"op {op} ('{node['name']}') is not in the float64 reference")


FLOAT = np.float64


def matmul(node, x, w):
    if attr_b(node, 'transpose_a'):
        x = x.T
    if attr_b(node, 'transpose_b'):
        w = w.T
    return x @ w


def parse_inputs(items):
    out = {}
    for item in items:
        name, _, spec = item.partition('=')
        if '.f32:' in spec or spec.endswith('.f32'):
            path, _, shape = spec.rpartition(':')
            dims = [int(v) for v in shape.split('x')]
            out[name] = np.fromfile(path, dtype='<f4').astype(np.float64).reshape(dims)
        else:
            out[name] = np.array(float(spec))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('model')
    p.add_argument('--input', action='append', default=[])
    args = p.parse_args()
    ref = Reference(args.model, parse_inputs(args.input))
    blocks = ref.walk.se_blocks()
    gates = []
    for b in blocks:
        mul = ref.nodes[b['mul']]
        ins = [r for r in mul['input'] if not r.startswith('^')]
        gate_ref = next(r for r in ins if ref.walk.key(r) == (b['gate'], 0) or split_ref(r)[0] == b['gate'])
        v = ref.out(gate_ref)
        if v is DEAD:
            raise RuntimeError(f"gate of '{b['mul']}' is on the untaken side of a tf.cond")
        v = np.asarray(v, dtype=np.float64)
        gates.append({'mul': b['mul'], 'gate': b['gate'], 'C': b['C'], 'shape': list(v.shape), 'values': v.reshape(-1)[:b['C']].tolist()})
    print(json.dumps({'model': os.path.basename(args.model), 'gates': gates}))


if __name__ == '__main__':
    # Deep graphs recurse deeply: a big stack on a worker thread.
    sys.setrecursionlimit(100000)
    threading.stack_size(512 * 1024 * 1024)
    failed = []

    def guarded():
        try:
            main()
        except Exception as e:  # noqa: BLE001 - one line on stderr, non-zero exit
            failed.append(f'{type(e).__name__}: {e}')

    t = threading.Thread(target=guarded)
    t.start()
    t.join()
    if failed:
        print(failed[0], file=sys.stderr)
        sys.exit(1)
