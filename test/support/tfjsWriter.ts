/**
 * Writes TensorFlow.js models (model.json + one weight shard) in tests and benchmarks, so that no
 * model weights are committed: layers models from a Keras config, graph models from GraphDef nodes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openModel } from '../../src/formats/index.js';

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Keras 3 functional config -> the Keras 2 layout tfjs-layers writes (batch_input_shape, nested inbound_nodes). */
export function toKeras2(config: any): any {
  const layers = config.config.layers.map((l: any) => {
    const c = { ...l.config };
    if (l.class_name === 'InputLayer') {
      c.batch_input_shape = c.batch_shape;
      delete c.batch_shape;
    }
    const inbound = l.inbound_nodes.map((n: any) => {
      const refs: any[] = [];
      const visit = (v: any) => (Array.isArray(v) ? v.forEach(visit) : v?.class_name === '__keras_tensor__' ? refs.push([v.config.keras_history[0], 0, 0, {}]) : undefined);
      n.args.forEach(visit);
      return refs;
    });
    return { class_name: l.class_name, config: c, name: l.name, inbound_nodes: inbound };
  });
  const io = (v: any) => (typeof v[0] === 'string' ? [v] : v);
  return { class_name: 'Functional', config: { name: config.config.name, layers, input_layers: io(config.config.input_layers), output_layers: io(config.config.output_layers) }, keras_version: '2.15.0', backend: 'tensorflow' };
}

/** Writes a tfjs layers model with seeded random weights (He-like scale, BN statistics near identity). */
export async function writeLayersModel(dir: string, kerasConfig: any, seed = 1): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const archPath = join(dir, 'architecture.json');
  writeFileSync(archPath, JSON.stringify(kerasConfig));
  const graph = await openModel(archPath);
  const rand = rng(seed);
  const weights: { name: string; shape: number[]; dtype: string }[] = [];
  const chunks: Float32Array[] = [];
  for (const n of graph.nodes)
    for (const w of n.weights) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      const fanIn = w.shape.length > 1 ? w.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
      const v = new Float32Array(size);
      for (let i = 0; i < size; i++) {
        if (w.name === 'moving_variance' || w.name === 'variance' || w.name === 'gamma') v[i] = 0.8 + 0.4 * rand();
        else if (w.name === 'moving_mean' || w.name === 'beta' || w.name === 'bias') v[i] = 0.1 * (rand() - 0.5);
        else v[i] = (rand() * 2 - 1) * Math.sqrt(3 / fanIn);
      }
      weights.push({ name: `${n.name}/${w.name}`, shape: w.shape, dtype: 'float32' });
      chunks.push(v);
    }
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  writeFileSync(join(dir, 'group1-shard1of1.bin'), Buffer.from(all.buffer));
  const model = { format: 'layers-model', generatedBy: 'se-inspector tests', convertedBy: null, modelTopology: { model_config: toKeras2(kerasConfig) }, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }] };
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(model));
  return path;
}

export interface GraphConst {
  name: string;
  shape: number[];
  values?: number[];
  dtype?: 'float32' | 'int32';
  /** Stored as float16 (as the converter's --quantize_float16 writes it). */
  float16?: boolean;
  /** Stored as uint8 codes q, value = q * scale + min (the converter's --quantize_uint8); `values` are the codes. */
  uint8?: { min: number; scale: number };
}

/** IEEE half precision bits of v (round to nearest even), for float16 shards. */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign | Math.round((mant | 0x800000) / 2 ** (14 - exp));
  if (exp >= 31) return sign | 0x7c00;
  const r = Math.round(mant / 2 ** 13);
  return (sign | (exp << 10)) + r;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** TF attr helpers in the GraphDef-JSON spelling the converter writes. */
export const attr = {
  s: (v: string) => ({ s: b64(v) }),
  ints: (v: number[]) => ({ list: { i: v.map(String) } }),
  strs: (v: string[]) => ({ list: { s: v.map(b64) } }),
  b: (v: boolean) => ({ b: v }),
  f: (v: number) => ({ f: v }),
  shape: (dims: number[]) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};

/** Writes a tfjs graph model: `nodes` are GraphDef nodes; `consts` become Const nodes with weights in the shard. */
export function writeGraphModel(dir: string, nodes: any[], consts: GraphConst[], opts: { seed?: number; inputShape?: number[] } = {}): string {
  mkdirSync(dir, { recursive: true });
  const rand = rng(opts.seed ?? 7);
  const parts: Buffer[] = [];
  const weights = consts.map((c) => {
    const size = c.shape.reduce((a, b) => a * b, 1);
    const values = c.values ?? Array.from({ length: size }, () => (rand() * 2 - 1) * 0.5);
    if (c.uint8) {
      parts.push(Buffer.from(Uint8Array.from(values)));
      return { name: c.name, shape: c.shape, dtype: 'float32', quantization: { dtype: 'uint8', min: c.uint8.min, scale: c.uint8.scale, original_dtype: 'float32' } };
    }
    if (c.float16) {
      parts.push(Buffer.from(Uint16Array.from(values, toHalf).buffer));
      return { name: c.name, shape: c.shape, dtype: 'float32', quantization: { dtype: 'float16', original_dtype: 'float32' } };
    }
    parts.push(Buffer.from((c.dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values)).buffer));
    return { name: c.name, shape: c.shape, dtype: c.dtype ?? 'float32' };
  });
  writeFileSync(join(dir, 'group1-shard1of1.bin'), Buffer.concat(parts));
  const constNodes = consts.map((c) => ({ name: c.name, op: 'Const', attr: { dtype: { type: c.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' } } }));
  const model = {
    format: 'graph-model',
    generatedBy: '2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { node: [...constNodes, ...nodes], library: {}, versions: { producer: 1482 } },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }],
  };
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(model));
  return path;
}
