/**
 * The class-specificity page: per SE block the class-mean excitations, one line per class over the
 * channels (the SENet paper's Fig. 6), the block's score in its title; the scores per block as a
 * bar chart; the ablation table, cheapest removal first. Charts are canvases drawn in the theme's
 * colours (redrawn when the theme changes) and exported as PNG; the tables as CSV (by the host).
 */
import './lib/elements.js';
import type { SpecificityFromWebview, SpecificityRun, SpecificityToWebview } from '../src/protocol/messages.js';
import { h } from './lib/dom.js';

declare function acquireVsCodeApi(): { postMessage(msg: unknown): void };
const vscode = acquireVsCodeApi();
const post = (m: SpecificityFromWebview.Message) => vscode.postMessage(m);

/** Ten distinguishable line colours (Tableau 10), readable on light and dark backgrounds; more classes reuse them. */
const CLASS_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const colourOf = (k: number) => CLASS_COLOURS[k % CLASS_COLOURS.length];
const themeVar = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

const app = document.getElementById('app')!;
let run: SpecificityRun | null = null;
/** Redraws of every canvas, for a theme change. */
let draws: (() => void)[] = [];

/** A canvas sized for `w` x `h` CSS pixels at the screen's pixel ratio; `draw` gets a context in CSS pixels. */
function chart(w: number, ht: number, label: string, draw: (g: CanvasRenderingContext2D, w: number, h: number) => void): HTMLCanvasElement {
  const c = h('canvas', { role: 'img', 'aria-label': label, class: 'spec-canvas' });
  const ratio = Math.max(1, window.devicePixelRatio || 1);
  c.width = Math.round(w * ratio);
  c.height = Math.round(ht * ratio);
  c.style.width = `${w}px`;
  c.style.height = `${ht}px`;
  const paint = () => {
    const g = c.getContext('2d')!;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    // an opaque background: an exported PNG reads the same outside the editor
    g.fillStyle = themeVar('--vscode-editor-background', '#1e1e1e');
    g.fillRect(0, 0, w, ht);
    g.font = `11px ${themeVar('--vscode-font-family', 'sans-serif')}`;
    draw(g, w, ht);
  };
  draws.push(paint);
  paint();
  return c;
}

function pngButton(c: HTMLCanvasElement, what: string): HTMLElement {
  return h('vscode-button', { secondary: true, title: `Save this chart as PNG`, onclick: () => post({ type: 'exportPng', dataUrl: c.toDataURL('image/png'), what }) }, 'PNG');
}

/** Fig. 6: the class-mean excitation of every channel, one line per class. */
function blockFigure(b: SpecificityRun['blocks'][number], index: number, classes: string[]): HTMLElement {
  const W = 360;
  const H = 190;
  const pad = { l: 30, r: 8, t: 8, b: 22 };
  const c = chart(W, H, `${b.name}: class-mean excitation per channel, score ${b.score.toFixed(3)}`, (g, w, ht) => {
    const fg = themeVar('--vscode-foreground', '#ccc');
    const muted = themeVar('--vscode-descriptionForeground', '#999');
    const grid = themeVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)');
    const pw = w - pad.l - pad.r;
    const ph = ht - pad.t - pad.b;
    const x = (ch: number) => pad.l + (b.channels <= 1 ? pw / 2 : (ch / (b.channels - 1)) * pw);
    const y = (v: number) => pad.t + (1 - Math.min(1, Math.max(0, v))) * ph;
    g.strokeStyle = grid;
    g.lineWidth = 1;
    g.fillStyle = muted;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (const v of [0, 0.5, 1]) {
      g.beginPath();
      g.moveTo(pad.l, y(v));
      g.lineTo(w - pad.r, y(v));
      g.stroke();
      g.fillText(v.toFixed(1), pad.l - 4, y(v));
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    g.fillText('0', x(0), ht - pad.b + 4);
    g.fillText(String(b.channels - 1), x(b.channels - 1), ht - pad.b + 4);
    g.fillStyle = fg;
    g.fillText('channel', pad.l + pw / 2, ht - pad.b + 4);
    g.lineWidth = 1.2;
    classes.forEach((cls, k) => {
      const v = b.classMeans[cls];
      if (!v) return;
      g.strokeStyle = colourOf(k);
      g.beginPath();
      v.forEach((val, ch) => (ch ? g.lineTo(x(ch), y(val)) : g.moveTo(x(ch), y(val))));
      g.stroke();
    });
  });
  return h(
    'figure',
    { class: 'spec-block', 'data-block': b.name, 'data-score': String(b.score) },
    h('figcaption', null, h('span', { class: 'spec-title' }, h('strong', null, `${index + 1}. ${b.name}`), ` · score ${b.score.toFixed(3)}`), pngButton(c, b.name), h('span', { class: 'muted small spec-detail' }, `${b.channels} channels · gates > 0.95: ${pct(b.saturation.high)} · < 0.05: ${pct(b.saturation.low)}`)),
    c,
  );
}

