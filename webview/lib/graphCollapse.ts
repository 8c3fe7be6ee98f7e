/**
 * The graph as the view shows it: every SE block not expanded becomes one node, and the edges
 * into, out of and within it are rerouted to that node (once each). Pure, so it is tested in Node.
 */
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

const fmtShape = (s: (number | null)[] | null) => (s ? `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})` : '?');
const int = (n: number) => n.toLocaleString('en-US');

/** Nodes (unsized, unplaced) in graph order and edges [from id, to id] between them. */
export function visibleGraph(graph: GraphData, expanded: ReadonlySet<number>): { nodes: VNode[]; edges: [string, string][] } {
  const collapsedOf = new Map<string, number>();
  const memberOf = new Map<string, number>();
  graph.seBlocks.forEach((b, i) => {
    for (const l of b.layers) (expanded.has(i) ? memberOf : collapsedOf).set(l, i);
  });
  const nodes: VNode[] = [];
  const idOfLayer: string[] = [];
  const seen = new Set<number>();
  graph.nodes.forEach((n, i) => {
    const b = collapsedOf.get(n.name);
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
  const edges: [string, string][] = [];
  const seenEdge = new Set<string>();
  for (const [from, to] of graph.edges) {
    const a = idOfLayer[from];
    const b = idOfLayer[to];
    if (!a || !b || a === b) continue;
    const key = `${a}>${b}`;
    if (seenEdge.has(key)) continue;
    seenEdge.add(key);
    edges.push([a, b]);
  }
  return { nodes, edges };
}
