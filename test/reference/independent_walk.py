#!/usr/bin/python3
"""Independent ground truth for a TF.js graph model, computed from the raw model.json (nothing of
the product is used): its parameter count and its SE blocks.

Parameters, by role (each weight counted once, by its element count):
  * integer and boolean weights (shapes, axes, indices) are never parameters;
  * a float weight used as kernel / bias / slope / BN statistic (Conv2D, DepthwiseConv2dNative,
    Conv2DBackpropInput, MatMul, BatchMatMul, the fused variants with all their extra args, BiasAdd,
    Prelu, FusedBatchNorm) is a parameter whatever its size;
  * a per-channel float ([C] or [1,...,1,C], C > 1) operand of elementwise arithmetic (Add, AddV2,
    Sub, Mul, RealDiv, Maximum, Minimum, SquaredDifference) is a scale / offset / bias (folded BN):
    a parameter; a float operand spread over more than the channel axis ([48,48,1] coordinate
    grids) is not;
  * a one-element float added to (or multiplying) the output of a conv / matmul layer with ONE
    output channel is that layer's bias (or folded-BN scale): a parameter; every other one-element
    float (the 3 of `x + 3`, 1/6, clip bounds, thresholds) is not;
  * floats that other ops only move or select (GatherV2 tables, Select, Tile, ConcatV2, Fill,
    Pack) are data, not parameters.
  A weight reaches its consumer through Identity nodes and through the data side of Switch (how
  tf.cond hands a weight to its branch).

SE block: a Mul of a feature map X by a gate G where walking back from G over non-constant inputs
reaches only global spatial poolings of that same X (Mean/Sum over axes 1,2, or a VALID AvgPool
whose window is X's whole H x W), through ops that keep per-sample vectors (linear layers,
activations, elementwise arithmetic with constants without spatial extent, reshapes to [N,1,1,C]
or [N,C]); G must have as many channels as X, and more than one. C = X's channels; width = output
channels of the first linear layer after the pooling.

Usage: independent_walk.py model.json [more.json ...]  -> one JSON object per line.
"""
import base64
import heapq
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tfjs_weights import TfjsModel, size_of  # noqa: E402

KERNEL_OPS = {
    'Conv2D', 'DepthwiseConv2dNative', 'Conv2DBackpropInput', 'Conv3D', 'MatMul', 'BatchMatMul',
    'BatchMatMulV2', '_FusedConv2D', 'FusedDepthwiseConv2dNative', '_FusedMatMul', 'BiasAdd', 'Prelu',
    'FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3', '_FusedBatchNormEx', 'Einsum',
}
LINEAR_LAYER_OPS = {
    'Conv2D', 'DepthwiseConv2dNative', 'Conv2DBackpropInput', 'MatMul', '_FusedConv2D',
    'FusedDepthwiseConv2dNative', '_FusedMatMul',
}
ARITHMETIC = {'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference'}
LINEAR_OPS = {'Conv2D', '_FusedConv2D', 'MatMul', '_FusedMatMul'}
ELEMENTWISE = {'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference', 'BiasAdd', 'Prelu'}
UNARY = {
    'Relu', 'Relu6', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'LeakyRelu', 'Exp', 'Neg', 'Reciprocal',
    'Softplus', 'Identity', 'Square', 'Sqrt', 'Rsqrt', 'Abs', 'Cast',
}
GATE_OPS = LINEAR_OPS | ELEMENTWISE | UNARY | {'Reshape', 'Squeeze', 'ExpandDims'}
PASS_CHANNELS = UNARY | {
    'MaxPool', 'AvgPool', 'ResizeBilinear', 'ResizeNearestNeighbor', 'FusedBatchNorm',
    'FusedBatchNormV3', 'Mean', 'Sum', 'Max', 'Min', 'StopGradient', 'Snapshot',
}