/** The score of every block as a bar, in model order. */
function scoreChart(r: SpecificityRun): HTMLCanvasElement {
  const row = 22;
  const labelW = 150;
  const W = 560;
  const H = 20 + row * r.blocks.length + 20;
  return chart(W, H, 'class-specificity score per SE block', (g, w) => {
    const fg = themeVar('--vscode-foreground', '#ccc');
    const muted = themeVar('--vscode-descriptionForeground', '#999');
    const bar = themeVar('--vscode-charts-blue', themeVar('--vscode-textLink-foreground', '#3794ff'));
    const grid = themeVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)');
    const pw = w - labelW - 60;
    g.textBaseline = 'middle';
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      const xv = labelW + v * pw;
      g.strokeStyle = grid;
      g.beginPath();
      g.moveTo(xv, 10);
      g.lineTo(xv, 10 + row * r.blocks.length);
      g.stroke();
      g.fillStyle = muted;
      g.textAlign = 'center';
      g.fillText(v.toFixed(2), xv, 20 + row * r.blocks.length);
    }
    r.blocks.forEach((b, i) => {
      const yc = 10 + row * i + row / 2;
      g.fillStyle = fg;
      g.textAlign = 'right';
      g.fillText(b.name.length > 22 ? `${b.name.slice(0, 21)}…` : b.name, labelW - 8, yc);
      g.fillStyle = bar;
      g.fillRect(labelW, yc - 7, Math.max(1, b.score * pw), 14);
      g.fillStyle = fg;
      g.textAlign = 'left';
      g.fillText(b.score.toFixed(3), labelW + b.score * pw + 6, yc);
    });
  });
}

function ablationTable(r: SpecificityRun): HTMLElement {
  const th = (t: string, num = true) => h('th', { class: num ? 'num' : undefined }, t);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'spec-ablation' },
      h('thead', null, h('tr', null, th('rank'), th('block', false), th('top-1 agreement'), th('mean |change|'), th('params saved'), th('MACs saved'))),
      h(
        'tbody',
        null,
        ...r.ablation.map((a, i) =>
          h('tr', null, h('td', { class: 'num' }, i + 1), h('td', null, a.name), h('td', { class: 'num' }, pct(a.agreement)), h('td', { class: 'num' }, a.meanAbsChange.toExponential(2)), h('td', { class: 'num' }, `${int(a.params)} (${(100 * a.paramsShare).toFixed(2)} %)`), h('td', { class: 'num' }, `${int(a.macs)} (${(100 * a.macsShare).toFixed(2)} %)`)),
        ),
      ),
    ),
  );
}

/** A colour key (CSSOM, not a style attribute: the CSP allows no inline styles). */
function swatch(colour: string): HTMLElement {
  const s = h('span', { class: 'spec-swatch' });
  s.style.background = colour;
  return s;
}

const csvButton = (table: SpecificityFromWebview.ExportCsv['table'], label: string) => h('vscode-button', { secondary: true, onclick: () => post({ type: 'exportCsv', table }) }, label);

function render(r: SpecificityRun): void {
  draws = [];
  const legend = h('div', { class: 'spec-legend' }, ...r.classes.map((c, k) => h('span', { class: 'spec-key' }, swatch(colourOf(k)), `${c} (${r.counts[k]})`)));
  const scores = scoreChart(r);
  app.replaceChildren(
    h('h1', null, `Class specificity: ${r.modelName}`),
    h('p', { class: 'muted' }, `${r.blocks.length} SE blocks · ${r.images} images in ${r.classes.length} classes · ${(r.wallMs / 1000).toFixed(1)} s`, h('br'), h('span', { class: 'path' }, r.folder)),
    h('p', { class: 'muted small' }, "Score: the share of each gate's variance across images that the class explains (between-class / total), averaged over channels; 0 = the same for every class, 1 = set by the class alone."),
    h('h2', null, 'Scores per block'),
    h('div', { class: 'spec-toolbar' }, pngButton(scores, 'scores'), csvButton('scores', 'Export CSV')),
    scores,
    h('h2', null, 'Class-mean excitation per block (as the SENet paper, Fig. 6)'),
    h('div', { class: 'spec-toolbar' }, csvButton('classMeans', 'Export CSV')),
    legend,
    h('div', { class: 'spec-grid' }, ...r.blocks.map((b, i) => blockFigure(b, i, r.classes))),
    h('h2', null, 'What each block is worth: its gate held at its mean over the folder'),
    h('p', { class: 'muted small' }, 'Cheapest removals first. Agreement: share of images whose top-1 class is unchanged; mean |change|: of the output values; saved: the block\'s own parameters and MACs (the constant scale folds into the layer before it).'),
    h('div', { class: 'spec-toolbar' }, csvButton('ablation', 'Export CSV')),
    ablationTable(r),
  );
}

// the theme changed: the canvases take their colours from CSS variables, so draw them again
new MutationObserver(() => draws.forEach((d) => d())).observe(document.body, { attributes: true, attributeFilter: ['class'] });

window.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as SpecificityToWebview.Message | null;
  if (!m || typeof m !== 'object' || m.type !== 'specificity') return void console.warn('SE Inspector specificity view: ignored message', m);
  run = m.run;
  render(run);
});
post({ type: 'ready' });
