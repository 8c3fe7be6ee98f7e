/** The model report page: summary, SE blocks, what-if per ratio, excitation heatmap, layers. */
import './lib/elements.js';
import type { ExcitationRun, InspectReport, LayerRow, RunSummary, ToWebview } from '../src/protocol/messages.js';
import { assertNever, getState, onMessage, post, setState } from './lib/api.js';
import { breakable, h, int, pct, shape, short, svg } from './lib/dom.js';
import { enableDrop, Heatmap, imagePicker } from './lib/heatmap.js';
import { ComparisonView } from './lib/comparison.js';

const app = document.getElementById('app')!;
const state = getState();
let report: InspectReport | null = null;
let canReveal = false;
let displayPath = '';
let run: ExcitationRun | null = null;
let runError: string | null = null;
let history: RunSummary[] = [];
/** A highlight asked for before the report was drawn. */
let pendingHighlight: string | null = null;

const busy = h('div', { class: 'busy', hidden: true }, h('vscode-progress-ring'), h('span'));
const errorBanner = h('div', { class: 'banner error', role: 'alert', hidden: true });
const heatmap = new Heatmap({ sorted: !!state.sortChannels, onSortChange: (s) => setState({ sortChannels: s }), drillBlock: state.drillBlock, onDrillChange: (b) => setState({ drillBlock: b }) });
const historyBox = h('div', { class: 'history', hidden: true });
const runErrorBanner = h('div', { class: 'banner error', role: 'alert', hidden: true });
const content = h('div', { class: 'content' });
const comparison = new ComparisonView();

app.replaceChildren(busy, errorBanner, content);
enableDrop(document.body);
window.addEventListener('scroll', () => setState({ scrollY: window.scrollY }), { passive: true });

function setBusy(message: string | null): void {
  busy.hidden = !message;
  (busy.lastChild as HTMLElement).textContent = message ?? '';
}

function showError(message: string | null): void {
  errorBanner.hidden = !message;
  errorBanner.textContent = message ?? '';
}

/** A count written in full, and shortened (5.42 M) where the view is narrow: both are in the page, CSS shows one. */
function countCell(n: number | null, prefix = ''): HTMLElement {
  if (n === null) return h('span', null, '?');
  return h('span', { class: 'count', title: `${prefix}${int(n)}` }, h('span', { class: 'long' }, `${prefix}${int(n)}`), h('span', { class: 'short' }, `${prefix}${short(n).replace(' ', '')}`));
}

function section(title: string, ...body: (Node | null)[]): HTMLElement {
  return h('section', null, h('h2', null, title), ...body);
}

function reveal(layer: string): void {
  if (canReveal) post({ type: 'reveal', layer });
}

/**
 * Brings an SE block (its row in the SE blocks table and its layers' rows) or a layer into view,
 * marked for a moment: what a link from the tree, a block row or an "SE block" cell lands on.
 */
function highlight(name: string): void {
  if (!report) {
    pendingHighlight = name;
    return;
  }
  for (const el of document.querySelectorAll('.highlight')) el.classList.remove('highlight');
  const block = report.seBlocks.find((b) => b.name === name);
  const blockRow = block ? document.querySelector<HTMLElement>(`table.se-blocks tr[data-name="${CSS.escape(name)}"]`) : null;
  const findLayerRows = () => [...document.querySelectorAll<HTMLElement>('table.layers tbody tr')].filter((tr) => (block ? tr.dataset.block === name : tr.dataset.name === name));
  let layerRows = findLayerRows();
  // a layer the filter hides (e.g. clicked in the graph view): the filter is cleared to show it
  if (!block && !layerRows.length && getState().layerFilter && report.layers.some((l) => l.name === name)) {
    setState({ layerFilter: '' });
    state.layerFilter = '';
    render();
    layerRows = findLayerRows();
  }
  for (const el of [blockRow, ...layerRows]) el?.classList.add('highlight');
  const target = blockRow ?? layerRows[0];
  target?.scrollIntoView({ block: 'center' });
  target?.focus({ preventScroll: true });
  document.body.dataset.highlight = name;
}

