/**
 * Keras model configs (Keras 3 `config.json` / `model_config` / `to_json()`, and the Keras 2
 * layout that tfjs layers models use) into graph nodes. snake_case becomes NodeAttrs here, once.
 */
import type { RawNode } from '../../graph/build.js';
import type { Dim, NodeAttrs, Shape, TensorRef } from '../../graph/types.js';
import { FormatError } from '../../util/errors.js';

type Json = Record<string, any>;

export interface KerasModel {
  name: string;
  nodes: RawNode[];
  inputs: { name: string; shape: Shape }[];
  outputs: TensorRef[];
  /** Layers that own weight storage, in `model.layers` order (Keras 3 ops excluded). */
  layerOrder: { name: string; className: string }[];
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a Keras model config object (the one with class_name Functional/Model/Sequential). */
export function readKerasConfig(root: unknown, path: string): KerasModel {
  if (!isObj(root)) throw new FormatError('the model config is not a JSON object', path);
  const cls = root.class_name;
  const config = root.config;
  if (typeof cls !== 'string' || !isObj(config) && !Array.isArray(config))
    throw new FormatError('is JSON but not a Keras model config (no class_name/config)', path);
  if (cls === 'Sequential') return readSequential(config, path);
  if (cls === 'Functional' || cls === 'Model') return readFunctional(config as Json, path);
  throw new FormatError(`model class '${cls}' is not supported (Functional, Model or Sequential are)`, path);
}

function layerList(config: Json | Json[], path: string): Json[] {
  const layers = Array.isArray(config) ? config : config.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw new FormatError('the model config has no layers', path);
  for (const l of layers) if (!isObj(l) || typeof l.class_name !== 'string' || !isObj(l.config))
    throw new FormatError(`a layer entry is not {class_name, config}: ${JSON.stringify(l).slice(0, 80)}`, path);
  return layers;
}

function layerName(l: Json, path: string): string {
  const name = l.name ?? l.config.name;
  if (typeof name !== 'string' || name === '') throw new FormatError(`a ${l.class_name} layer has no name`, path);
  return name;
}

function isOp(l: Json): boolean {
  return typeof l.module === 'string' && l.module.startsWith('keras.src.ops');
}

function readFunctional(config: Json, path: string): KerasModel {
  const layers = layerList(config, path);
  const nodes: RawNode[] = [];
  const inputs: KerasModel['inputs'] = [];
  for (const l of layers) {
    const name = layerName(l, path);
    if (l.class_name === 'Functional' || l.class_name === 'Sequential' || l.class_name === 'Model')
      throw new FormatError(`nested model '${name}' is not supported: save the inner model's layers in the outer model`, path);
    const inbound = Array.isArray(l.inbound_nodes) ? l.inbound_nodes : [];
    if (inbound.length > 1) throw new FormatError(`layer '${name}' is shared (called ${inbound.length} times), which is not supported`, path);
    const { refs, scalars } = inbound.length ? parseInbound(inbound[0], name, path) : { refs: [], scalars: [] };
    const node = toNode(l, name, refs, scalars, path);
    if (node.op === 'InputLayer') inputs.push({ name, shape: inputShape(l, path) });
    nodes.push(node);
  }
  const outputs = endpoints(config.output_layers, path, 'output_layers');
  const declaredInputs = endpoints(config.input_layers, path, 'input_layers').map((r) => r.node);
  const ordered = declaredInputs.length ? declaredInputs.map((n) => inputs.find((i) => i.name === n) ?? fail(path, `input layer '${n}' is not an InputLayer`)) : inputs;
  return { name: String(config.name ?? 'model'), nodes, inputs: ordered, outputs, layerOrder: storageOrder(layers, path) };
}

function fail(path: string, msg: string): never {
  throw new FormatError(msg, path);
}

/** `[name, node, tensor]` or a list of them (Keras 3 single endpoints are not nested). */
function endpoints(v: unknown, path: string, key: string): TensorRef[] {
  if (!Array.isArray(v)) throw new FormatError(`the model config has no ${key}`, path);
  const list = typeof v[0] === 'string' ? [v] : v;
  return list.map((e: unknown) => {
    if (!Array.isArray(e) || typeof e[0] !== 'string') throw new FormatError(`bad entry in ${key}: ${JSON.stringify(e)}`, path);
    return { node: e[0], output: Number(e[2] ?? 0) };
  });
}

function readSequential(config: Json | Json[], path: string): KerasModel {
  const layers = layerList(config, path);
  const nodes: RawNode[] = [];
  let prev: string | undefined;
  let input: KerasModel['inputs'][number] | undefined;
  for (const l of layers) {
    const name = layerName(l, path);
    if (!prev) {
      if (l.class_name === 'InputLayer') {
        input = { name, shape: inputShape(l, path) };
        nodes.push(toNode(l, name, [], [], path));
        prev = name;
        continue;
      }
      const shape = declaredShape(l);
      if (!shape) throw new FormatError(`Sequential model: the first layer '${name}' declares no input shape`, path);
      input = { name: `${name}_input`, shape };
      nodes.push({ name: input.name, op: 'InputLayer', domain: 'keras', inputs: [], attrs: {} });
      prev = input.name;
    }
    nodes.push(toNode(l, name, [{ node: prev, output: 0 }], [], path));
    prev = name;
  }
  const name = Array.isArray(config) ? 'sequential' : String(config.name ?? 'sequential');
  return { name, nodes, inputs: [input!], outputs: [{ node: prev!, output: 0 }], layerOrder: storageOrder(layers, path) };
}

function declaredShape(l: Json): Shape | undefined {
  const c = l.config;
  const s = c.batch_shape ?? c.batch_input_shape ?? (l.build_config?.input_shape as unknown);
  if (Array.isArray(s)) return s.map((d) => (typeof d === 'number' ? d : null));
  if (Array.isArray(c.input_shape)) return [null, ...c.input_shape.map((d: unknown) => (typeof d === 'number' ? d : null))];
  return undefined;
}

function inputShape(l: Json, path: string): Shape {
  const s = declaredShape(l);
  if (!s) throw new FormatError(`input layer '${layerName(l, path)}' declares no shape`, path);
  if (s.some((d) => d !== null && (!Number.isInteger(d) || d < 0 || d > 1e6)))
    throw new FormatError(`input layer '${layerName(l, path)}' declares an impossible shape ${JSON.stringify(s)}`, path);
  return s;
}

/**
 * Keras 3: `{args: [...], kwargs}` with `__keras_tensor__` objects (a merge gets one list arg);
 * Keras 2: `[[name, node, tensor, kwargs], ...]`. Numbers among the args are scalar operands.
 */
function parseInbound(entry: unknown, layer: string, path: string): { refs: TensorRef[]; scalars: { position: number; value: number }[] } {
  const refs: TensorRef[] = [];
  const scalars: { position: number; value: number }[] = [];
  if (Array.isArray(entry)) {
    for (const e of entry) {
      if (!Array.isArray(e) || typeof e[0] !== 'string') throw new FormatError(`layer '${layer}' has a malformed inbound node ${JSON.stringify(e).slice(0, 80)}`, path);
      refs.push({ node: e[0], output: Number(e[2] ?? 0) });
      const kwargs = e[3];
      if (isObj(kwargs) && typeof kwargs.y === 'number') scalars.push({ position: 1, value: kwargs.y });
    }
    return { refs, scalars };
  }
  if (!isObj(entry) || !Array.isArray(entry.args)) throw new FormatError(`layer '${layer}' has a malformed inbound node`, path);
  const visit = (v: unknown, position: number) => {
    if (Array.isArray(v)) v.forEach((x) => visit(x, position));
    else if (isObj(v) && v.class_name === '__keras_tensor__') {
      const h = v.config?.keras_history;
      if (!Array.isArray(h) || typeof h[0] !== 'string') throw new FormatError(`layer '${layer}' has an input without keras_history`, path);
      refs.push({ node: h[0], output: Number(h[2] ?? 0) });
    } else if (typeof v === 'number') scalars.push({ position, value: v });
  };
  entry.args.forEach((a: unknown, i: number) => visit(a, i));
  if (isObj(entry.kwargs)) for (const [k, v] of Object.entries(entry.kwargs)) if (k === 'y' || k === 'x2') visit(v, 1);
  return { refs, scalars };
}

/** Keras 2 TFOpLambda functions we can run, as Keras 3 op names (a Map: the key comes from the file). */
const TF_OP_LAMBDA = new Map([
  ['__operators__.add', 'ops.Add'], ['math.add', 'ops.Add'], ['math.multiply', 'ops.Multiply'],
  ['math.subtract', 'ops.Subtract'], ['math.truediv', 'ops.TrueDivide'], ['math.divide', 'ops.TrueDivide'],
]);

function toNode(l: Json, name: string, inputs: TensorRef[], scalars: { position: number; value: number }[], path: string): RawNode {
  let op: string = l.class_name;
  if (isOp(l)) op = `ops.${op}`;
  if (op === 'TFOpLambda') op = TF_OP_LAMBDA.get(String(l.config.function)) ?? `TFOpLambda(${l.config.function})`;
  const attrs = readAttrs(op, l.config, name, path);
  if (scalars.length) attrs.scalars = scalars;
  return { name, op, domain: 'keras', inputs, attrs };
}

function ints(v: unknown, n: number): number[] | undefined {
  if (typeof v === 'number') return Array(n).fill(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  return undefined;
}

/** The name of an activation, whether stored as a string or a serialized function. */
export function activationName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObj(v)) {
    if (typeof v.config === 'string') return v.config;
    if (typeof v.class_name === 'string') return v.class_name === 'function' ? String(v.config?.name ?? v.config) : v.class_name;
  }
  return undefined;
}

