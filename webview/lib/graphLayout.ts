/**
 * The graph as drawn: every SE block collapsed into one node unless expanded, laid out top to
 * bottom by elkjs (layered) in a Web Worker, so that the page stays responsive on large models.
 */
import ElkConstructor from 'elkjs/lib/elk-api.js';
import type { ELK, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import elkWorkerSource from 'virtual:elk-worker';
import type { GraphData } from '../../src/protocol/messages.js';

export interface VNode {
  id: string;
  kind: 'layer' | 'se';
  /** Index into graph.nodes (layer) or graph.seBlocks (se). */
  index: number;
  title: string;
  sub: string;
  /** Third line of an SE node (params; mean excitation is added when drawn). */
  extra?: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** The SE block an expanded layer belongs to. */
  block?: number;
}

export interface VEdge {
  points: { x: number; y: number }[];
}

/** An expanded SE block: the frame around its layers. */
export interface VGroup {
  block: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Laid {
  nodes: VNode[];
  edges: VEdge[];
  groups: VGroup[];
  width: number;
  height: number;
  ms: number;
}

const fmtShape = (s: (number | null)[] | null) => (s ? `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})` : '?');
const int = (n: number) => n.toLocaleString('en-US');

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
  const blockOf = new Map<string, number>();
  graph.seBlocks.forEach((b, i) => {
    if (!expanded.has(i)) for (const l of b.layers) blockOf.set(l, i);
  });
  const memberOf = new Map<string, number>();
  graph.seBlocks.forEach((b, i) => {
    if (expanded.has(i)) for (const l of b.layers) memberOf.set(l, i);
  });
  const nodes: VNode[] = [];
  const idOfLayer: string[] = [];
  const seen = new Set<number>();
  graph.nodes.forEach((n, i) => {
    const b = blockOf.get(n.name);
    if (b !== undefined) {
      idOfLayer[i] = `se:${b}`;
      if (seen.has(b)) return;
      seen.add(b);
      const s = graph.seBlocks[b];
      nodes.push({ id: `se:${b}`, kind: 'se', index: b, title: `SE ${s.name}`, sub: `C ${s.channels} · width ${s.squeezedWidth} · r ${+s.ratio.toFixed(2)} · ${s.gate}`, extra: `${int(s.params)} params · ${s.layers.length} layers`, x: 0, y: 0, w: 0, h: 0 });
      return;
    }
    idOfLayer[i] = `l:${i}`;
    nodes.push({ id: `l:${i}`, kind: 'layer', index: i, title: n.name, sub: `${n.type} ${fmtShape(n.outputShape)}`, x: 0, y: 0, w: 0, h: 0, block: memberOf.get(n.name) });
  });
  for (const n of nodes) {
    n.w = Math.ceil(Math.min(340, Math.max(90, measure(n.title, true), measure(n.sub, false), n.extra ? measure(n.extra, false) : 0) + 16));
    n.h = n.kind === 'se' ? 52 : 36;
  }
  const edgeSet = new Set<string>();
  const elkEdges: ElkExtendedEdge[] = [];
  for (const [from, to] of graph.edges) {
    const a = idOfLayer[from];
    const b = idOfLayer[to];
    if (!a || !b || a === b) continue;
    const key = `${a}>${b}`;
    if (edgeSet.has(key)) continue;
    edgeSet.add(key);
    elkEdges.push({ id: `e${elkEdges.length}`, sources: [a], targets: [b] });
  }
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
      // large models (measured on a 664-node graph: 10 s with the defaults, about 3x less so): one
      // crossing-minimisation sweep that starts from the model's own (topological) order, no greedy switch
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
