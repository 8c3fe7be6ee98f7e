/** The model report page: summary, SE blocks, what-if per ratio, excitation heatmap, layers. */
import './lib/elements.js';
import type { ExcitationRun, InspectReport, LayerRow, ToWebview } from '../src/protocol/messages.js';
import { assertNever, getState, onMessage, post, setState } from './lib/api.js';
import { h, int, pct, shape, short, svg } from './lib/dom.js';
import { enableDrop, Heatmap, imagePicker } from './lib/heatmap.js';
import { ComparisonView } from './lib/comparison.js';

const app = document.getElementById('app')!;
const state = getState();
let report: InspectReport | null = null;
let canReveal = false;
let run: ExcitationRun | null = null;
let runError: string | null = null;

const busy = h('div', { class: 'busy', hidden: true }, h('vscode-progress-ring'), h('span'));
const errorBanner = h('div', { class: 'banner error', role: 'alert', hidden: true });
const heatmap = new Heatmap({ sorted: !!state.sortChannels, onSortChange: (s) => setState({ sortChannels: s }) });
const runErrorBanner = h('div', { class: 'banner error', role: 'alert', hidden: true });
const content = h('div', { class: 'content' });
const comparison = new ComparisonView();
/** A row the graph view asked for before the report was drawn. */
let pendingReveal: string | null = null;

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

function section(title: string, ...body: (Node | null)[]): HTMLElement {
  return h('section', null, h('h2', null, title), ...body);
}

function reveal(layer: string): void {
  if (canReveal) post({ type: 'reveal', layer });
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
          cells: [i + 1, b.name, b.scaledLayer, b.channels, b.squeezedWidth, +b.ratio.toFixed(2), b.gate, b.variant, int(b.params), int(b.macs), pct(b.share.params)],
          onClick: () => reveal(b.name),
          block: b.name,
        })),
        new Set([0, 3, 4, 5, 8, 9, 10]),
        'se-blocks',
      )
    : h('p', { class: 'muted' }, 'No SE block found: the report shows the cost of the model only.');

  const excitation = r.seBlocks.length
    ? section('Excitation', h('p', { class: 'muted small' }, 'Run the model on an image to see each SE block\'s gate values (one row per block, network order).'), imagePicker(), runErrorBanner, heatmap.el)
    : null;

  const parts: (HTMLElement | null)[] = [
    h('header', null, h('h1', null, m.name), h('div', { class: 'muted path' }, m.path)),
    section('Summary', summary, convention, notes),
    section(`SE blocks (${r.seBlocks.length})`, blocks, canReveal && r.seBlocks.length ? h('p', { class: 'muted small' }, 'Click a row to show it in the JSON.') : null),
    r.seBlocks.length ? section('What if: every SE block at ratio r', whatIfTable(r), whatIfChart(r)) : null,
    excitation,
    r.seBlocks.length ? section('Compare runs', h('p', { class: 'muted small' }, 'Every run on this model is kept; pick two to see B minus A per channel and the blocks ranked by how much they differ.'), comparison.el) : null,
    section(`Layers (${r.layers.length})`, layersTable(r)),
  ];
  content.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
  renderRun();
  if (pendingReveal) {
    const layer = pendingReveal;
    pendingReveal = null;
    requestAnimationFrame(() => revealRow(layer));
  } else if (state.scrollY) requestAnimationFrame(() => window.scrollTo(0, state.scrollY ?? 0));
}

/** Scrolls to a layer's row (an SE block's row for a block name) and marks it; a filter that hides it is cleared. */
function revealRow(layer: string): void {
  if (!report) return void (pendingReveal = layer);
  const find = () => [...content.querySelectorAll<HTMLElement>('tr[data-layer], tr[data-block]')].find((tr) => tr.dataset.layer === layer || tr.dataset.block === layer);
  let row = find();
  if (!row && report.layers.some((l) => l.name === layer)) {
    setState({ layerFilter: '' });
    state.layerFilter = '';
    render();
    row = find();
  }
  if (!row) return;
  for (const r of content.querySelectorAll('tr.revealed')) r.classList.remove('revealed');
  row.classList.add('revealed');
  row.scrollIntoView({ block: 'center' });
}

function renderRun(): void {
  runErrorBanner.hidden = !runError;
  runErrorBanner.textContent = runError ?? '';
  heatmap.set(run);
}

interface Row {
  cells: (string | number)[];
  onClick?: () => void;
  cls?: string;
  /** The SE block the row shows (found by the graph view's reveal). */
  block?: string;
}

function table(headers: string[], rows: Row[], numeric: Set<number>, cls: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: cls },
      h('thead', null, h('tr', null, ...headers.map((x, i) => h('th', { class: numeric.has(i) ? 'num' : '', scope: 'col' }, x)))),
      h(
        'tbody',
        null,
        ...rows.map((row) =>
          h(
            'tr',
            { class: `${row.cls ?? ''}${row.onClick && canReveal ? ' clickable' : ''}`, onclick: row.onClick, tabindex: row.onClick && canReveal ? 0 : undefined, 'data-block': row.block },
            ...row.cells.map((c, i) => h('td', { class: numeric.has(i) ? 'num' : '' }, String(c))),
          ),
        ),
      ),
    ),
  );
}

function whatIfTable(r: InspectReport): HTMLElement {
  const w = r.whatIf;
  const rows: Row[] = [
    { cells: ['no SE', int(w.baseline.params), '—', int(w.baseline.macs), '—'], cls: 'muted' },
    ...w.byRatio.map((x) => ({
      cells: [`${x.r === null ? 'mixed' : +x.r.toFixed(3)}${x.own ? ' (model)' : ''}`, int(x.params), `+${int(x.paramsDelta)} (${pct(x.paramsPercent / 100)})`, int(x.macs), `+${int(x.macsDelta)} (${pct(x.macsPercent / 100, 3)})`],
      cls: x.own ? 'own' : '',
    })),
  ];
  return table(['r', 'params', 'vs no SE', 'MACs', 'vs no SE'], rows, new Set([1, 2, 3, 4]), 'what-if');
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
  const cols: { key: Key | 'index'; label: string; num?: boolean }[] = [
    { key: 'index', label: '#', num: true },
    { key: 'name', label: 'layer' },
    { key: 'type', label: 'type' },
    { key: 'index', label: 'output' },
    { key: 'params', label: 'params', num: true },
    { key: 'macs', label: 'MACs', num: true },
    { key: 'seBlock', label: 'SE block' },
  ];
  const headRow = h('tr');
  const heads = cols.map((c, i) => {
    const th = h('th', { class: `${c.num ? 'num' : ''} sortable`, scope: 'col', tabindex: 0, 'aria-sort': 'none' }, c.label);
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
          { class: `${l.seBlock ? 'se' : ''}${canReveal ? ' clickable' : ''}`, onclick: () => reveal(l.name), 'data-layer': l.name },
          h('td', { class: 'num' }, String(i + 1)),
          h('td', { class: 'mono' }, l.name),
          h('td', null, l.type),
          h('td', { class: 'mono' }, shape(l.outputShape)),
          h('td', { class: 'num' }, int(l.params)),
          h('td', { class: 'num' }, int(l.macs)),
          h('td', null, l.seBlock ?? ''),
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
      render();
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
    case 'revealRow':
      revealRow(msg.layer);
      return;
    case 'history':
      comparison.set(msg.runs, msg.comparison, msg.error);
      return;
    default:
      assertNever(msg);
  }
});

post({ type: 'ready' });
