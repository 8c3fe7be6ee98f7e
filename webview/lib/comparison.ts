/**
 * Two runs compared: pick run A and run B of the model's history, see B minus A as a heatmap
 * (the excitation heatmap's diverging mode: one row per SE block in network order, a colormap
 * centred on 0 and symmetric around it) and the blocks ranked by mean |B - A|; export CSV/PNG.
 */
import type { Comparison, RunSummary } from '../../src/protocol/messages.js';
import { post } from './api.js';
import { divergingLut } from './colormap.js';
import { h } from './dom.js';
import { fitLabels, hatchPattern } from './heatmap.js';

const LEGEND_H = 44;
const signed = (v: number, d = 4) => `${v >= 0 ? '+' : ''}${v.toFixed(d)}`;
const time = (t: number) => new Date(t).toLocaleTimeString();
const runLabel = (r: RunSummary) => `${r.imageName} · ${r.backend} · ${time(r.time)}`;

export class ComparisonView {
  readonly el: HTMLElement;
  private readonly pickA = h('vscode-single-select', { 'aria-label': 'Run A', class: 'run-pick' }) as HTMLElement & { value: string };
  private readonly pickB = h('vscode-single-select', { 'aria-label': 'Run B', class: 'run-pick' }) as HTMLElement & { value: string };
  private readonly note = h('p', { class: 'muted small' });
  private readonly pickers = h('div', { class: 'toolbar run-pickers' });
  private readonly errorBanner = h('div', { class: 'banner error', role: 'alert', hidden: true });
  private readonly body = h('div', { class: 'comparison-body' });
  private readonly canvas = h('canvas', { class: 'difference-canvas', role: 'img', 'aria-label': 'Difference heatmap' });
  private readonly tooltip = h('div', { class: 'difference-tooltip', role: 'tooltip', hidden: true });
  private readonly ranking = h('div', { class: 'ranking' });
  private runs: RunSummary[] = [];
  private c: Comparison | null = null;
  private layout: { labelW: number; plotW: number; rowH: number; top: number; width: number } | undefined;

  constructor(private readonly opts: { compact?: boolean } = {}) {
    const onPick = () => {
      if (this.pickA.value && this.pickB.value) post({ type: 'compare', a: this.pickA.value, b: this.pickB.value });
    };
    this.pickA.addEventListener('change', onPick);
    this.pickB.addEventListener('change', onPick);
    const pickers = this.pickers;
    pickers.append(h('label', null, 'A ', this.pickA), h('label', null, 'B ', this.pickB));
    const exports = h(
      'div',
      { class: 'difference-toolbar' },
      h('vscode-button', { secondary: true, onclick: () => post({ type: 'exportPng', dataUrl: this.canvas.toDataURL('image/png'), subject: 'comparison' }) }, 'Export PNG'),
      h('vscode-button', { secondary: true, onclick: () => post({ type: 'exportCsv', subject: 'comparison' }) }, 'Export CSV'),
    );
    this.body.append(exports, h('div', { class: 'difference-body' }, h('div', { class: 'difference-plot' }, this.canvas, this.tooltip), this.ranking));
    this.el = h('div', { class: 'comparison', hidden: !!opts.compact }, pickers, this.note, this.errorBanner, this.body);
    this.pickers.hidden = true;
    this.body.hidden = true;
    this.note.textContent = 'Run the model on two images to compare them.';
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
    new ResizeObserver(() => this.draw()).observe(this.el);
    const redraw = new MutationObserver(() => this.draw());
    redraw.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    redraw.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  }

  set(runs: RunSummary[], comparison: Comparison | null, error: string | null): void {
    this.runs = runs;
    this.c = comparison;
    const fill = (sel: HTMLElement & { value: string }, chosen: string | undefined) => {
      sel.replaceChildren(...[...runs].reverse().map((r) => h('vscode-option', { value: r.id, ...(r.id === chosen ? { selected: true } : {}) }, runLabel(r))));
      if (chosen) sel.value = chosen;
    };
    fill(this.pickA, comparison?.a.id);
    fill(this.pickB, comparison?.b.id);
    // the side panel shows nothing of it before the first run; the report says what it is for
    this.el.hidden = runs.length === 0 && !!this.opts.compact;
    this.pickers.hidden = runs.length < 2;
    this.note.textContent =
      runs.length === 0 ? 'Run the model on two images to compare them.' : runs.length < 2 ? 'Run the model on a second image to compare two runs.' : comparison ? `${comparison.b.imageName} minus ${comparison.a.imageName}: red where B's gate is higher, blue where it is lower.` : 'Pick run A and run B.';
    this.errorBanner.hidden = !error;
    this.errorBanner.textContent = error ?? '';
    this.body.hidden = !comparison;
    this.renderRanking();
    this.draw();
  }