def split_ref(ref):
    ref = ref.lstrip('^')
    name, _, k = ref.partition(':')
    return name, int(k) if k else 0


class Walk:
    def __init__(self, path):
        self.m = TfjsModel(path)
        self.nodes = self.m.nodes
        self._chan = {}
        self._hw = {}

    # --- edges ---------------------------------------------------------------------------
    def inputs(self, node):
        return [i for i in node.get('input', []) if not i.startswith('^')]

    def resolve(self, ref):
        """(node, output index) behind `ref`, looking through Identity nodes."""
        name, k = split_ref(ref)
        node = self.nodes[name]
        while node['op'] == 'Identity':
            name, k = split_ref(self.inputs(node)[0])
            node = self.nodes[name]
        return node, k

    def key(self, ref):
        """(node name, output index) behind `ref`, looking through Identity nodes."""
        node, k = self.resolve(ref)
        return node['name'], k

    def const(self, ref):
        node, _ = self.resolve(ref)
        return node['name'] if node['op'] == 'Const' else None

    def const_value(self, ref):
        c = self.const(ref)
        return None if c is None else self.m.value(c)

    # --- parameters ----------------------------------------------------------------------
    def param_source(self, ref):
        """The Const behind an operand, looking through Identity and the data side of Switch (tf.cond
        forwards a weight into its branch that way), or None."""
        name, _ = split_ref(ref)
        node = self.nodes[name]
        while node['op'] in ('Identity', 'Switch'):
            node = self.nodes[split_ref(self.inputs(node)[0])[0]]
        return node['name'] if node['op'] == 'Const' and node['name'] in self.m.manifest else None

    def params(self):
        """(total, counted by role, floats not counted by why, unused manifest weights)."""
        roles = {}
        for node in self.nodes.values():
            if node['op'] in ('Const', 'Identity', 'Switch'):
                continue
            ins = self.inputs(node)
            for pos, ref in enumerate(ins):
                c = self.param_source(ref)
                if c is None:
                    continue
                roles.setdefault(c, set()).add(self.role(node, ins, pos, c))
        counted = {'kernel': 0, 'channel': 0, 'oneUnitBias': 0}
        skipped = {'scalar': 0, 'notPerChannel': 0, 'data': 0}
        total = 0
        for c, r in roles.items():
            n = size_of(self.m.manifest[c][0]['shape'])
            best = next((x for x in counted if x in r), None)
            if best:
                counted[best] += n
                total += n
            else:
                why = next((x for x in skipped if x in r), None)
                if why:
                    skipped[why] += n
        unused = sorted(set(self.m.manifest) - set(roles))
        return total, counted, skipped, unused

    def role(self, node, ins, pos, c):
        op = node['op']
        if self.m.dtype(c) not in ('float32', 'float16'):
            return 'integer'
        shape = [int(d) for d in self.m.manifest[c][0]['shape']]
        n = size_of(shape)
        if op in KERNEL_OPS:
            return 'kernel'
        if op in ARITHMETIC:
            per_channel = len(shape) >= 1 and size_of(shape[:-1]) == 1
            if n > 1:
                return 'channel' if per_channel else 'notPerChannel'
            if op in ('Add', 'AddV2', 'Mul') and self.after_one_unit_layer(ins, pos):
                return 'oneUnitBias'
            return 'scalar'
        return 'data' if n > 1 else 'scalar'

    def after_one_unit_layer(self, ins, pos):
        """Whether the other operand is the output of a conv / matmul layer with one output channel."""
        other = [r for j, r in enumerate(ins) if j != pos]
        if len(other) != 1 or self.const(other[0]):
            return False
        producer, _ = self.resolve(other[0])
        return producer['op'] in LINEAR_LAYER_OPS and self.linear_width(producer) == 1

    # --- channels and spatial size (only what the SE test needs) -------------------------
    def linear_width(self, node):
        """Output channels of a conv / matmul with a constant kernel, else None."""
        op = node['op']
        ins = self.inputs(node)
        if len(ins) < 2:
            return None
        w = self.const_value(ins[1])
        if w is None:
            return None
        s = w.shape
        if op in ('Conv2D', '_FusedConv2D'):
            return s[3]
        if op in ('DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative'):
            return s[2] * s[3]
        if op == 'Conv2DBackpropInput':
            return s[2]
        if op in ('MatMul', '_FusedMatMul'):
            return s[0] if node.get('attr', {}).get('transpose_b', {}).get('b') else s[1]
        return None

    def chan(self, ref):
        node, _ = self.resolve(ref)
        key = node['name']
        if key not in self._chan:
            self._chan[key] = None  # cycles (loops) give unknown
            self._chan[key] = self._chan_of(node)
        return self._chan[key]

    def _chan_of(self, node):
        op = node['op']
        ins = self.inputs(node)
        if op == 'Placeholder':
            dims = node.get('attr', {}).get('shape', {}).get('shape', {}).get('dim', [])
            return int(dims[-1]['size']) if dims and int(dims[-1]['size']) > 0 else None
        if op == 'Const':
            v = self.m.value(node['name'])
            return v.shape[-1] if v.ndim else 1
        w = self.linear_width(node)
        if w is not None:
            return w
        if op in ELEMENTWISE or op == 'AddN':
            cs = [self.chan(r) for r in ins]
            return None if any(c is None for c in cs) else max(cs)
        if op == 'ConcatV2':
            axis = int(self.const_value(ins[-1]))
            cs = [self.chan(r) for r in ins[:-1]]
            if axis in (3, -1):
                return None if any(c is None for c in cs) else sum(cs)
            return cs[0]
        if op in ('Pad', 'PadV2', 'MirrorPad'):
            c = self.chan(ins[0])
            p = self.const_value(ins[1])
            return None if c is None or p is None else c + int(p[-1][0] + p[-1][1])
        if op == 'Reshape':
            t = self.const_value(ins[1])
            return int(t[-1]) if t is not None and t.ndim == 1 and len(t) and t[-1] > 0 else None
        if op == 'DepthToSpace':
            c = self.chan(ins[0])
            b = int(node['attr']['block_size']['i'])
            return None if c is None else c // (b * b)
        if op in PASS_CHANNELS or op in ('Squeeze', 'ExpandDims', 'Pad', 'SpaceToBatchND', 'BatchToSpaceND'):
            return self.chan(ins[0])
        return None

    def hw(self, ref):
        node, _ = self.resolve(ref)
        key = node['name']
        if key not in self._hw:
            self._hw[key] = None
            self._hw[key] = self._hw_of(node)
        return self._hw[key]

    def _hw_of(self, node):
        op = node['op']
        ins = self.inputs(node)
        attr = node.get('attr', {})
        if op == 'Placeholder':
            dims = [int(d['size']) for d in attr.get('shape', {}).get('shape', {}).get('dim', [])]
            return tuple(dims[1:3]) if len(dims) == 4 and min(dims[1:3]) > 0 else None
        if op in ('Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', 'MaxPool', 'AvgPool'):
            src = self.hw(ins[0])
            if src is None:
                return None
            if 'ksize' in attr:
                k = [int(x) for x in attr['ksize']['list']['i']][1:3]
            else:
                k = list(self.const_value(ins[1]).shape[0:2])
            s = [int(x) for x in attr['strides']['list']['i']][1:3]
            d = [int(x) for x in attr['dilations']['list']['i']][1:3] if 'dilations' in attr else [1, 1]
            pad = base64.b64decode(attr['padding']['s']).decode()
            out = []
            for i in range(2):
                ek = (k[i] - 1) * d[i] + 1
                if pad == 'SAME':
                    out.append(math.ceil(src[i] / s[i]))
                elif pad == 'VALID':
                    out.append(math.ceil((src[i] - ek + 1) / s[i]))
                else:
                    e = [int(x) for x in attr['explicit_paddings']['list']['i']]
                    out.append((src[i] + e[2 + 2 * i] + e[3 + 2 * i] - ek) // s[i] + 1)
            return tuple(out)
        if op in ('Pad', 'PadV2', 'MirrorPad'):
            src = self.hw(ins[0])
            p = self.const_value(ins[1])
            return None if src is None else (src[0] + int(p[1].sum()), src[1] + int(p[2].sum()))
        if op in ('ResizeBilinear', 'ResizeNearestNeighbor'):
            v = self.const_value(ins[1])
            return None if v is None else (int(v[0]), int(v[1]))
        if op == 'Conv2DBackpropInput':
            v = self.const_value(ins[0])
            return None if v is None else (int(v[1]), int(v[2]))
        if op == 'DepthToSpace':
            src = self.hw(ins[0])
            b = int(attr['block_size']['i'])
            return None if src is None else (src[0] * b, src[1] * b)
        if op in ELEMENTWISE or op in ('ConcatV2', 'AddN') or op in UNARY or op in ('FusedBatchNorm', 'FusedBatchNormV3'):
            for r in ins:
                if not self.const(r):
                    return self.hw(r)
        return None

    # --- SE blocks -----------------------------------------------------------------------
    def squeeze_of(self, node, x):
        """Whether `node` is a global spatial average (or sum) of the tensor `x`."""
        ins = self.inputs(node)
        if not ins or self.key(ins[0]) != x:
            return False
        if node['op'] in ('Mean', 'Sum'):
            axes = self.const_value(ins[1])
            return axes is not None and sorted(int(a) for a in axes.reshape(-1)) in ([1, 2], [-3, -2])
        if node['op'] == 'AvgPool':
            attr = node['attr']
            pad = base64.b64decode(attr['padding']['s']).decode()
            k = tuple(int(v) for v in attr['ksize']['list']['i'][1:3])
            size = self.hw(ins[0])
            if size is None:
                raise RuntimeError(f"{self.m.path}: cannot tell whether AvgPool '{node['name']}' is global (input size unknown)")
            return pad == 'VALID' and k == tuple(size)
        return False

    def gate_ok(self, node):
        """Whether `node` keeps per-sample vectors: a gate op whose constants have no spatial extent."""
        op = node['op']
        if op not in GATE_OPS:
            return False
        ins = self.inputs(node)
        if op == 'Reshape':
            t = self.const_value(ins[1])
            return t is not None and t.ndim == 1 and len(t) in (2, 4) and all(int(v) == 1 for v in t[1:-1])
        if op in ELEMENTWISE:
            for r in ins:
                v = self.const_value(r)
                if v is not None and v.ndim > 1 and size_of(v.shape[:-1]) != 1:
                    return False
        return True

    def se_blocks(self):
        topo = self.topo_order()
        blocks = []
        for name in topo:
            node = self.nodes[name]
            if node['op'] != 'Mul':
                continue
            ins = self.inputs(node)
            if len(ins) != 2 or self.const(ins[0]) or self.const(ins[1]):
                continue
            for xi in (0, 1):
                found = self.se_walk(node, xi)
                if found:
                    blocks.append(found)
                    break
        return blocks

    def se_walk(self, mul, xi):
        ins = self.inputs(mul)
        x = self.key(ins[xi])
        g = self.key(ins[1 - xi])
        sub, squeezes, stack = set(), [], [g]
        while stack:
            node_name, k = stack.pop()
            if node_name in sub or node_name in squeezes:
                continue
            if (node_name, k) == x:
                return None  # the gate sees X itself, not only its pooled summary
            node = self.nodes[node_name]
            if self.squeeze_of(node, x):
                squeezes.append(node_name)
                continue
            if not self.gate_ok(node):
                return None
            sub.add(node_name)
            for r in self.inputs(node):
                if not self.const(r):
                    stack.append(self.key(r))
        if not squeezes:
            return None
        c = self.chan(ins[xi])
        if c is None:
            raise RuntimeError(f"{self.m.path}: channels of '{x[0]}' (X of '{mul['name']}') unknown")
        gate_c = self.gate_channels(g[0], sub, squeezes, c)
        if gate_c != c or c <= 1:
            return None
        linears = self.first_linears(squeezes, sub)
        widths = sorted({self.linear_width(self.nodes[n]) for n in linears})
        return {
            'mul': mul['name'], 'x': x[0], 'gate': g[0], 'squeeze': squeezes[0], 'C': int(c),
            'width': int(widths[0]) if len(widths) == 1 else None,
            'firstLinear': linears,
        }

    def gate_channels(self, name, sub, squeezes, c):
        memo = {}

        def ch(n):
            if n in squeezes:
                return c
            if n in memo:
                return memo[n]
            node = self.nodes[n]
            w = self.linear_width(node) if node['op'] in LINEAR_OPS else None
            if w is None:
                cs = []
                for r in self.inputs(node):
                    if self.const(r):
                        v = self.const_value(r)
                        if node['op'] in ELEMENTWISE:
                            cs.append(v.shape[-1] if v.ndim else 1)
                    else:
                        cs.append(ch(self.key(r)[0]))
                if node['op'] == 'Reshape':
                    t = self.const_value(self.inputs(node)[1])
                    cs = [int(t[-1])] if int(t[-1]) > 0 else cs[:1]
                w = max(cs) if cs else None
            memo[n] = w
            return w

        return ch(name)

    def first_linears(self, squeezes, sub):
        """Linear ops of the gate reached from the squeeze with no linear op in between."""
        consumers = {}
        for n in sub:
            for r in self.inputs(self.nodes[n]):
                if not self.const(r):
                    consumers.setdefault(self.key(r)[0], []).append(n)
        found, seen, stack = [], set(), list(squeezes)
        while stack:
            n = stack.pop()
            for m in consumers.get(n, []):
                if m in seen:
                    continue
                seen.add(m)
                if self.nodes[m]['op'] in LINEAR_OPS:
                    found.append(m)
                else:
                    stack.append(m)
        return sorted(found)

    def topo_order(self):
        """Kahn's order, ties broken by position in the file (NextIteration back edges ignored)."""
        index = {n: i for i, n in enumerate(self.m.order)}
        deps = {}
        users = {}
        for n in self.m.order:
            node = self.nodes[n]
            ds = set()
            if node['op'] != 'Merge':
                for r in node.get('input', []):
                    ds.add(split_ref(r)[0])
            else:
                for r in node.get('input', []):
                    src = split_ref(r)[0]
                    if self.nodes[src]['op'] != 'NextIteration':
                        ds.add(src)
            deps[n] = ds
            for d in ds:
                users.setdefault(d, []).append(n)
        ready = [index[n] for n in self.m.order if not deps[n]]
        heapq.heapify(ready)
        left = {n: len(d) for n, d in deps.items()}
        out = []
        while ready:
            n = self.m.order[heapq.heappop(ready)]
            out.append(n)
            for u in users.get(n, []):
                left[u] -= 1
                if left[u] == 0:
                    heapq.heappush(ready, index[u])
        return out


def main(paths):
    for p in paths:
        w = Walk(p)
        total, counted, skipped, unused = w.params()
        blocks = w.se_blocks()
        print(json.dumps({
            'model': os.path.splitext(os.path.basename(p))[0], 'params': int(total),
            'paramsByRole': {k: int(v) for k, v in counted.items()},
            'floatsNotCounted': {k: int(v) for k, v in skipped.items()}, 'unusedWeights': unused,
            'seBlocks': blocks,
        }))


if __name__ == '__main__':
    main(sys.argv[1:])
