/** The side panel's heatmap view: the last run on the model in focus; works at narrow widths. */
import './lib/elements.js';
import type { ToWebview } from '../src/protocol/messages.js';
import { assertNever, getState, onMessage, post, setState } from './lib/api.js';
import { h } from './lib/dom.js';
import { enableDrop, Heatmap, imagePicker } from './lib/heatmap.js';

const app = document.getElementById('app')!;
const state = getState();
const title = h('div', { class: 'panel-title' });
const busy = h('div', { class: 'busy', hidden: true }, h('vscode-progress-ring'), h('span'));
const error = h('div', { class: 'banner error', role: 'alert', hidden: true });
const empty = h('p', { class: 'muted' });
const picker = imagePicker();
const heatmap = new Heatmap({ sorted: !!state.sortChannels, onSortChange: (s) => setState({ sortChannels: s }) });
heatmap.set(null);
app.replaceChildren(title, busy, error, picker, empty, heatmap.el);
document.body.classList.add('narrow');
enableDrop(document.body);

let hasModel = false;

function update(run: ToWebview.Excitation['run']): void {
  heatmap.set(run);
  empty.hidden = !!run;
  empty.textContent = !hasModel ? 'Open a model (Inspect SE model) to see its excitation here.' : run ? '' : 'No run yet: choose an image.';
}

onMessage((msg) => {
  switch (msg.type) {
    case 'init':
      heatmap.setColormap(msg.colormap);
      return;
    case 'focus':
      hasModel = msg.modelName !== null;
      title.textContent = msg.modelName ? `${msg.modelName} · ${msg.blockCount} SE blocks` : 'No model in focus';
      picker.hidden = !hasModel || msg.blockCount === 0;
      error.hidden = true;
      return;
    case 'busy':
      busy.hidden = false;
      (busy.lastChild as HTMLElement).textContent = msg.message;
      return;
    case 'error':
      busy.hidden = true;
      error.hidden = false;
      error.textContent = msg.message;
      return;
    case 'excitation':
      busy.hidden = true;
      error.hidden = !msg.error;
      error.textContent = msg.error ?? '';
      update(msg.run);
      return;
    case 'report':
      return;
    case 'colormap':
      heatmap.setColormap(msg.colormap);
      return;
    default:
      assertNever(msg);
  }
});

update(null);
post({ type: 'ready' });