  private renderRanking(): void {
    const c = this.c;
    if (!c) return void this.ranking.replaceChildren();
    const rows = this.opts.compact ? c.ranked.slice(0, 5) : c.ranked;
    this.ranking.replaceChildren(
      h('div', { class: 'top5-title' }, this.opts.compact ? 'Most different blocks' : 'Blocks by mean |B − A|'),
      h(
        'table',
        { class: 'ranking-table' },
        h('thead', null, h('tr', null, h('th', { class: 'num', title: 'From most to least different' }, 'rank'), ...(this.opts.compact ? [] : [h('th', { class: 'num', title: 'Block number, counted from 0 (as the heatmap and the CSV)' }, '#')]), h('th', null, 'block'), h('th', { class: 'num' }, 'mean |B−A|'), ...(this.opts.compact ? [] : [h('th', { class: 'num' }, 'max |B−A|'), h('th', { class: 'num' }, 'C')]))),
        h(
          'tbody',
          null,
          ...rows.map((i, k) => {
            const b = c.blocks[i];
            return h('tr', null, h('td', { class: 'num' }, String(k + 1)), ...(this.opts.compact ? [] : [h('td', { class: 'num' }, String(i))]), h('td', { class: 'mono' }, b.name), h('td', { class: 'num' }, b.meanAbsDifference.toFixed(4)), ...(this.opts.compact ? [] : [h('td', { class: 'num' }, b.maxAbsDifference.toFixed(4)), h('td', { class: 'num' }, String(b.channels))]));
          }),
        ),
      ),
    );
  }

  /** The half-width of the colour scale: the largest |B - A| (1 if every difference is 0). */
  private get range(): number {
    return this.c && this.c.maxAbs > 0 ? this.c.maxAbs : 1;
  }

  draw(): void {
    const c = this.c;
    if (!c || this.body.hidden) return;
    const cs = getComputedStyle(document.body);
    const fg = cs.getPropertyValue('--vscode-foreground').trim() || '#ccc';
    const font = `${cs.getPropertyValue('--vscode-font-size').trim() || '12px'} ${cs.getPropertyValue('--vscode-font-family').trim() || 'sans-serif'}`;
    const width = Math.max(160, Math.floor(this.canvas.parentElement!.clientWidth) || 300);
    const g = this.canvas.getContext('2d')!;
    g.font = font;
    const { labels, labelW } = fitLabels(g, c.blocks, width);
    const plotW = width - labelW - 8;
    const rowH = c.blocks.length > 40 ? 8 : 16;
    const top = 4;
    const height = top + rowH * c.blocks.length + LEGEND_H;
    this.layout = { labelW, plotW, rowH, top, width };
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.dataset.rows = String(c.blocks.length);
    this.canvas.dataset.range = String(this.range);
    this.canvas.setAttribute('aria-label', `Difference heatmap: ${c.b.imageName} minus ${c.a.imageName}, ${c.blocks.length} rows (SE blocks, network order), scale ±${this.range.toFixed(3)}`);
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = font;
    g.textBaseline = 'middle';
    const colors = divergingLut();
    const hatch = hatchPattern(g);
    const m = this.range;
    c.blocks.forEach((b, r) => {
      const y = top + r * rowH;
      g.fillStyle = fg;
      g.textAlign = 'right';
      g.fillText(labels[r], labelW - 6, y + rowH / 2);
      const cw = plotW / b.channels;
      for (let k = 0; k < b.channels; k++) {
        const v = b.difference[k];
        const x0 = labelW + k * cw;
        g.fillStyle = v === null ? hatch : colors[Math.round((Math.max(-1, Math.min(1, v / m)) + 1) * 128)];
        g.fillRect(x0, y, Math.min(cw + 0.5, labelW + plotW - x0), rowH - (rowH > 10 ? 1 : 0));
      }
    });
    // legend: -m .. 0 .. +m
    const ly = top + rowH * c.blocks.length + 8;
    const lw = Math.max(60, Math.min(240, plotW));
    for (let i = 0; i < lw; i++) {
      g.fillStyle = colors[Math.round((i / (lw - 1)) * 256)];
      g.fillRect(labelW + i, ly, 1.5, 10);
    }
    g.fillStyle = fg;
    g.textAlign = 'left';
    g.fillText(`−${m.toFixed(3)}`, labelW, ly + 20);
    g.textAlign = 'center';
    g.fillText('0', labelW + lw / 2, ly + 20);
    g.textAlign = 'right';
    g.fillText(`+${m.toFixed(3)}`, labelW + lw, ly + 20);
  }

  private hover(e: MouseEvent): void {
    const c = this.c;
    const L = this.layout;
    if (!c || !L) return;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const r = Math.floor((y - L.top) / L.rowH);
    const b = c.blocks[r];
    if (!b || x < L.labelW || x >= L.labelW + L.plotW) {
      this.tooltip.hidden = true;
      return;
    }
    const ch = Math.min(b.channels - 1, Math.floor(((x - L.labelW) / L.plotW) * b.channels));
    const d = b.difference[ch];
    const va = b.a[ch];
    const vb = b.b[ch];
    this.tooltip.replaceChildren(
      h('div', null, h('b', null, b.name), ` · block #${r} of ${c.blocks.length} · rank ${c.ranked.indexOf(r) + 1}`),
      h('div', null, `channel ${ch} of ${b.channels}`),
      h('div', { class: d === null ? 'invalid' : 'diff-value' }, d === null ? 'B − A: NaN/Inf (invalid)' : `B − A: ${signed(d)}`),
      h('div', { class: 'muted' }, `A ${va === null ? 'NaN' : va.toFixed(4)} · B ${vb === null ? 'NaN' : vb.toFixed(4)} · block mean |B−A| ${b.meanAbsDifference.toFixed(4)}`),
    );
    this.tooltip.hidden = false;
    const tw = this.tooltip.offsetWidth;
    const tx = x + 12 + tw <= L.width ? x + 12 : x - 12 - tw;
    this.tooltip.style.left = `${Math.max(0, Math.min(tx, L.width - tw))}px`;
    this.tooltip.style.top = `${y + 14}px`;
  }
}
