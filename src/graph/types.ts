/**
 * One model of the network. Every reader produces a ModelGraph; detection, counting and
 * running read only this, never a format's raw JSON.
 */

/** A dimension; null where the model leaves it open (batch, or a free input size). */
export type Dim = number | null;
/** A tensor shape including the batch dimension, NHWC for images. */
export type Shape = Dim[];

export type ModelFormat = 'keras' | 'keras-h5' | 'keras-json' | 'tfjs-layers' | 'tfjs-graph';

/** Layers read from Keras/tfjs-layers configs; ops read from TF GraphDefs (tfjs graph models). */
export type NodeDomain = 'keras' | 'tf';

/** Output `output` of node `node`. */
export interface TensorRef {
  node: string;
  output: number;
}

export interface WeightSpec {
  /** Unique key in the graph's weight store. */
  id: string;
  /** Name within its node: kernel, bias, gamma, moving_mean, ... */
  name: string;
  shape: number[];
  /** Keras' split: BatchNormalization moving statistics are non-trainable. */
  trainable: boolean;
  /** By the op's use: kernels, biases, scales, slopes, BN statistics are parameters; scalar operands (`add/y`), axes and shapes are constants. */
  role: 'param' | 'constant';
  /** How the file stores the values (tfjs manifests: float16 or uint8/uint16-quantized); absent = float32 or unknown. */
  storedAs?: StoredPrecision;
  /** TF graphs: the constant's argument position in its op (shape rules read data operands by it). */
  position?: number;
  /** Small integer constants (axes, sizes, shapes) and scalars: their values, which shapes may depend on. */
  value?: number[];
}

/** The stored precision of a weight: comparisons with its values must allow for it. */
export interface StoredPrecision {
  dtype: 'float32' | 'float16' | 'uint8' | 'uint16' | 'int32' | 'bool';
  /**
   * Quantization step of uint8/uint16 (value = q * scale + min): values are within scale / 2 of the
   * original. 0 for a one-element tensor, which tfjs-converter stores exactly (min = the value).
   */
  scale?: number;
}

/** Layer/op settings in one camelCase vocabulary, whatever the format called them. */
export interface NodeAttrs {
  units?: number;
  filters?: number;
  kernelSize?: number[];
  strides?: number[];
  padding?: 'same' | 'valid' | 'explicit';
  /** [[top, bottom], [left, right]] for ZeroPadding2D / explicit TF padding. */
  pads?: number[][];
  dilations?: number[];
  useBias?: boolean;
  /** Activation applied inside the layer or fused into the op (TF `fused_ops`). */
  activation?: string;
  depthMultiplier?: number;
  groups?: number;
  axis?: number | number[];
  keepdims?: boolean;
  poolSize?: number[];
  targetShape?: Dim[];
  scale?: number;
  offset?: number;
  rate?: number;
  maxValue?: number | null;
  negativeSlope?: number;
  threshold?: number;
  epsilon?: number;
  center?: boolean;
  scaleGamma?: boolean;
  /** Scalar operands of elementwise ops (`x + 3.0`), by argument position. */
  scalars?: { position: number; value: number; storedAs?: StoredPrecision }[];
  /** TF: fused ops of _FusedConv2D / _FusedMatMul, e.g. ["BiasAdd", "Relu"]. */
  fusedOps?: string[];
  transposeA?: boolean;
  transposeB?: boolean;
  /** Resizing/CenterCrop targets, Normalization statistics and the like. */
  height?: number;
  width?: number;
  mean?: number[];
  variance?: number[];
  interpolation?: string;
  /** TF MirrorPad: 'reflect' or 'symmetric'. */
  mode?: string;
  /** TF Pad/PadV2/MirrorPad: [before, after] for every dimension (channel padding included). */
  paddings?: number[][];
  /** TF DepthToSpace/SpaceToDepth block size. */
  blockSize?: number;
  /** TF SpaceToBatchND/BatchToSpaceND block shape (with `pads` = paddings or crops). */
  blockShape?: number[];
  /** TF Transpose permutation. */
  perm?: number[];
  /** TF StridedSlice (begin/end/strides and masks) and Slice (begin/size). */
  slice?: { begin: number[]; end?: number[]; strides?: number[]; size?: number[]; beginMask?: number; endMask?: number; ellipsisMask?: number; newAxisMask?: number; shrinkAxisMask?: number };
  /** TF Tile multiples. */
  multiples?: number[];
  /** TF Split/Unpack: number of outputs; SplitV: sizes. */
  num?: number;
  sizes?: number[];
  /** TF GatherV2 batch_dims. */
  batchDims?: number;
}

export interface GraphNode {
  name: string;
  /** Keras class name (`Conv2D`, `ops.Add` for Keras 3 functional ops) or TF op (`_FusedConv2D`). */
  op: string;
  domain: NodeDomain;
  inputs: TensorRef[];
  attrs: NodeAttrs;
  /** Stored tensors of this node, in the format's own order (Keras: kernel, bias, ...). */
  weights: WeightSpec[];
  /** Inferred output shape; null when the rule for this op is unknown. */
  outputShape: Shape | null;
  /** Set when `outputShape` was measured by running the model once, not inferred by a rule. */
  shapeFromExecution?: boolean;
  /** With `shapeFromExecution`: tfjs-converter's category of the op that ran (`convolution`, `image`, ...). */
  tfjsCategory?: string;
}

/** A model input as the file declares it. */
export interface InputSpec {
  name: string;
  /** Null when the file leaves even the rank open. */
  shape: Shape | null;
  /** TF dtype name: float32, int32, ... */
  dtype: string;
}

/**
 * A TensorFlow.js graph model as tfjs-converter's GraphModel takes it (tf.io.ModelArtifacts), in
 * plain data so that readers need not import TensorFlow.js.
 */
export interface GraphModelArtifacts {
  modelTopology: unknown;
  weightSpecs: unknown[];
  weightData: ArrayBuffer;
  signature?: unknown;
  userDefinedMetadata?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/**
 * Weight values by WeightSpec.id. A store may read each weight from its file when asked, so that
 * a large model is never held whole on the host while it is uploaded to a backend.
 */
export interface WeightStore {
  get(id: string): Float32Array | undefined;
}

export interface ModelGraph {
  name: string;
  format: ModelFormat;
  path: string;
  /** Nodes in topological order. */
  nodes: GraphNode[];
  inputs: string[];
  /** The inputs with their declared shapes and dtypes, in `inputs` order. */
  inputSpecs: InputSpec[];
  outputs: TensorRef[];
  /** Input shape used for inference (open spatial sizes filled by an assumption, see `notes`). */
  inputShape: Shape;
  /** Input shape as the file declares it. */
  declaredInputShape: Shape;
  /** Things a user should know about how the numbers were obtained (assumed input size, ...). */
  notes: string[];
  /** Problems that leave parts of the report unknown (unknown layers, ...). */
  warnings: string[];
  producer?: string;
  /** Reads the weight values (absent for architecture-only formats). */
  loadWeights?: () => Promise<WeightStore>;
  /** TensorFlow.js graph models: the files as tfjs-converter runs them. */
  loadGraphModel?: () => Promise<GraphModelArtifacts>;
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: Shape | null): string {
  if (!shape) return '?';
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')})`;
}
