/**
 * Writes an ONNX ModelProto (onnx/onnx.proto, the fields we use) with protobufjs' Writer. The
 * weights never enter the protobuf: every large initializer points into an external data file
 * (`location`, `offset`), written as the weights stream (see weightSink.ts).
 */
import protobuf from 'protobufjs/minimal.js';

/** ONNX TensorProto.DataType values we write. */
export const DTYPE = { float: 1, int32: 6, int64: 7 } as const;
export type DType = keyof typeof DTYPE;

export type AttrValue = number | string | number[] | { floats: number[] } | { float: number };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, AttrValue>;
}

/**
 * An initializer whose bytes live in the external data file `location` at `offset`, or, for
 * the small constants shape inference must read (axes, pads, scalars), inline in `raw`.
 */
export type OnnxInitializer = { name: string; dims: number[]; dtype: DType } & ({ location: string; offset: number; byteLength: number } | { raw: Uint8Array });

export interface OnnxValueInfo {
  name: string;
  dtype: DType;
  /** A string is a symbolic dimension (the batch), null an unnamed open one. */
  dims: (number | string | null)[] | null;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export const OPSET = 17;
const IR_VERSION = 8;

type W = protobuf.Writer;
const LEN = 2;
const VARINT = 0;
const FIXED32 = 5;
const tag = (w: W, field: number, wire: number) => w.uint32((field << 3) | wire);

function attribute(w: W, name: string, v: AttrValue): void {
  tag(w, 5, LEN).fork();
  tag(w, 1, LEN).string(name);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer (use { float })`);
    tag(w, 3, VARINT).int64(v);
    tag(w, 20, VARINT).int32(2); // INT
  } else if (typeof v === 'string') {
    tag(w, 4, LEN).bytes(new TextEncoder().encode(v));
    tag(w, 20, VARINT).int32(3); // STRING
  } else if (Array.isArray(v)) {
    for (const x of v) tag(w, 8, VARINT).int64(x);
    tag(w, 20, VARINT).int32(7); // INTS
  } else if ('float' in v) {
    tag(w, 2, FIXED32).float(v.float);
    tag(w, 20, VARINT).int32(1); // FLOAT
  } else {
    for (const x of v.floats) tag(w, 7, FIXED32).float(x);
    tag(w, 20, VARINT).int32(6); // FLOATS
  }
  w.ldelim();
}

function node(w: W, n: OnnxNode): void {
  tag(w, 1, LEN).fork();
  for (const i of n.inputs) tag(w, 1, LEN).string(i);
  for (const o of n.outputs) tag(w, 2, LEN).string(o);
  if (n.name) tag(w, 3, LEN).string(n.name);
  tag(w, 4, LEN).string(n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) attribute(w, k, v);
  w.ldelim();
}

function initializer(w: W, t: OnnxInitializer): void {
  tag(w, 5, LEN).fork();
  for (const d of t.dims) tag(w, 1, VARINT).int64(d);
  tag(w, 2, VARINT).int32(DTYPE[t.dtype]);
  tag(w, 8, LEN).string(t.name);
  if ('raw' in t) tag(w, 9, LEN).bytes(t.raw);
  else {
    for (const [k, v] of [['location', t.location], ['offset', String(t.offset)], ['length', String(t.byteLength)]]) tag(w, 13, LEN).fork().uint32(10).string(k).uint32(18).string(v).ldelim();
    tag(w, 14, VARINT).int32(1); // data_location = EXTERNAL
  }
  w.ldelim();
}

function valueInfo(w: W, field: number, v: OnnxValueInfo): void {
  tag(w, field, LEN).fork();
  tag(w, 1, LEN).string(v.name);
  tag(w, 2, LEN).fork(); // TypeProto
  tag(w, 1, LEN).fork(); // tensor_type
  tag(w, 1, VARINT).int32(DTYPE[v.dtype]);
  if (v.dims) {
    tag(w, 2, LEN).fork(); // shape
    for (const d of v.dims) {
      tag(w, 1, LEN).fork();
      if (typeof d === 'number') tag(w, 1, VARINT).int64(d);
      else if (typeof d === 'string') tag(w, 2, LEN).string(d);
      w.ldelim();
    }
    w.ldelim();
  }
  w.ldelim().ldelim().ldelim();
}

/** The model's bytes. */
export function encodeModel(g: OnnxGraph, producer: string): Uint8Array {
  const w = protobuf.Writer.create();
  tag(w, 1, VARINT).int64(IR_VERSION);
  tag(w, 2, LEN).string(producer);
  tag(w, 8, LEN).fork();
  tag(w, 1, LEN).string('');
  tag(w, 2, VARINT).int64(OPSET);
  w.ldelim();
  tag(w, 7, LEN).fork();
  for (const n of g.nodes) node(w, n);
  tag(w, 2, LEN).string(g.name);
  for (const t of g.initializers) initializer(w, t);
  for (const v of g.inputs) valueInfo(w, 11, v);
  for (const v of g.outputs) valueInfo(w, 12, v);
  w.ldelim();
  return w.finish();
}
