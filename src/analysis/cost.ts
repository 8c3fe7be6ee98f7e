/**
 * Parameters and multiply-accumulates per node, counted as Keras and the SENet paper count them:
 * params = Keras `count_params()` (BatchNorm moving statistics are non-trainable parameters);
 * MACs = conv/dense/depthwise/separable kernels, plus one per element for global average pooling
 * (the SE squeeze) and for elementwise multiplies (the SE scale). FLOPs = 2 x MACs.
 */
import { ruleFor } from '../graph/rules/index.js';
import type { GraphNode, ModelGraph, Shape } from '../graph/types.js';
import { shapeSize } from '../graph/types.js';

export const MAC_CONVENTION =
  'MACs = multiply-accumulates of Conv2D/DepthwiseConv2D/SeparableConv2D/Dense kernels, plus one per element for global average pooling and elementwise multiplies (as the SENet paper counts SE); BatchNorm, activations, additions and other pooling count 0, as do ops without a shape rule that TF.js ran (their shapes measured by execution) unless they multiply-accumulate (convolutions, matrix products, multiplies, average pooling), which stay unknown. FLOPs = 2 x MACs (tf.profiler / keras-flops); fvcore, ptflops and the SENet paper report MACs.';

/**
 * TF ops that multiply-accumulate under the convention above: convolutions, matrix products, and
 * the per-element MACs of multiplies and average pooling. Without a rule their MACs are unknown,
 * even when TF.js ran them; every other op TF.js ran (its shape measured by execution) counts 0 MACs,
 * as BatchNorm, activations, additions, resizes and the like do here. An op TF.js does not know
 * stays unknown.
 */
export const MULTIPLY_ACCUMULATE_OPS: ReadonlySet<string> = new Set(
  ['Conv1D', 'Conv2D', 'Conv2DBackpropInput', 'Conv3D', 'Conv3DBackpropInputV2', 'DepthwiseConv2d', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', '_FusedConv2D', 'Dilation2D',
    'MatMul', 'BatchMatMul', 'BatchMatMulV2', 'Einsum', '_FusedMatMul', 'Mul', 'Mean', 'AvgPool', 'AvgPool3D'].map((op) => `tf.${op}`),
);

/** Whether a node without a rule counts 0 MACs because TF.js ran it and it does not multiply-accumulate. */
export function zeroMacsWithoutRule(node: GraphNode): boolean {
  return !!node.shapeFromExecution && node.tfjsCategory !== undefined && !MULTIPLY_ACCUMULATE_OPS.has(node.op);
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
  if (!rule) macs = node.op === 'InputLayer' || node.op === 'tf.Placeholder' || zeroMacsWithoutRule(node) ? 0 : null;
  else if (rule.macs) macs = node.outputShape && ins.every((s) => s) ? rule.macs(node, ins as Shape[], node.outputShape) : null;
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
