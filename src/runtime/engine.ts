/**
 * One runtime, several engines. An engine executes a loaded ModelGraph and returns its outputs and
 * the outputs of asked nodes (the SE gates) from the same forward pass. Callers (excite, the
 * worker, the CLI, bench) only see `LoadedModel`, which picks the engine at load time and reports
 * which one runs and why; they never know which one it was.
 *
 * Engines:
 * - `layers`: our node-by-node executor on tfjs-core ops, for Keras and tfjs-layers graphs
 *   (matches Keras to 1e-6).
 * - `graph-model`: tfjs-converter's GraphModel, for TensorFlow.js graph models (every op TF.js
 *   supports, control flow).
 * - `onnx`: onnxruntime-node, the ModelGraph converted to ONNX in memory (native speed).
 */
import type { ModelGraph } from '../graph/types.js';

/** The engines, in one list (reports and tests read it). */
export const ENGINE_NAMES = ['layers', 'graph-model', 'onnx'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** A tensor on the host: values in row-major (NHWC) order. Outputs are always float32. */
export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

/** A model input: float32, or int32 for models that take integer pixels or indices. */
export type InputTensor = HostTensor | { data: Int32Array; shape: number[] };

export interface EngineRunOptions {
  /** Node names whose output 0 is returned besides the graph outputs. */
  capture?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Node names whose output 0 is replaced by these values in every example (engines with `overrides`). */
  overrides?: ReadonlyMap<string, Float32Array>;
}

export interface EngineRunResult {
  /** One tensor per graph output, in `graph.outputs` order. */
  outputs: HostTensor[];
  /** Output 0 of each captured node, by node name. */
  captured: Map<string, HostTensor>;
}

/** What computes, checked after starting it, and why it was chosen (one line). */
export interface ComputeInfo {
  engine: EngineName;
  /** `onnx`, or the TensorFlow.js backend (`tfjs-node`, `wasm`, `cpu`). */
  backend: string;
  /** Threads used for one run (1 for stock wasm). */
  threads: number;
  reason: string;
}

export interface Engine {
  readonly info: ComputeInfo;
  /** Runs once. `inputs` holds one tensor per name of `graph.inputs`. */
  run(inputs: ReadonlyMap<string, InputTensor>, options?: EngineRunOptions): Promise<EngineRunResult>;
  /** Frees what the engine holds; later runs fail with a RuntimeError. */
  dispose(): void;
  readonly isDisposed: boolean;
  /** Bytes of weights held by the engine. */
  readonly weightBytes: number;
  /** Whether `run` honours `overrides` (a node's output replaced); absent = no. */
  readonly overrides?: boolean;
}

export interface EngineLoadOptions {
  signal?: AbortSignal;
  /** Threads for engines that can use several (onnx); default: the cores available. */
  threads?: number;
}

/** Starts an engine for a graph. `unsupported` is cheap (no weights read) and says why it cannot run the graph. */
export interface EngineFactory {
  readonly name: EngineName;
  unsupported(graph: ModelGraph): string | undefined;
  load(graph: ModelGraph, options: EngineLoadOptions): Promise<Engine>;
}
