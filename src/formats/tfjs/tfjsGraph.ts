/**
 * TensorFlow.js graph model: model.json (`format: graph-model`, a TF GraphDef in JSON) + shards.
 * Constant inputs (filters, biases, axes, shapes) fold into the node that consumes them; small
 * integer constants are read now because shapes depend on them.
 */
import { buildGraph, type RawNode } from '../../graph/build.js';
import type { NodeAttrs, Shape, TensorRef, WeightSpec } from '../../graph/types.js';
import { FormatError } from '../../util/errors.js';
import { isObject, type ModelReader } from '../reader.js';
import { parseManifest, readShardBytes, readWeights, type ManifestWeight } from './weightsManifest.js';

type Json = Record<string, any>;

function attrString(a: Json | undefined): string | undefined {
  if (!a || typeof a.s !== 'string') return undefined;
  return Buffer.from(a.s, 'base64').toString('utf8');
}
function attrInts(a: Json | undefined): number[] | undefined {
  const l = a?.list?.i;
  return Array.isArray(l) ? l.map(Number) : undefined;
}
function attrStrings(a: Json | undefined): string[] {
  const l = a?.list?.s;
  return Array.isArray(l) ? l.map((s: string) => Buffer.from(s, 'base64').toString('utf8')) : [];
}
function tensorShape(s: Json | undefined): Shape | undefined {
  if (!s || s.unknownRank) return undefined;
  const dims = Array.isArray(s.dim) ? s.dim : [];
  return dims.map((d: Json) => {
    const n = Number(d.size);
    return n < 0 || Number.isNaN(n) ? null : n;
  });
}

/** Spatial part of NHWC 4-vectors such as strides [1, sh, sw, 1]. */
const hw = (v: number[] | undefined) => (v && v.length === 4 ? [v[1], v[2]] : v);

const FUSED_ACTIVATIONS: Record<string, string> = { Relu: 'relu', Relu6: 'relu6', Elu: 'elu', Sigmoid: 'sigmoid', Tanh: 'tanh', LeakyRelu: 'leaky_relu' };
const CONST_OPS = new Set(['Const']);
const IGNORED_OPS = new Set(['NoOp']);

function parseRef(input: string): TensorRef {
  const [node, k] = input.split(':');
  return { node, output: k === undefined ? 0 : Number(k) };
}

export const tfjsGraphReader: ModelReader = {
  format: 'tfjs-graph',
  match: (f) => isObject(f.json) && (f.json.format === 'graph-model' || (isObject(f.json.modelTopology) && Array.isArray(f.json.modelTopology.node))),
  async read(file, options) {
    const json = file.json as Json;
    const gdef = json.modelTopology;
    if (!isObject(gdef) || !Array.isArray(gdef.node)) throw new FormatError('model.json of a graph model has no modelTopology.node list', file.path);
    const manifest = parseManifest(file.path, json.weightsManifest ?? []);
    const byName = new Map<string, ManifestWeight>(manifest.weights.map((w) => [w.name, w]));

    const defs = new Map<string, Json>();
    for (const n of gdef.node) {
      if (!isObject(n) || typeof n.name !== 'string' || typeof n.op !== 'string') throw new FormatError(`a graph node is not {name, op}: ${JSON.stringify(n).slice(0, 80)}`, file.path);
      if (defs.has(n.name)) throw new FormatError(`two graph nodes are named '${n.name}'`, file.path);
      defs.set(n.name, n);
    }
    // Constants, seen through Identity nodes that only forward them.
    const constOf = (name: string): string | undefined => {
      for (let i = 0, d = defs.get(name); d && i < 8; i++, d = defs.get(parseRef(String(d.input?.[0] ?? '')).node)) {
        if (CONST_OPS.has(d.op)) return d.name;
        if (d.op !== 'Identity') return undefined;
      }
      return undefined;
    };
    const small = new Set(manifest.weights.filter((w) => w.shape.reduce((a, b) => a * b, 1) <= 64).map((w) => w.name));
    const values = readWeights(file.path, manifest, small);
    const constValues = (name: string) => {
      const v = values.get(name);
      return v ? Array.from(v) : undefined;
    };

    const nodes: RawNode[] = [];
    const inputs: { name: string; shape: Shape | null; dtype?: string }[] = [];
    const signatureInputs: Json = isObject(json.signature?.inputs) ? json.signature.inputs : {};
    for (const d of defs.values()) {
      if (CONST_OPS.has(d.op) || IGNORED_OPS.has(d.op) || constOf(d.name)) continue;
      const attr: Json = isObject(d.attr) ? d.attr : {};
      const refs: TensorRef[] = [];
      const weights: WeightSpec[] = [];
      const constArgs: { position: number; name: string }[] = [];
      (Array.isArray(d.input) ? d.input : []).forEach((raw: unknown, position: number) => {
        const s = String(raw);
        if (s.startsWith('^')) return; // control edge
        const ref = parseRef(s);
        if (!defs.has(ref.node)) throw new FormatError(`node '${d.name}' takes its input from '${ref.node}', which does not exist`, file.path);
        const c = constOf(ref.node);
        if (!c) return void refs.push(ref);
        const w = byName.get(c);
        if (!w) throw new FormatError(`constant '${c}' used by '${d.name}' has no entry in weightsManifest`, file.path);
        // Scalars (add/y) and integer operands (axes, shapes) are stored like weights but are not parameters.
        const constant = w.shape.length === 0 || w.shape.every((x) => x === 1) || w.dtype === 'int32';
        weights.push({ id: w.name, name: c, shape: w.shape, trainable: true, role: constant ? 'constant' : 'param' });
        constArgs.push({ position, name: c });
      });
      const attrs = graphAttrs(d, attr, constArgs, constValues, file.path);
      if (d.op === 'Placeholder') {
        const sig = Object.values(signatureInputs).find((s: any) => String(s?.name ?? '').split(':')[0] === d.name) as Json | undefined;
        const shape = tensorShape(attr.shape?.shape) ?? tensorShape(sig?.tensorShape) ?? null; // null: rank unknown
        if (!attr.shape?.shape && !sig?.tensorShape) throw new FormatError(`input '${d.name}' declares no shape`, file.path);
        const dtype = String(attr.dtype?.type ?? sig?.dtype ?? 'DT_FLOAT').replace(/^DT_/, '').toLowerCase().replace(/^(float|double|half)$/, (t) => ({ float: 'float32', double: 'float64', half: 'float16' })[t]!);
        inputs.push({ name: d.name, shape, dtype });
      }
      nodes.push({ name: d.name, op: `tf.${d.op}`, domain: 'tf', inputs: refs, attrs, weights });
    }

    const consumed = new Set(nodes.flatMap((n) => n.inputs.map((i) => i.node)));
    const sigOut = isObject(json.signature?.outputs) ? Object.values(json.signature.outputs).map((o: any) => parseRef(String(o?.name ?? ''))) : [];
    const outputs = sigOut.length && sigOut.every((o) => nodes.some((n) => n.name === o.node)) ? sigOut : nodes.filter((n) => !consumed.has(n.name) && n.op !== 'tf.Placeholder').map((n) => ({ node: n.name, output: 0 }));
    return buildGraph(
      {
        name: String(json.userDefinedMetadata?.name ?? file.path.split(/[\\/]/).slice(-2, -1)[0] ?? 'graph'),
        format: 'tfjs-graph',
        path: file.path,
        nodes,
        inputs,
        outputs,
        producer: [json.generatedBy, json.convertedBy].filter((x) => typeof x === 'string').join(', ') || undefined,
        loadWeights: async () => readWeights(file.path, manifest),
        // The files as tfjs-converter's GraphModel takes them (its own decoding, every op it knows).
        loadGraphModel: async () => ({
          modelTopology: gdef,
          weightSpecs: (json.weightsManifest ?? []).flatMap((g: Json) => g.weights),
          weightData: readShardBytes(file.path, manifest),
          signature: json.signature,
          userDefinedMetadata: json.userDefinedMetadata,
          format: json.format,
          generatedBy: json.generatedBy,
          convertedBy: json.convertedBy,
        }),
      },
      options,
    );
  },
};