/** The run history: one row per run, the shown one marked; a click shows that run again. */
function renderHistory(): void {
  historyBox.hidden = history.length < 2;
  if (historyBox.hidden || !report) return historyBox.replaceChildren();
  const names = report.seBlocks.map((b) => b.name);
  historyBox.replaceChildren(
    h('div', { class: 'small muted' }, `Runs on this model (${history.length}, newest first; kept across reloads). Click one to show it.`),
    table(
      ['image', 'top-1', 'mean gate', 'run'],
      history.map((x) => ({
        cells: [x.imageName, x.top1 ? `${x.top1.label ? `${x.top1.label.split(',')[0]} ` : ''}#${x.top1.index} ${x.top1.value.toFixed(3)}` : '—', x.means.map((m) => (m === null ? '—' : m.toFixed(2))).join(' '), `${x.runMs.toFixed(0)} ms`],
        onClick: () => post({ type: 'showRun', id: x.id }),
        cls: run?.id === x.time ? 'own' : '',
        title: `${x.imagePath}\nmean gate per block: ${names.join(', ')}`,
      })),
      new Set([3]),
      'history-table',
      true,
    ),
  );
}

function render(): void {
  if (!report) return;
  const r = report;
  const t = r.totals;
  const m = r.model;
  const summary = h(
    'dl',
    { class: 'summary' },
    h('dt', null, 'format'), h('dd', null, `${m.format}${m.producer ? ` (written by ${m.producer})` : ''}`),
    h('dt', null, 'input'), h('dd', null, shape(m.inputShape), m.declaredInputShape.join() !== m.inputShape.join() ? h('span', { class: 'muted' }, ` (declared ${shape(m.declaredInputShape)})`) : null),
    h('dt', null, 'params'), h('dd', null, `${int(t.params)} (trainable ${int(t.trainableParams)}, non-trainable ${int(t.nonTrainableParams)})`),
    h('dt', null, 'MACs'), h('dd', null, `${int(t.macs)} (${short(t.macs)})`),
    h('dt', null, 'FLOPs'), h('dd', null, `${int(t.flops)} (${short(t.flops)}) = 2 × MACs`),
    h('dt', null, 'SE blocks'), h('dd', null, `${r.seBlocks.length}${r.seBlocks.length ? ` · ${int(r.seBlocks.reduce((a, b) => a + b.params, 0))} params (${pct(r.seBlocks.reduce((a, b) => a + b.share.params, 0))} of the model's params), ${pct(r.seBlocks.reduce((a, b) => a + b.share.macs, 0), 3)} of its MACs` : ''}`),
  );
  const convention = h('p', { class: 'muted small' }, `Counting convention: ${r.conventions.macs}${t.complete ? '' : ' Some layers could not be counted (see warnings).'}`);
  const notes = h('ul', { class: 'notes' }, ...r.notes.map((n) => h('li', null, `note: ${n}`)), ...r.warnings.map((w) => h('li', { class: 'warning' }, `warning: ${w}`)));

  const blocks = r.seBlocks.length
    ? table(
        ['#', 'block', 'scales', 'C', 'width', 'r', 'gate', 'variant', 'params', 'MACs', 'share (params)'],
        r.seBlocks.map((b, i) => ({
          cells: [i, b.name, b.scaledLayer, b.channels, b.squeezedWidth, +b.ratio.toFixed(2), b.gate, b.variant, countCell(b.params), countCell(b.macs), pct(b.share.params)],
          // a JSON model shows the block in its text; a binary one has its layers' rows below
          onClick: () => (canReveal ? reveal(b.name) : highlightLayers(b.name)),
          name: b.name,
        })),
        new Set([0, 3, 4, 5, 8, 9, 10]),
        'se-blocks',
        true,
        SE_HEADER_TIPS,
        new Set([2, 6, 7, 9]),
      )
    : h('p', { class: 'muted' }, 'No SE block found: the report shows the cost of the model only.');

  const excitation = r.seBlocks.length
    ? section(
        'Excitation',
        h('p', { class: 'muted small' }, 'Run the model on an image to see each SE block\'s gate values (one row per block, network order).'),
        imagePicker({ folder: true }),
        runErrorBanner,
        heatmap.el,
        historyBox,
      )
    : null;

  const parts: (HTMLElement | null)[] = [
    h(
      'header',
      null,
      h('h1', null, m.name),
      h('div', { class: 'muted path', title: m.path }, displayPath || m.path),
      h(
        'div',
        { class: 'toolbar' },
        h('vscode-button', { secondary: true, title: 'Save this report as a Markdown file', onclick: () => post({ type: 'exportReport', format: 'markdown' }) }, 'Export Markdown'),
        h('vscode-button', { secondary: true, title: 'Save the report as JSON, exactly as se-inspector inspect --json prints it', onclick: () => post({ type: 'exportReport', format: 'json' }) }, 'Export JSON'),
      ),
    ),
    section('Summary', summary, convention, notes),
    section(`SE blocks (${r.seBlocks.length})`, blocks, r.seBlocks.length ? h('p', { class: 'muted small' }, canReveal ? 'Click a row to show the block in the JSON; an "SE block" cell in the layers table leads back here.' : 'Click a row to see its layers in the layers table; an "SE block" cell there leads back here.') : null),
    r.seBlocks.length ? section('What if: every SE block at ratio r', whatIfTable(r), whatIfChart(r)) : null,
    excitation,
    r.seBlocks.length ? section('Compare runs', h('p', { class: 'muted small' }, 'Every run on this model is kept; pick two to see B minus A per channel and the blocks ranked by how much they differ.'), comparison.el) : null,
    section(`Layers (${r.layers.length})`, layersTable(r)),
  ];
  content.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
  renderRun();
  if (pendingHighlight) {
    const name = pendingHighlight;
    pendingHighlight = null;
    requestAnimationFrame(() => highlight(name));
  } else if (state.scrollY) requestAnimationFrame(() => window.scrollTo(0, state.scrollY ?? 0));
}

/** Its layers' rows for a block row clicked in a binary model's report. */
function highlightLayers(block: string): void {
  for (const el of document.querySelectorAll('.highlight')) el.classList.remove('highlight');
  const rows = [...document.querySelectorAll<HTMLElement>('table.layers tbody tr')].filter((tr) => tr.dataset.block === block);
  for (const el of rows) el.classList.add('highlight');
  rows[0]?.scrollIntoView({ block: 'center' });
  document.body.dataset.highlight = block;
}

function renderRun(): void {
  runErrorBanner.hidden = !runError;
  runErrorBanner.textContent = runError ?? '';
  heatmap.set(run);
  renderHistory();
  // a run the page has not shown yet (just made, not restored): bring the heatmap into view, or nothing on screen changes
  if (run && report && run.id !== getState().seenRunId) {
    setState({ seenRunId: run.id });
    requestAnimationFrame(() => heatmap.el.scrollIntoView({ block: 'start', behavior: 'instant' as ScrollBehavior }));
  }
}

/** What each column of the SE blocks table means (its header's tooltip). */
const SE_HEADER_TIPS = [
  'Block number, counted from 0 (as the heatmap tooltip and the CSV)',
  'The SE block, named by its scale (multiply) layer',
  'The layer whose output the block scales (its C channels)',
  'C: channels of the scaled feature map',
  'Width of the squeezed (reduce) layer',
  'Reduction ratio r = C / width',
  'Gate activation that makes the excitation (0..1 per channel)',
  'How the block is built (fully connected or 1x1 convolutions, squeeze kind)',
  'Parameters the block adds',
  'Multiply-accumulates the block adds per image',
  "The block's parameters as a share of the model's",
];

interface Row {
  cells: (string | number | Node)[];
  onClick?: () => void;
  cls?: string;
  /** data-name of the row (what a highlight looks for). */
  name?: string;
  title?: string;
}

/**
 * A table; `clickable` rows act on click and Enter. `tips` are the headers' tooltips; `optional`
 * columns are hidden in a narrow view (under 640 px) so that nothing scrolls sideways.
 */
function table(headers: string[], rows: Row[], numeric: Set<number>, cls: string, clickable = canReveal, tips: string[] = [], optional = new Set<number>()): HTMLElement {
  const colCls = (i: number) => `${numeric.has(i) ? 'num' : ''}${optional.has(i) ? ' opt' : ''}`;
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: cls },
      h('thead', null, h('tr', null, ...headers.map((x, i) => h('th', { class: colCls(i), scope: 'col', title: tips[i] }, x)))),
      h(
        'tbody',
        null,
        ...rows.map((row) => {
          const active = !!row.onClick && clickable;
          const tr = h(
            'tr',
            { class: `${row.cls ?? ''}${active ? ' clickable' : ''}`, onclick: active ? row.onClick : undefined, tabindex: active ? 0 : undefined, 'data-name': row.name, title: row.title },
            ...row.cells.map((c, i) => h('td', { class: colCls(i) }, typeof c === 'string' && c.length > 12 ? breakable(c) : typeof c === 'number' ? String(c) : c)),
          );
          if (active) tr.addEventListener('keydown', (e) => e.key === 'Enter' && row.onClick!());
          return tr;
        }),
      ),
    ),
  );
}

