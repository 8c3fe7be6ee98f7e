/**
 * The graph view: the model's graph top to bottom, every SE block one node until expanded, SE
 * nodes coloured by their mean excitation after a run. Click: details (and the row in the
 * report); double click on an SE node or its frame's header: expand / collapse. Search by name.
 */
import './lib/elements.js';
import type { Colormap, ExcitationRun, GraphData } from '../src/protocol/messages.js';
import { assertNever, onMessage, post } from './lib/api.js';
import { colorAt } from './lib/colormap.js';
import { h, int, shape } from './lib/dom.js';
import { GraphCanvas, readTheme } from './lib/graphCanvas.js';
import { layout, startLayoutWorker, type Laid, type VGroup, type VNode } from './lib/graphLayout.js';

const started = performance.now();
const app = document.getElementById('app')!;
const busy = h('div', { class: 'busy', hidden: true }, h('vscode-progress-ring'), h('span'));
const error = h('div', { class: 'banner error', role: 'alert', hidden: true });
const search = h('vscode-textfield', { placeholder: 'Search layers by name', 'aria-label': 'Search layers by name', class: 'graph-search' }) as HTMLElement & { value: string };
const found = h('span', { class: 'muted small graph-found', 'aria-live': 'polite' });
const button = (label: string, title: string, onclick: () => void) => h('vscode-button', { secondary: true, title, 'aria-label': title, onclick }, label);
const stats = h('span', { class: 'muted small graph-stats' });
const toolbar = h(
  'div',
  { class: 'toolbar graph-toolbar' },
  search,
  found,
  button('−', 'Zoom out', () => view.zoomAt(1 / 1.25)),
  button('+', 'Zoom in', () => view.zoomAt(1.25)),
  button('Fit', 'Fit the graph in the view', () => view.fit()),
  button('Expand SE', 'Expand every SE block', () => setExpanded(new Set(data?.seBlocks.map((_, i) => i) ?? []))),
  button('Collapse SE', 'Collapse every SE block', () => setExpanded(new Set())),
  stats,
);
const stage = h('div', { class: 'graph-stage' });
const details = h('aside', { class: 'graph-details', 'aria-label': 'Selected node' }, h('p', { class: 'muted' }, 'Click a node to see its details.'));
app.replaceChildren(busy, error, toolbar, h('div', { class: 'graph-main' }, stage, details));
document.body.classList.add('graph-page');

let data: GraphData | null = null;
let run: ExcitationRun | null = null;
let colormap: Colormap = 'viridis';
let laid: Laid | null = null;
let expanded = new Set<number>();
let selected: string | null = null;
let matches: VNode[] = [];
let matchAt = -1;
let layoutSeq = 0;
let firstFrameMs: number | null = null;

const view = new GraphCanvas(
  stage,
  (hit) => (hit.node ? select(hit.node) : hit.group ? toggle(hit.group.block) : undefined),
  (hit) => {
    if (hit.node?.kind === 'se') toggle(hit.node.index);
    else if (hit.node?.block !== undefined) toggle(hit.node.block);
    else if (hit.group) toggle(hit.group.block);
  },
  (frame) => {
    view.canvas.dataset.frames = String(frame);
    if (firstFrameMs === null && laid) {
      firstFrameMs = performance.now() - started;
      document.body.dataset.firstFrameMs = firstFrameMs.toFixed(0);
    }
  },
);
const measureCtx = document.createElement('canvas').getContext('2d')!;

/** Mean excitation of block `i` in the last run, if the run has it (by name: runs and reports match by block). */
function meanOf(i: number): number | null {
  const name = data?.seBlocks[i]?.name;
  const b = run?.blocks.find((x) => x.name === name);
  return b && Number.isFinite(b.stats.mean) ? b.stats.mean : null;
}

function seFill(i: number): { fill: string; text: string; label: string } | null {
  const m = meanOf(i);
  if (m === null) return null;
  const [r, g, b] = colorAt(colormap, m);
  const light = 0.2126 * r + 0.7152 * g + 0.0722 * b > 140;
  return { fill: `rgb(${r},${g},${b})`, text: light ? '#000' : '#fff', label: `mean ${m.toFixed(3)}` };
}

