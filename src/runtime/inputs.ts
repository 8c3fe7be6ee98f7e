/**
 * What each model input gets in a run. The image goes to the image input (graph/inputs.ts); every
 * other input (a recurrent state, a resize ratio, a threshold) gets a documented default:
 * - `--input NAME=VALUE` given: its declared shape filled with VALUE;
 * - else zeros of its declared shape.
 * Open dimensions count 1, an input of unknown rank gets a scalar. Inputs the file gives a default
 * itself (TF `PlaceholderWithDefault`) are not model inputs here: the model uses its own value.
 * Integer inputs (int32, uint8, ...) get Int32Array values, as TF.js feeds them.
 */
import { imageInputIndex, INTEGER_DTYPES } from '../graph/inputs.js';
import type { InputSpec, ModelGraph } from '../graph/types.js';
import { RuntimeError } from '../util/errors.js';
import type { InputTensor } from './engine.js';

/** Values given by the user for non-image inputs, by input name. */
export type InputValues = Readonly<Record<string, number>>;

/** What one input got, as reports show it. */
export interface InputUse {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  /** `tensor`: a tensor given by the caller for this input. */
  value: 'image' | 'zeros' | 'tensor' | `given ${number}`;
}

const FLOAT_DTYPES = new Set(['float32', 'float16', 'float64', 'bfloat16']);

/** The dtype TF.js feeds for a declared TF dtype; other dtypes (bool, string) cannot be fed. */
export function feedDtype(graph: ModelGraph, spec: InputSpec): 'float32' | 'int32' {
  if (INTEGER_DTYPES.has(spec.dtype)) return 'int32';
  if (FLOAT_DTYPES.has(spec.dtype)) return 'float32';
  throw new RuntimeError(`input '${spec.name}' takes ${spec.dtype} values, which runs cannot feed`, graph.path);
}

export function imageInputSpec(graph: ModelGraph): InputSpec {
  return graph.inputSpecs[imageInputIndex(graph.inputSpecs)] ?? { name: graph.inputs[0], shape: graph.declaredInputShape, dtype: 'float32' };
}

/** Every given name must be a non-image input of the model. */
export function checkInputValues(graph: ModelGraph, values: InputValues): void {
  const image = imageInputSpec(graph).name;
  for (const [name, v] of Object.entries(values)) {
    if (name === image) throw new RuntimeError(`--input ${name}: that is the image input; it takes the image`, graph.path);
    if (!graph.inputs.includes(name)) throw new RuntimeError(`--input ${name}: the model has no input named '${name}' (its inputs: ${graph.inputs.join(', ')})`, graph.path);
    if (!Number.isFinite(v)) throw new RuntimeError(`--input ${name}: the value must be a finite number`, graph.path);
  }
}

/** The tensor a non-image input gets (see the module comment). */
export function defaultInput(graph: ModelGraph, spec: InputSpec, values: InputValues): { tensor: InputTensor; use: InputUse } {
  const shape = spec.shape ? spec.shape.map((d) => d ?? 1) : [];
  const dtype = feedDtype(graph, spec);
  const given = values[spec.name];
  if (given !== undefined && dtype === 'int32' && !Number.isInteger(given)) throw new RuntimeError(`--input ${spec.name}=${given}: the input takes whole numbers (${spec.dtype})`, graph.path);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  if (given !== undefined) data.fill(given);
  return { tensor: { data, shape } as InputTensor, use: { name: spec.name, shape, dtype, value: given === undefined ? 'zeros' : `given ${given}` } };
}

/** A zero image of the image input's size (open sizes as analysed) and feed dtype, batch 1. */
export function zeroImage(graph: ModelGraph): InputTensor {
  const s = graph.inputShape;
  if (s.slice(1).some((d) => d === null)) throw new RuntimeError(`the model's input shape ${JSON.stringify(s)} has open dimensions; give an input tensor`, graph.path);
  const shape = [1, ...(s.slice(1) as number[])];
  const n = shape.reduce((a, b) => a * b, 1);
  return feedDtype(graph, imageInputSpec(graph)) === 'int32' ? { data: new Int32Array(n), shape } : { data: new Float32Array(n), shape };
}

/** The image for the image input, every other input its default: one tensor per `graph.inputs`, in order. */
export function feedsWithDefaults(graph: ModelGraph, image: InputTensor, values: InputValues): { feeds: Map<string, InputTensor>; uses: InputUse[] } {
  const imageName = imageInputSpec(graph).name;
  const feeds = new Map<string, InputTensor>();
  const uses: InputUse[] = [];
  for (const spec of graph.inputSpecs) {
    if (spec.name === imageName) {
      feeds.set(spec.name, image);
      uses.push({ name: spec.name, shape: [...image.shape], dtype: image.data instanceof Int32Array ? 'int32' : 'float32', value: 'image' });
    } else {
      const d = defaultInput(graph, spec, values);
      feeds.set(spec.name, d.tensor);
      uses.push(d.use);
    }
  }
  return { feeds, uses };
}

/**
 * Whether the model broadcasts this input to a shape of its own before any other use (TF
 * `BroadcastTo`, through Identity): a recurrent state such as rvm's r1i..r4i, whose documented
 * initial value is a scalar zero. Such an input of unknown rank is safe at its default; any other
 * one (rvm's downsample_ratio sizes a resize) may be invalid at zero.
 */
export function broadcastByModel(graph: ModelGraph, input: string): boolean {
  const uses = (name: string) => graph.nodes.filter((n) => n.inputs.some((i) => i.node === name));
  const queue = uses(input);
  for (let k = 0; k < queue.length; k++) {
    const n = queue[k];
    if (n.op === 'tf.Identity') queue.push(...uses(n.name));
    // Broadcast as the value (input 0), never used as the target shape.
    else if (n.op !== 'tf.BroadcastTo' || n.inputs.slice(1).some((i) => i.node === input || queue.some((q) => q.name === i.node))) return false;
  }
  return queue.some((n) => n.op === 'tf.BroadcastTo');
}

/** For errors of runs that used defaults: which inputs got zeros, and how to give them. */
export function defaultsHint(uses: readonly InputUse[]): string {
  const zeros = uses.filter((u) => u.value === 'zeros').map((u) => u.name);
  return zeros.length ? ` (inputs left at zeros: ${zeros.join(', ')}; give a value with --input NAME=VALUE)` : '';
}