function graphAttrs(d: Json, attr: Json, constArgs: { position: number; name: string }[], constValues: (n: string) => number[] | undefined, path: string): NodeAttrs {
  const a: NodeAttrs = {};
  const op: string = d.op;
  const fmt = attrString(attr.data_format);
  if (fmt && fmt !== 'NHWC') throw new FormatError(`node '${d.name}' uses data_format ${fmt}; only NHWC is supported`, path);
  const constAt = (position: number) => {
    const c = constArgs.find((x) => x.position === position);
    return c ? constValues(c.name) : undefined;
  };
  const padding = attrString(attr.padding);
  if (padding) a.padding = padding === 'SAME' ? 'same' : padding === 'EXPLICIT' ? 'explicit' : 'valid';
  if (attr.strides) a.strides = hw(attrInts(attr.strides));
  if (attr.dilations) a.dilations = hw(attrInts(attr.dilations));
  if (attr.ksize) a.poolSize = hw(attrInts(attr.ksize));
  const explicit = attrInts(attr.explicit_paddings);
  if (explicit && explicit.length === 8) a.pads = [[explicit[2], explicit[3]], [explicit[4], explicit[5]]];
  const fused = attrStrings(attr.fused_ops);
  if (fused.length) {
    a.fusedOps = fused;
    for (const f of fused) {
      if (f === 'BiasAdd' || f === 'Add') continue;
      const act = FUSED_ACTIVATIONS[f];
      if (!act) throw new FormatError(`node '${d.name}' (${op}) fuses '${f}', which is not supported`, path);
      a.activation = act;
    }
  }
  if (attr.transpose_a?.b) a.transposeA = true;
  if (attr.transpose_b?.b) a.transposeB = true;
  if (typeof attr.epsilon?.f === 'number') a.epsilon = attr.epsilon.f;
  if (typeof attr.alpha?.f === 'number') a.negativeSlope = attr.alpha.f;
  switch (op) {
    case 'Mean': case 'Max': case 'Min': case 'Sum':
      a.keepdims = attr.keep_dims?.b === true;
      a.axis = constAt(1);
      break;
    case 'Reshape':
      a.targetShape = constAt(1)?.map((v) => (v < 0 ? -1 : v));
      break;
    case 'ConcatV2':
      a.axis = constAt((d.input as unknown[]).filter((s) => !String(s).startsWith('^')).length - 1)?.[0];
      break;
    case 'Pad': case 'PadV2': case 'MirrorPad': {
      const p = constAt(1);
      if (p && p.length === 8) a.pads = [[p[2], p[3]], [p[4], p[5]]];
      if (op === 'MirrorPad') a.mode = attrString(attr.mode)?.toLowerCase();
      break;
    }
    case 'Squeeze':
      a.axis = attrInts(attr.squeeze_dims);
      break;
    case 'ExpandDims':
      a.axis = constAt(1)?.[0];
      break;
  }
  const scalars = constArgs.map((c) => ({ position: c.position, v: constValues(c.name) })).filter((c) => c.v && c.v.length === 1);
  if (scalars.length && /^(AddV2|Add|Mul|Sub|RealDiv|Maximum|Minimum)$/.test(op)) a.scalars = scalars.map((c) => ({ position: c.position, value: c.v![0] }));
  return a;
}
