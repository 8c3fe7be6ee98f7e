/** The side panel's heatmap view: the last run on the model in focus; works at narrow widths. */
import './lib/elements.js';
import type { ExcitationRun } from '../src/protocol/messages.js';
import { assertNever, getState, onMessage, post, setState } from './lib/api.js';
import { h } from './lib/dom.js';
import { enableDrop, Heatmap, imagePicker } from './lib/heatmap.js';
import { ComparisonView } from './lib/comparison.js';

const app = document.getElementById('app')!;
const state = getState();
const title = h('div', { class: 'panel-title' });
const busy = h('div', { class: 'busy', hidden: true }, h('vscode-progress-ring'), h('span'));
const error = h('div', { class: 'banner error', role: 'alert', hidden: true });
const empty = h('p', { class: 'muted' });
const picker = imagePicker({ compact: true });
const heatmap = new Heatmap({ sorted: !!state.sortChannels, onSortChange: (s) => setState({ sortChannels: s }), drillBlock: state.drillBlock, onDrillChange: (b) => setState({ drillBlock: b }) });
const comparison = new ComparisonView({ compact: true });
const compareTitle = h('div', { class: 'compare-title', hidden: true }, 'Compare runs');
// the heatmap first: at side-bar widths the picker below it stays reachable without hiding the run
app.replaceChildren(title, busy, error, empty, heatmap.el, picker, compareTitle, comparison.el);
document.body.classList.add('narrow');
enableDrop(document.body);

/** What the view shows: the model in focus (from `focus`), why it cannot be read, its last run. */
const view = {
  modelName: null as string | null,
  blockCount: 0,
  busy: null as string | null,
  modelError: null as string | null,
  run: null as ExcitationRun | null,
  runError: null as string | null,
};

function render(): void {
  const v = view;
  const hasModel = v.modelName !== null;
  const reading = !!v.busy && v.blockCount === 0; // a model not read yet (a run keeps its count and last heatmap)
  title.textContent = !hasModel ? 'No model in focus' : reading || v.modelError ? v.modelName : `${v.modelName} · ${v.blockCount} SE block${v.blockCount === 1 ? '' : 's'}`;
  busy.hidden = !v.busy;
  (busy.lastChild as HTMLElement).textContent = v.busy ?? '';
  const err = v.modelError ?? v.runError;
  const fresh = !!err && err !== error.textContent;
  error.hidden = !err;
  error.textContent = err ?? '';
  // the picker is at the bottom of a narrow view: a new error at its top must come into sight
  if (fresh) requestAnimationFrame(() => error.scrollIntoView({ block: 'nearest' }));
  const run = hasModel && !v.modelError ? v.run : null;
  heatmap.set(run);
  picker.hidden = !hasModel || !!v.modelError || v.blockCount === 0;
  empty.textContent = !hasModel
    ? 'Open a model (Inspect SE model) to see its excitation here.'
    : v.modelError || v.busy
      ? ''
      : v.blockCount === 0
        ? 'This model has no SE block: there is no excitation to show.'
        : run
          ? ''
          : 'No run yet: choose an image.';
  empty.hidden = !empty.textContent;
}

onMessage((msg) => {
  switch (msg.type) {
    case 'init':
      heatmap.setColormap(msg.colormap);
      return;
    case 'focus':
      // a new focus: what follows (busy, error or excitation) says what there is to show
      if (msg.modelName !== view.modelName) view.run = null;
      Object.assign(view, { modelName: msg.modelName, blockCount: msg.blockCount, busy: null, modelError: null, runError: null });
      return render();
    case 'busy':
      view.busy = msg.message;
      return render();
    case 'error':
      Object.assign(view, { busy: null, modelError: msg.message, run: null });
      return render();
    case 'excitation':
      Object.assign(view, { busy: null, run: msg.run, runError: msg.error });
      return render();
    case 'history':
      comparison.set(msg.runs, msg.comparison, msg.error);
      compareTitle.hidden = msg.runs.length === 0;
      return;
    case 'report':
    case 'highlight':
    case 'graph':
      return;
    case 'colormap':
      heatmap.setColormap(msg.colormap);
      return;
    default:
      assertNever(msg);
  }
});

render();
post({ type: 'ready' });