function whatIfTable(r: InspectReport): HTMLElement {
  const w = r.whatIf;
  const rows: Row[] = [
    { cells: ['no SE', countCell(w.baseline.params), '—', countCell(w.baseline.macs), '—'], cls: 'muted' },
    ...w.byRatio.map((x) => ({
      cells: [`${x.r === null ? 'mixed' : +x.r.toFixed(3)}${x.own ? ' (model)' : ''}`, countCell(x.params), h('span', null, countCell(x.paramsDelta, '+'), ` (${pct(x.paramsPercent / 100)})`), countCell(x.macs), h('span', null, countCell(x.macsDelta, '+'), ` (${pct(x.macsPercent / 100, 3)})`)],
      cls: x.own ? 'own' : '',
    })),
  ];
  const tips = ['Reduction ratio: every SE block at width max(1, floor(C / r)); "(model)" is the model as it is', 'Parameters of the whole model at this r', 'Parameters added over the model without its SE blocks', 'MACs of the whole model at this r', 'MACs added over the model without its SE blocks'];
  return h(
    'div',
    null,
    table(['r', 'params', 'vs no SE', 'MACs', 'vs no SE'], rows, new Set([1, 2, 3, 4]), 'what-if', false, tips),
    h('p', { class: 'muted small' }, `"(model)" and * in the chart mark the model as it is${w.byRatio.some((x) => x.r === null) ? '; "mixed": its blocks use different ratios, so it has no single r' : ''}.`),
  );
}

