/**
 * The graph as drawn: every SE block collapsed into one node unless expanded, laid out top to
 * bottom by elkjs (layered) in a Web Worker, so that the page stays responsive on large models.
 */
import ElkConstructor from 'elkjs/lib/elk-api.js';
import type { ELK, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import elkWorkerSource from 'virtual:elk-worker';
import type { GraphData } from '../../src/protocol/messages.js';
import { visibleGraph, type VEdge, type VGroup, type VNode } from './graphCollapse.js';

export type { VEdge, VGroup, VNode } from './graphCollapse.js';

export interface Laid {
  nodes: VNode[];
  edges: VEdge[];
  groups: VGroup[];
  width: number;
  height: number;
  ms: number;
}

let elk: ELK | undefined;
function engine(): ELK {
  if (!elk) {
    const url = URL.createObjectURL(new Blob([elkWorkerSource], { type: 'text/javascript' }));
    elk = new ElkConstructor({ workerFactory: () => new Worker(url) as never, algorithms: ['layered'] });
  }
  return elk;
}

/** Starts the worker (and its elkjs) ahead of the first layout. */
export function startLayoutWorker(): void {
  void engine().knownLayoutAlgorithms().catch(() => undefined);
}

/** Node boxes sized to their text (measured with the canvas font). */
export async function layout(graph: GraphData, expanded: ReadonlySet<number>, measure: (text: string, bold: boolean) => number): Promise<Laid> {
  const t0 = performance.now();
  const { nodes, edges: visibleEdges } = visibleGraph(graph, expanded);
  for (const n of nodes) {
    n.w = Math.ceil(Math.min(340, Math.max(90, measure(n.title, true), measure(n.sub, false), n.extra ? measure(n.extra, false) : 0) + 16));
    n.h = n.kind === 'se' ? 52 : 36;
  }
  const elkEdges: ElkExtendedEdge[] = visibleEdges.map(([a, b], i) => ({ id: `e${i}`, sources: [a], targets: [b] }));
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.edgeRouting': 'POLYLINE',
      'elk.layered.spacing.nodeNodeBetweenLayers': '28',
      'elk.spacing.nodeNode': '18',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      // nodes have fixed sizes and no ELK labels: skip the label placement and node sizing phase (~1/6 of the time)
      'elk.omitNodeMicroLayout': 'true',
      // large models: one crossing-minimisation sweep that starts from the model's own (topological)
      // order, no greedy switch (on a 664-node graph the defaults were the slowest of the settings tried)
      ...(nodes.length > 300
        ? { 'elk.layered.thoroughness': '1', 'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES', 'elk.layered.crossingMinimization.greedySwitch.type': 'OFF' }
        : { 'elk.layered.thoroughness': '4' }),
    },
    children: nodes.map((n) => ({ id: n.id, width: n.w, height: n.h })),
    edges: elkEdges,
  };
  const out = await engine().layout(root);
  const pos = new Map((out.children ?? []).map((c) => [c.id, c]));
  for (const n of nodes) {
    const p = pos.get(n.id);
    n.x = p?.x ?? 0;
    n.y = p?.y ?? 0;
  }
  const edges: VEdge[] = [];
  for (const e of (out.edges ?? []) as ElkExtendedEdge[]) {
    for (const s of e.sections ?? []) edges.push({ points: [s.startPoint, ...(s.bendPoints ?? []), s.endPoint] });
  }
  const groups: VGroup[] = [];
  for (const b of expanded) {
    const members = nodes.filter((n) => n.block === b);
    if (!members.length) continue;
    const x0 = Math.min(...members.map((n) => n.x)) - 10;
    const y0 = Math.min(...members.map((n) => n.y)) - 26;
    const x1 = Math.max(...members.map((n) => n.x + n.w)) + 10;
    const y1 = Math.max(...members.map((n) => n.y + n.h)) + 10;
    groups.push({ block: b, x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
  }
  return { nodes, edges, groups, width: out.width ?? 0, height: out.height ?? 0, ms: performance.now() - t0 };
}