function pads2d(v: unknown): number[][] | undefined {
  if (typeof v === 'number') return [[v, v], [v, v]];
  if (Array.isArray(v) && v.length === 2) {
    if (v.every((x) => typeof x === 'number')) return [[v[0], v[0]], [v[1], v[1]]];
    if (v.every((x) => Array.isArray(x) && x.length === 2)) return v as number[][];
  }
  return undefined;
}

function readAttrs(op: string, c: Json, name: string, path: string): NodeAttrs {
  if (c.data_format === 'channels_first') throw new FormatError(`layer '${name}' uses channels_first, which is not supported (channels_last is)`, path);
  const a: NodeAttrs = {};
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  // A setting that is present but not a positive whole number (or list of them) is an error, never a silent default.
  const sizes = (key: string, n: number): number[] | undefined => {
    const v = c[key];
    if (v === undefined || v === null) return undefined;
    const r = ints(v, n);
    if (!r || r.length !== n || r.some((x) => !Number.isInteger(x) || x < 1 || x > 1e5)) throw new FormatError(`layer '${name}' (${op}) has invalid ${key} ${JSON.stringify(v)}`, path);
    return r;
  };
  const count = (key: string): number | undefined => sizes(key, 1)?.[0];
  switch (op) {
    case 'Conv2D':
    case 'DepthwiseConv2D':
    case 'SeparableConv2D':
      a.filters = count('filters');
      a.kernelSize = sizes('kernel_size', 2);
      a.strides = sizes('strides', 2);
      a.dilations = sizes('dilation_rate', 2);
      a.padding = c.padding === 'same' ? 'same' : 'valid';
      a.useBias = c.use_bias !== false;
      a.depthMultiplier = count('depth_multiplier');
      a.groups = count('groups');
      a.activation = activationName(c.activation) ?? 'linear';
      if (op !== 'DepthwiseConv2D' && !a.filters) throw new FormatError(`layer '${name}' (${op}) has no filters`, path);
      if (!a.kernelSize) throw new FormatError(`layer '${name}' (${op}) has no kernel_size`, path);
      break;
    case 'Dense':
      a.units = num(c.units);
      if (!a.units || !Number.isInteger(a.units) || a.units <= 0) throw new FormatError(`layer '${name}' (Dense) has invalid units ${JSON.stringify(c.units)}`, path);
      a.useBias = c.use_bias !== false;
      a.activation = activationName(c.activation) ?? 'linear';
      break;
    case 'BatchNormalization':
    case 'LayerNormalization': {
      const axis = Array.isArray(c.axis) ? c.axis[0] : c.axis;
      if (axis !== undefined && axis !== -1 && axis !== 3) throw new FormatError(`layer '${name}' normalizes axis ${JSON.stringify(c.axis)}; only the channel axis (-1) is supported`, path);
      a.epsilon = num(c.epsilon) ?? 1e-3;
      a.center = c.center !== false;
      a.scaleGamma = c.scale !== false;
      break;
    }
    case 'Activation':
      a.activation = activationName(c.activation);
      if (!a.activation) throw new FormatError(`layer '${name}' (Activation) has no activation`, path);
      break;
    case 'ReLU':
      a.maxValue = num(c.max_value) ?? null;
      a.negativeSlope = num(c.negative_slope) ?? 0;
      a.threshold = num(c.threshold) ?? 0;
      break;
    case 'LeakyReLU':
      a.negativeSlope = num(c.negative_slope) ?? num(c.alpha) ?? 0.3;
      break;
    case 'ELU':
      a.scale = num(c.alpha) ?? 1;
      break;
    case 'Softmax':
    case 'Concatenate':
      a.axis = num(c.axis) ?? -1;
      break;
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      a.poolSize = sizes('pool_size', 2) ?? [2, 2];
      a.strides = sizes('strides', 2) ?? a.poolSize;
      a.padding = c.padding === 'same' ? 'same' : 'valid';
      break;
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      a.keepdims = c.keepdims === true;
      break;
    case 'ZeroPadding2D':
    case 'Cropping2D':
      a.pads = pads2d(op === 'ZeroPadding2D' ? c.padding : c.cropping);
      if (!a.pads) throw new FormatError(`layer '${name}' (${op}) has unreadable amounts ${JSON.stringify(c.padding ?? c.cropping)}`, path);
      break;
    case 'Reshape':
      if (!Array.isArray(c.target_shape)) throw new FormatError(`layer '${name}' (Reshape) has no target_shape`, path);
      a.targetShape = c.target_shape.map((d: unknown) => (typeof d === 'number' ? d : null)) as Dim[];
      break;
    case 'Rescaling':
      a.scale = num(c.scale);
      a.offset = num(c.offset) ?? 0;
      if (a.scale === undefined) throw new FormatError(`layer '${name}' (Rescaling) has a per-channel or missing scale ${JSON.stringify(c.scale)}, which is not supported`, path);
      break;
    case 'Normalization': {
      const axis = Array.isArray(c.axis) ? c.axis : [c.axis ?? -1];
      if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== 3)) throw new FormatError(`layer '${name}' (Normalization) normalizes axis ${JSON.stringify(c.axis)}; only the channel axis (-1) is supported`, path);
      // Given in the config, mean and variance are constants; otherwise they are adapted weights.
      const list = (v: unknown) => (typeof v === 'number' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined);
      if (c.mean !== undefined && c.mean !== null) {
        a.mean = list(c.mean);
        a.variance = list(c.variance);
        if (!a.mean || !a.variance || a.mean.length !== a.variance.length) throw new FormatError(`layer '${name}' (Normalization) has unreadable mean/variance`, path);
      }
      if (c.invert === true) throw new FormatError(`layer '${name}' (Normalization) with invert=True is not supported`, path);
      break;
    }
    case 'Dropout':
    case 'SpatialDropout2D':
      a.rate = num(c.rate);
      break;
  }
  return a;
}

/** Keras 3's snake_case of a class name (keras/src/utils/naming.py `to_snake_case`). */
export function toSnakeCase(name: string): string {
  return name.replace(/\W+/g, '').replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The layers `model.layers` holds, in order: Keras 3 ops are not layers and own no storage. */
function storageOrder(layers: Json[], path: string): KerasModel['layerOrder'] {
  return layers.filter((l) => !isOp(l)).map((l) => ({ name: layerName(l, path), className: l.class_name }));
}