/** Horizontal bars: extra parameters over the model without SE, per ratio. */
function whatIfChart(r: InspectReport): SVGElement {
  const rows = r.whatIf.byRatio;
  const max = Math.max(1, ...rows.map((x) => x.paramsDelta));
  const rowH = 20;
  const labelW = 90;
  const W = 420;
  const barW = W - labelW - 110;
  const el = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${rows.length * rowH + 24}`, role: 'img', 'aria-label': 'Extra parameters per reduction ratio' });
  el.append(svg('text', { x: labelW, y: 12, class: 'chart-title' }, 'extra params over no SE'));
  rows.forEach((x, i) => {
    const y = 20 + i * rowH;
    const w = Math.max(1, (x.paramsDelta / max) * barW);
    el.append(
      svg('text', { x: labelW - 6, y: y + 13, 'text-anchor': 'end', class: 'chart-label' }, `r = ${x.r === null ? 'mixed' : +x.r.toFixed(2)}${x.own ? ' *' : ''}`),
      svg('rect', { x: labelW, y: y + 3, width: w, height: rowH - 6, class: x.own ? 'bar own' : 'bar' }),
      svg('text', { x: labelW + w + 6, y: y + 13, class: 'chart-value' }, `+${short(x.paramsDelta)} (${(x.paramsPercent).toFixed(2)}%)`),
    );
  });
  return el;
}

/** An "SE block" cell: a link to the block's row in the SE blocks table. */
function seBlockLink(block: string): HTMLElement {
  return h(
    'a',
    {
      href: '#',
      class: 'se-link',
      title: `Go to ${block} in the SE blocks table`,
      onclick: (e: Event) => {
        e.preventDefault();
        e.stopPropagation();
        highlight(block);
      },
    },
    breakable(block),
  );
}

function layersTable(r: InspectReport): HTMLElement {
  type Key = 'name' | 'type' | 'params' | 'macs' | 'seBlock';
  let sort = (state.layerSort ?? { key: 'index', desc: false }) as { key: Key | 'index'; desc: boolean };
  let filter = state.layerFilter ?? '';
  const tbody = h('tbody');
  const filterBox = h('vscode-textfield', { placeholder: 'Filter by name, type or SE block', 'aria-label': 'Filter layers' }) as HTMLElement & { value: string };
  filterBox.value = filter;
  filterBox.addEventListener('input', () => {
    filter = filterBox.value;
    setState({ layerFilter: filter });
    fill();
  });
  const count = h('span', { class: 'muted small' });
  const cols: { key: Key | 'index'; label: string; num?: boolean; tip: string; opt?: boolean }[] = [
    { key: 'index', label: '#', num: true, tip: 'Position in the network, counted from 0 (click to sort)', opt: true },
    { key: 'name', label: 'layer', tip: 'Layer name (click to sort)' },
    { key: 'type', label: 'type', tip: 'Layer type (click to sort)' },
    { key: 'index', label: 'output', tip: 'Output shape; None is the batch', opt: true },
    { key: 'params', label: 'params', num: true, tip: 'Parameters, as Keras counts them (click to sort)' },
    { key: 'macs', label: 'MACs', num: true, tip: 'Multiply-accumulates per image (click to sort)' },
    { key: 'seBlock', label: 'SE block', tip: 'The SE block the layer belongs to: click it to go to the block' },
  ];
  const headRow = h('tr');
  const heads = cols.map((c, i) => {
    const th = h('th', { class: `${c.num ? 'num' : ''} sortable${c.opt ? ' opt' : ''}`, scope: 'col', tabindex: 0, 'aria-sort': 'none', title: c.tip }, c.label);
    const act = () => {
      if (i === 3) return;
      sort = { key: c.key, desc: sort.key === c.key ? !sort.desc : c.num === true && c.key !== 'index' };
      setState({ layerSort: sort });
      fill();
    };
    th.addEventListener('click', act);
    th.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && act());
    headRow.append(th);
    return th;
  });
  const indexed = r.layers.map((l, i) => ({ l, i }));
  function fill(): void {
    const q = filter.trim().toLowerCase();
    let rows = indexed.filter(({ l }) => !q || l.name.toLowerCase().includes(q) || l.type.toLowerCase().includes(q) || (l.seBlock ?? '').toLowerCase().includes(q));
    const val = (x: { l: LayerRow; i: number }): number | string => (sort.key === 'index' ? x.i : (x.l[sort.key] ?? (sort.key === 'params' || sort.key === 'macs' ? -1 : '')));
    rows = rows.sort((a, b) => {
      const va = val(a);
      const vb = val(b);
      const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
      return sort.desc ? -c : c;
    });
    heads.forEach((th, i) => th.setAttribute('aria-sort', cols[i].key === sort.key && i !== 3 ? (sort.desc ? 'descending' : 'ascending') : 'none'));
    tbody.replaceChildren(
      ...rows.map(({ l, i }) =>
        h(
          'tr',
          { class: `${l.seBlock ? 'se' : ''}${canReveal ? ' clickable' : ''}`, onclick: () => reveal(l.name), 'data-name': l.name, 'data-block': l.seBlock },
          h('td', { class: 'num opt' }, String(i)),
          h('td', { class: 'mono name' }, breakable(l.name)),
          h('td', { class: 'type' }, breakable(l.type)),
          h('td', { class: 'mono opt' }, shape(l.outputShape)),
          h('td', { class: 'num' }, countCell(l.params)),
          h('td', { class: 'num' }, countCell(l.macs)),
          h('td', { class: 'se-cell' }, l.seBlock ? seBlockLink(l.seBlock) : ''),
        ),
      ),
    );
    count.textContent = `${rows.length} of ${r.layers.length} layers`;
  }
  fill();
  return h('div', null, h('div', { class: 'toolbar' }, filterBox, count), h('div', { class: 'table-wrap' }, h('table', { class: 'layers' }, h('thead', null, headRow), tbody)));
}

onMessage((msg: ToWebview.Message) => {
  switch (msg.type) {
    case 'init':
      heatmap.setColormap(msg.colormap);
      return;
    case 'busy':
      setBusy(msg.message);
      return;
    case 'report':
      setBusy(null);
      showError(null);
      report = msg.report;
      canReveal = msg.canReveal;
      displayPath = msg.displayPath;
      render();
      return;
    case 'highlight':
      highlight(msg.name);
      return;
    case 'error':
      setBusy(null);
      report = null;
      content.replaceChildren();
      showError(msg.message);
      return;
    case 'excitation':
      setBusy(null);
      run = msg.run;
      runError = msg.error;
      renderRun();
      return;
    case 'colormap':
      heatmap.setColormap(msg.colormap);
      return;
    case 'focus':
    case 'graph':
      return;
    case 'history':
      // one list for both: the history table (newest first) and the comparison's pickers
      history = [...msg.runs].reverse();
      comparison.set(msg.runs, msg.comparison, msg.error);
      renderHistory();
      return;
    default:
      assertNever(msg);
  }
});

post({ type: 'ready' });