function groupLabel(g: VGroup): string {
  const b = data!.seBlocks[g.block];
  const m = meanOf(g.block);
  return `SE ${b.name} · C ${b.channels} · r ${+b.ratio.toFixed(2)}${m === null ? '' : ` · mean ${m.toFixed(3)}`}  (double-click to collapse)`;
}

function redraw(): void {
  if (!laid) return;
  view.set({ laid, selected, matches: new Set(matches.map((m) => m.id)), seFill, groupLabel });
  const se = laid.nodes.filter((n) => n.kind === 'se').length;
  stats.textContent = `${data!.nodes.length} layers · ${data!.seBlocks.length} SE blocks (${se} collapsed) · layout ${laid.ms.toFixed(0)} ms`;
  Object.assign(view.canvas.dataset, { nodes: String(laid.nodes.length), seCollapsed: String(se), seExpanded: String(laid.groups.length), layoutMs: laid.ms.toFixed(0) });
  view.canvas.setAttribute('aria-label', `Graph of ${data!.modelName}: ${laid.nodes.length} nodes, ${se} collapsed SE blocks`);
}

async function relayout(keep?: string): Promise<void> {
  if (!data) return;
  const seq = ++layoutSeq;
  const theme = readTheme();
  const measure = (text: string, bold: boolean) => {
    measureCtx.font = `${bold ? '600 ' : ''}${theme.fontSize}px ${theme.font}`;
    return measureCtx.measureText(text).width;
  };
  const first = !laid;
  if (first) setBusy(`Laying out ${data.nodes.length} layers…`);
  try {
    const next = await layout(data, expanded, measure);
    if (seq !== layoutSeq) return; // a newer layout is on its way
    laid = next;
    setBusy(null);
    redraw();
    const anchor = keep ? laid.nodes.find((n) => n.id === keep) : undefined;
    if (anchor) view.centerOn(anchor);
    else if (first) view.home();
    runSearch(false);
  } catch (e) {
    setBusy(null);
    showError(`The graph could not be laid out: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function setExpanded(next: Set<number>, keep?: string): void {
  expanded = next;
  void relayout(keep);
}

function toggle(block: number): void {
  const next = new Set(expanded);
  const opening = !next.has(block);
  if (opening) next.add(block);
  else next.delete(block);
  // keep the block in view: its first layer when it opens, its node when it closes
  const b = data!.seBlocks[block];
  const firstLayer = data!.nodes.findIndex((n) => n.name === b.layers[0]);
  const keep = opening ? `l:${firstLayer}` : `se:${block}`;
  if (selected === `se:${block}` || (selected?.startsWith('l:') && b.layers.includes(data!.nodes[Number(selected.slice(2))]?.name))) selected = keep;
  setExpanded(next, keep);
}

function select(n: VNode): void {
  selected = n.id;
  document.body.dataset.selected = n.kind === 'se' ? data!.seBlocks[n.index].name : data!.nodes[n.index].name;
  redraw();
  showDetails(n);
  post({ type: 'graphSelect', layer: document.body.dataset.selected });
}

function showDetails(n: VNode): void {
  const d = data!;
  const row = (k: string, v: string | number) => [h('dt', null, k), h('dd', null, String(v))];
  if (n.kind === 'se') {
    const b = d.seBlocks[n.index];
    const m = meanOf(n.index);
    details.replaceChildren(
      h('h3', null, `SE block ${b.name}`),
      h('dl', { class: 'summary' }, ...row('scales', b.scaledLayer), ...row('C', b.channels), ...row('width', b.squeezedWidth), ...row('r', +b.ratio.toFixed(2)), ...row('gate', b.gate), ...row('variant', b.variant), ...row('params', int(b.params)), ...row('MACs', int(b.macs)), ...(m === null ? [] : row('mean excitation', m.toFixed(4)))),
      h('p', { class: 'muted small' }, `${b.layers.length} layers: ${b.layers.join(', ')}`),
      h('vscode-button', { onclick: () => toggle(n.index) }, 'Expand'),
    );
    return;
  }
  const l = d.nodes[n.index];
  const block = l.seBlock;
  details.replaceChildren(
    h('h3', { class: 'mono' }, l.name),
    h('dl', { class: 'summary' }, ...row('type', l.type), ...row('output', shape(l.outputShape)), ...row('params', l.params === null ? '?' : int(l.params)), ...row('MACs', l.macs === null ? '?' : int(l.macs)), ...(block ? row('SE block', block) : [])),
    h('p', { class: 'muted small' }, `inputs: ${d.edges.filter(([, to]) => to === n.index).map(([from]) => d.nodes[from].name).join(', ') || 'none'}`),
    ...(n.block !== undefined ? [h('vscode-button', { secondary: true, onclick: () => toggle(n.block!) }, 'Collapse SE block')] : []),
  );
}

/** Nodes whose layer names contain the query (a layer inside a collapsed SE block finds its block's node). */
function runSearch(move: boolean): void {
  const q = search.value.trim().toLowerCase();
  if (!laid || !data) return;
  if (!q) {
    matches = [];
    found.textContent = '';
    return redraw();
  }
  const byId = new Map(laid.nodes.map((n) => [n.id, n]));
  const ids = new Set<string>();
  const seOf = new Map<string, number>();
  data.seBlocks.forEach((b, i) => !expanded.has(i) && b.layers.forEach((l) => seOf.set(l, i)));
  data.nodes.forEach((n, i) => {
    if (!n.name.toLowerCase().includes(q)) return;
    const se = seOf.get(n.name);
    ids.add(se === undefined ? `l:${i}` : `se:${se}`);
  });
  data.seBlocks.forEach((b, i) => b.name.toLowerCase().includes(q) && !expanded.has(i) && ids.add(`se:${i}`));
  matches = [...ids].map((id) => byId.get(id)).filter((n): n is VNode => !!n);
  if (move && matches.length) {
    matchAt = (matchAt + 1) % matches.length;
    const m = matches[matchAt];
    view.centerOn(m);
    select(m);
  }
  found.textContent = matches.length ? `${matchAt >= 0 && move ? `${matchAt + 1} of ` : ''}${matches.length} found` : 'not found';
  redraw();
}
search.addEventListener('input', () => {
  matchAt = -1;
  runSearch(false);
});
search.addEventListener('keydown', (e) => e.key === 'Enter' && runSearch(true));
view.canvas.addEventListener('keydown', (e) => {
  if (e.key === '+' || e.key === '=') view.zoomAt(1.25);
  else if (e.key === '-') view.zoomAt(1 / 1.25);
  else if (e.key === '0') view.fit();
});

function setBusy(message: string | null): void {
  busy.hidden = !message;
  (busy.lastChild as HTMLElement).textContent = message ?? '';
}
function showError(message: string | null): void {
  error.hidden = !message;
  error.textContent = message ?? '';
}

/** For the e2e test and for screen readers' sake: the nodes drawn and where (canvas CSS pixels). */
(window as unknown as { seGraph: unknown }).seGraph = {
  nodes: () =>
    (laid?.nodes ?? []).map((n) => ({ id: n.id, kind: n.kind, name: n.kind === 'se' ? data!.seBlocks[n.index].name : data!.nodes[n.index].name, block: n.block, ...view.screenRect(n) })),
  centerOn: (id: string) => {
    const n = laid?.nodes.find((x) => x.id === id);
    if (n) view.centerOn(n);
    return !!n;
  },
};

onMessage((msg) => {
  switch (msg.type) {
    case 'init':
      colormap = msg.colormap;
      return;
    case 'busy':
      setBusy(msg.message);
      return;
    case 'error':
      setBusy(null);
      data = null;
      laid = null;
      showError(msg.message);
      return;
    case 'graph':
      showError(null);
      data = msg.graph;
      laid = null;
      // a new report (e.g. the file changed): blocks may differ, so they start collapsed again
      expanded = new Set();
      void relayout();
      return;
    case 'excitation':
      setBusy(null);
      run = msg.run;
      redraw();
      return;
    case 'colormap':
      colormap = msg.colormap;
      redraw();
      return;
    case 'report':
    case 'focus':
    case 'highlight':
    case 'history':
      return;
    default:
      assertNever(msg);
  }
});

// the layout worker parses elkjs (~1.5 MB) while the host reads the model
startLayoutWorker();
post({ type: 'ready' });
