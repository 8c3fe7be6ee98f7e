/**
 * Parameters and multiply-accumulates per node, counted as Keras and the SENet paper count them:
 * params = Keras `count_params()` (BatchNorm moving statistics are non-trainable parameters);
 * MACs = conv/dense/depthwise/separable kernels, plus one per element for global average pooling
 * (the SE squeeze) and for elementwise multiplies (the SE scale). FLOPs = 2 x MACs.
 */
import { ruleFor } from '../graph/rules/index.js';
import type { GraphNode, ModelGraph, Shape } from '../graph/types.js';
import { shapeSize } from '../graph/types.js';
import { tfjsOpCategory } from '../graph/tfjsOps.js';

export const MAC_CONVENTION =
  'MACs = multiply-accumulates of Conv2D/DepthwiseConv2D/SeparableConv2D/Dense kernels, plus one per element for global average pooling and elementwise multiplies (as the SENet paper counts SE); BatchNorm, activations, additions, other pooling, control flow and every other TF op that a shape rule or TF.js knows count 0, whatever their shapes; only ops that multiply-accumulate (convolutions, matrix products, multiplies, average pooling) need a shape, and stay unknown without one or without a rule, as does an op that neither a rule nor TF.js knows. FLOPs = 2 x MACs (tf.profiler / keras-flops); fvcore, ptflops and the SENet paper report MACs.';

/**
 * TF ops that multiply-accumulate under the convention above: convolutions, matrix products, and
 * the per-element MACs of multiplies and average pooling. They need a rule and known shapes; every
 * other TF op that a rule or TF.js knows counts 0 MACs whatever its shape (BatchNorm, activations,
 * additions, resizes, Enter/Merge/TensorList ops of while loops and the like). An op neither knows
 * stays unknown.
 */
export const MULTIPLY_ACCUMULATE_OPS: ReadonlySet<string> = new Set(
  ['Conv1D', 'Conv2D', 'Conv2DBackpropInput', 'Conv3D', 'Conv3DBackpropInputV2', 'DepthwiseConv2d', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', '_FusedConv2D', 'Dilation2D',
    'MatMul', 'BatchMatMul', 'BatchMatMulV2', 'Einsum', '_FusedMatMul', 'Mul', 'Mean', 'AvgPool', 'AvgPool3D'].map((op) => `tf.${op}`),
);

/** Whether a TF node counts 0 MACs whatever its shape: its op multiplies-accumulates nothing and a rule or TF.js knows it. */
export function zeroMacsWithoutShape(node: GraphNode): boolean {
  if (node.domain !== 'tf' || MULTIPLY_ACCUMULATE_OPS.has(node.op)) return false;
  return !!ruleFor(node.op) || tfjsOpCategory(node.op.replace(/^tf\./, '')) !== undefined;
}

export interface NodeCost {
  params: number | null;
  trainableParams: number | null;
  macs: number | null;
}

export function nodeCost(graph: ModelGraph, node: GraphNode, shapes: Map<string, Shape | null>): NodeCost {
  const rule = ruleFor(node.op);
  const paramWeights = node.weights.filter((w) => w.role === 'param');
  // Without a rule and without stored weights (architecture-only JSON) the parameters are unknown, not zero.
  const paramsKnown = !!rule || node.op === 'InputLayer' || node.op === 'tf.Placeholder' || graph.format !== 'keras-json';
  const params = paramsKnown ? paramWeights.reduce((a, w) => a + shapeSize(w.shape), 0) : null;
  const trainableParams = paramsKnown ? paramWeights.filter((w) => w.trainable).reduce((a, w) => a + shapeSize(w.shape), 0) : null;
  let macs: number | null = 0;
  const ins = node.inputs.map((i) => shapes.get(i.node) ?? null);
  const shapesKnown = !!node.outputShape && ins.every((s) => s);
  if (rule?.macs && shapesKnown) macs = rule.macs(node, ins as Shape[], node.outputShape!);
  else if (node.op === 'InputLayer' || node.op === 'tf.Placeholder' || zeroMacsWithoutShape(node)) macs = 0;
  else if (!rule || rule.macs) macs = null;
  return { params, trainableParams, macs };
}

export interface GraphCosts {
  byNode: Map<string, NodeCost>;
  totals: { params: number; trainableParams: number; nonTrainableParams: number; macs: number; flops: number; complete: boolean };
}

export function countGraph(graph: ModelGraph): GraphCosts {
  const shapes = new Map(graph.nodes.map((n) => [n.name, n.outputShape]));
  const byNode = new Map<string, NodeCost>();
  let params = 0;
  let trainable = 0;
  let macs = 0;
  let complete = true;
  for (const n of graph.nodes) {
    const c = nodeCost(graph, n, shapes);
    byNode.set(n.name, c);
    if (c.params === null || c.macs === null) complete = false;
    params += c.params ?? 0;
    trainable += c.trainableParams ?? 0;
    macs += c.macs ?? 0;
  }
  return { byNode, totals: { params, trainableParams: trainable, nonTrainableParams: params - trainable, macs, flops: 2 * macs, complete } };
}
