/**
 * The excitation heatmap: one row per SE block in network order, one column per channel, every
 * row stretched to the same width (a block of C channels has cells W/C wide; the scale line says
 * so). Values 0..1 through a perceptual colormap; NaN/Inf are hatched red ("invalid"), never a
 * colour of the scale. Hover shows block, channel, value; channels can be sorted by value.
 */
import type { Colormap, ExcitationRow, ExcitationRun } from '../../src/protocol/messages.js';
import { post } from './api.js';
import { lut } from './colormap.js';
import { h } from './dom.js';
import { distinctParts } from './rowLabels.js';

const LEGEND_H = 44;

interface Layout {
  labelW: number;
  plotW: number;
  rowH: number;
  top: number;
  width: number;
  height: number;
}

export class Heatmap {
  readonly el: HTMLElement;
  private readonly canvas = h('canvas', { class: 'heatmap-canvas', role: 'img', 'aria-label': 'Excitation heatmap' });
  private readonly tooltip = h('div', { class: 'heatmap-tooltip', role: 'tooltip', hidden: true });
  private readonly info = h('div', { class: 'heatmap-info' });
  private readonly top5 = h('div', { class: 'top5' });
  private readonly invalid = h('div', { class: 'banner warning', hidden: true });
  private readonly drill: BlockDrill;
  private readonly sortBox: HTMLElement;
  private run: ExcitationRun | null = null;
  private colormap: Colormap = 'viridis';
  private sorted = false;
  /** Per row: channel order drawn (sorted or identity). */
  private order: number[][] = [];
  private layout: Layout | undefined;
  private labels: string[] = [];

  constructor(opts: { sorted: boolean; onSortChange: (sorted: boolean) => void; drillBlock?: string; onDrillChange?: (block: string | undefined) => void }) {
    this.sorted = opts.sorted;
    this.sortBox = h('vscode-checkbox', { label: 'Sort channels by value', 'aria-label': 'Sort channels by value' });
    (this.sortBox as HTMLElement & { checked: boolean }).checked = this.sorted;
    this.sortBox.addEventListener('change', () => {
      this.sorted = (this.sortBox as HTMLElement & { checked: boolean }).checked;
      opts.onSortChange(this.sorted);
      this.draw();
    });
    this.drill = new BlockDrill(opts.drillBlock, opts.onDrillChange ?? (() => {}));
    const exportPng = h('vscode-button', { secondary: true, title: 'The heatmap at 2x, with the model and the image named in it', onclick: () => this.exportPng() }, 'Export PNG');
    const exportCsv = h('vscode-button', { secondary: true, title: 'One row per (block, channel), both counted from 0', onclick: () => post({ type: 'exportCsv' }) }, 'Export CSV');
    this.el = h(
      'div',
      { class: 'heatmap' },
      this.invalid,
      h('div', { class: 'heatmap-toolbar' }, this.sortBox, exportPng, exportCsv),
      h('div', { class: 'heatmap-body' }, h('div', { class: 'heatmap-plot' }, this.canvas, this.tooltip), this.top5),
      h('p', { class: 'muted small heatmap-hint' }, 'Click a row to expand its block: every gate as a bar, sorted, with its channel index.'),
      this.drill.el,
      this.info,
    );
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
    this.canvas.addEventListener('click', (e) => {
      const r = this.rowAt(e);
      if (r !== undefined && this.run) this.drill.toggle(this.run.blocks[r].name);
      this.drill.set(this.run, this.colormap);
    });
    new ResizeObserver(() => this.draw()).observe(this.el);
    // the canvas takes its text colour and font from the theme: redraw when VS Code changes it
    // (it rewrites the CSS variables on <html style> and the theme class on <body>)
    const redraw = new MutationObserver(() => this.draw());
    redraw.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    redraw.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  }

  set(run: ExcitationRun | null): void {
    this.run = run;
    this.el.hidden = !run;
    this.draw();
  }

  setColormap(map: Colormap): void {
    this.colormap = map;
    this.draw();
  }

  private computeOrder(): void {
    this.order = (this.run?.blocks ?? []).map((b) => {
      const idx = b.values.map((_, i) => i);
      if (this.sorted) idx.sort((a, c) => (b.values[c] ?? -Infinity) - (b.values[a] ?? -Infinity));
      return idx;
    });
  }

  draw(): void {
    const run = this.run;
    if (!run) return;
    this.computeOrder();
    // the plot box is as wide as the view (never as wide as the canvas drawn last time)
    const plotBox = this.canvas.parentElement!;
    const width = Math.max(160, Math.floor(plotBox.clientWidth) || 300);
    this.layout = this.paint(this.canvas, width, window.devicePixelRatio || 1);
    this.canvas.setAttribute('aria-label', `Excitation heatmap: ${run.blocks.length} rows (SE blocks, network order) of ${run.modelName} on ${run.imageName}`);
    this.canvas.dataset.rows = String(run.blocks.length);
    this.canvas.dataset.rowHeight = String(this.layout.rowH);
    this.canvas.dataset.top = String(this.layout.top);
    this.canvas.dataset.labels = JSON.stringify(this.labels);
    this.renderSide(run);
    this.drill.set(run, this.colormap);
  }

  /** Draws the heatmap on `canvas` at `width` CSS px and `scale` device px per CSS px; `header` is a title line above it (PNG export). */
  private paint(canvas: HTMLCanvasElement, width: number, scale: number, header?: string): Layout {
    const run = this.run!;
    const cs = getComputedStyle(document.body);
    const fg = cs.getPropertyValue('--vscode-foreground').trim() || '#ccc';
    const bg = cs.getPropertyValue('--vscode-editor-background').trim() || '#1e1e1e';
    const font = `${cs.getPropertyValue('--vscode-font-size').trim() || '12px'} ${cs.getPropertyValue('--vscode-font-family').trim() || 'sans-serif'}`;
    const g = canvas.getContext('2d')!;
    g.font = font;
    const { labels, labelW } = fitLabels(g, run.blocks, width);
    this.labels = labels;
    const plotW = width - labelW - 8;
    const n = run.blocks.length;
    // rows tall enough to read and to point at: fewer rows, taller rows
    const rowH = n <= 12 ? 24 : n <= 24 ? 18 : n <= 48 ? 12 : 8;
    const top = header ? 28 : 4;
    const height = top + rowH * n + LEGEND_H;
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    g.setTransform(scale, 0, 0, scale, 0, 0);
    g.clearRect(0, 0, width, height);
    if (header) {
      // an exported picture has no page around it: its own background and title
      g.fillStyle = bg;
      g.fillRect(0, 0, width, height);
    }
    g.font = font;
    g.textBaseline = 'middle';
    if (header) {
      g.fillStyle = fg;
      g.textAlign = 'left';
      g.fillText(header, 4, 14, width - 8);
    }
    const colors = lut(this.colormap);
    const hatch = hatchPattern(g);
    run.blocks.forEach((b, r) => {
      const y = top + r * rowH;
      g.fillStyle = fg;
      g.textAlign = 'right';
      g.fillText(labels[r], labelW - 6, y + rowH / 2);
      const order = this.order[r];
      const cw = plotW / b.channels;
      for (let k = 0; k < b.channels; k++) {
        const v = b.values[order[k]];
        const x0 = labelW + k * cw;
        g.fillStyle = v === null || v === undefined ? hatch : colors[Math.round(Math.min(1, Math.max(0, v)) * 255)];
        // overlap by a hair so that no background line shows between cells
        g.fillRect(x0, y, Math.min(cw + 0.5, labelW + plotW - x0), rowH - (rowH > 10 ? 1 : 0));
      }
    });
    // legend under the plot: the 0..1 scale, its name, and the invalid swatch when there is room
    const ly = top + rowH * n + 8;
    const swatch = 'NaN/Inf';
    const swatchW = 14 + 6 + g.measureText(swatch).width;
    const lw = Math.max(60, Math.min(240, plotW - (plotW >= 240 + 16 + swatchW ? 16 + swatchW : 0)));
    for (let i = 0; i < lw; i++) {
      g.fillStyle = colors[Math.round((i / (lw - 1)) * 255)];
      g.fillRect(labelW + i, ly, 1.5, 10);
    }
    g.fillStyle = fg;
    g.textAlign = 'left';
    g.fillText('0', labelW, ly + 20);
    g.textAlign = 'right';
    g.fillText('1', labelW + lw, ly + 20);
    g.textAlign = 'center';
    const name = `excitation · ${this.colormap}`;
    g.fillText(g.measureText(name).width + 40 <= lw ? name : this.colormap, labelW + lw / 2, ly + 20);
    if (labelW + lw + 16 + swatchW <= width) {
      g.fillStyle = hatch;
      g.fillRect(labelW + lw + 16, ly, 14, 10);
      g.fillStyle = fg;
      g.textAlign = 'left';
      g.fillText(swatch, labelW + lw + 36, ly + 5);
    }
    return { labelW, plotW, rowH, top, width, height };
  }

  private renderSide(run: ExcitationRun): void {
    const bad = run.blocks.filter((b) => b.nonFinite > 0);
    this.invalid.hidden = bad.length === 0;
    this.invalid.textContent = bad.length
      ? `Invalid values: ${bad.reduce((a, b) => a + b.nonFinite, 0)} NaN/Inf excitation values in ${bad.map((b) => b.name).join(', ')} (hatched red, not part of the scale).`
      : '';
    const widths = [...new Set(run.blocks.map((b) => b.channels))].sort((a, b) => a - b);
    const plotW = this.layout?.plotW ?? 0;
    this.info.replaceChildren(
      h('div', null, `${run.modelName} on ${run.imageName} · backend ${run.backend} · preprocess ${run.preprocess} · input ${fmtShape(run.inputShape)} · load ${run.timings.load.toFixed(0)} ms, run ${run.timings.run.toFixed(0)} ms`),
      h(
        'div',
        { class: 'muted' },
        `Scale: every row spans the same width; a block of C channels has cells ${widths.map((c) => `${(plotW / c).toFixed(plotW / c < 1 ? 2 : 1)} px (C=${c})`).join(', ')} wide` +
          (this.sorted ? '; channels sorted by value within each row.' : '; channels in model order.') +
          ' Blocks and channels are counted from 0 (as in the CSV).',
      ),
    );
    const thumb = run.thumbnail
      ? h('figure', { class: 'thumb' }, h('img', { src: run.thumbnail, alt: `${run.imageName} as the model saw it`, width: 96 }), h('figcaption', { class: 'muted small' }, `as the model saw it, ${run.inputShape[2]}×${run.inputShape[1]} px`))
      : null;
    this.top5.replaceChildren(...[
      h('div', { class: 'top5-title', title: run.labelSource ? `class names: ${run.labelSource}` : 'no class names known for this output (set seInspector.labels)' }, 'Top-5 output'),
      h(
        'ol',
        { start: 1 },
        ...run.top5.map((t) => h('li', { title: `output index ${t.index}${t.label ? `: ${t.label}` : ''}` }, t.label ? h('span', { class: 'label' }, shortLabel(t.label)) : null, ' ', h('span', { class: 'mono muted' }, `#${t.index}`), ` ${t.value.toFixed(4)}`)),
      ),
      run.labelSource ? h('div', { class: 'muted small' }, `labels: ${run.labelSource}`) : null,
      thumb,
    ].filter((x): x is HTMLElement => x !== null));
  }

  private rowAt(e: MouseEvent): number | undefined {
    const L = this.layout;
    if (!this.run || !L) return undefined;
    const rect = this.canvas.getBoundingClientRect();
    const r = Math.floor((e.clientY - rect.top - L.top) / L.rowH);
    return r >= 0 && r < this.run.blocks.length ? r : undefined;
  }

  private hover(e: MouseEvent): void {
    const run = this.run;
    const L = this.layout;
    if (!run || !L) return;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const r = this.rowAt(e);
    const b: ExcitationRow | undefined = r === undefined ? undefined : run.blocks[r];
    if (r === undefined || !b || x >= L.labelW + L.plotW) {
      this.tooltip.hidden = true;
      return;
    }
    const onLabel = x < L.labelW;
    const k = Math.max(0, Math.min(b.channels - 1, Math.floor(((x - L.labelW) / L.plotW) * b.channels)));
    const ch = this.order[r][k];
    const v = b.values[ch];
    // blocks and channels are both counted from 0, as in the CSV (block_index, channel)
    this.tooltip.replaceChildren(...[
      h('div', null, h('b', null, b.name), ` · block #${r} of ${run.blocks.length}`),
      onLabel ? h('div', null, `${b.channels} channels · click to expand`) : h('div', null, `channel #${ch} of ${b.channels}`),
      onLabel ? null : h('div', { class: v === null ? 'invalid' : '' }, v === null ? 'value: NaN/Inf (invalid)' : `value: ${v.toFixed(4)}`),
      h('div', { class: 'muted' }, `block min ${b.stats.min.toFixed(3)} · mean ${b.stats.mean.toFixed(3)} · max ${b.stats.max.toFixed(3)}`),
    ].filter((x): x is HTMLDivElement => x !== null));
    this.tooltip.hidden = false;
    // right of the pointer when it fits, else left of it; never past the plot's edges
    const tw = this.tooltip.offsetWidth;
    const tx = x + 12 + tw <= L.width ? x + 12 : x - 12 - tw;
    this.tooltip.style.left = `${Math.max(0, Math.min(tx, L.width - tw))}px`;
    this.tooltip.style.top = `${y + 14}px`;
  }

  /** The heatmap at 2x device pixels, titled with the model and the image. */
  private exportPng(): void {
    const run = this.run;
    if (!run || !this.layout) return;
    const c = document.createElement('canvas');
    this.paint(c, Math.max(480, this.layout.width), 2, `${run.modelName} on ${run.imageName} · SE excitation, ${run.blocks.length} blocks`);
    post({ type: 'exportPng', dataUrl: c.toDataURL('image/png') });
    this.draw(); // paint() set the labels for the export's width
  }
}

/** A class name as the list shows it: its first synonym ("tabby, tabby cat" → "tabby"); the title has all. */
const shortLabel = (l: string) => l.split(',')[0].trim();

/**
 * One block expanded under the heatmap: its gates as bars sorted by value, at least 2 px each (the
 * box scrolls sideways when C bars do not fit), channel indices under them, hover for the value.
 */
class BlockDrill {
  readonly el: HTMLElement;
  private readonly title = h('div', { class: 'drill-title' });
  private readonly canvas = h('canvas', { class: 'drill-canvas', role: 'img' });
  private readonly tip = h('div', { class: 'drill-tooltip', role: 'tooltip', hidden: true });
  private block: string | undefined;
  private bars: { ch: number; v: number | null }[] = [];
  private barW = 2;

  constructor(
    initial: string | undefined,
    private readonly onChange: (block: string | undefined) => void,
  ) {
    this.block = initial;
    const close = h('vscode-button', { secondary: true, onclick: () => this.toggle(this.block) }, 'Close');
    this.el = h('div', { class: 'drill', hidden: true }, h('div', { class: 'drill-head' }, this.title, close), h('div', { class: 'drill-scroll' }, this.canvas, this.tip));
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => (this.tip.hidden = true));
  }

  toggle(name: string | undefined): void {
    this.block = this.block === name ? undefined : name;
    this.onChange(this.block);
    if (this.block) requestAnimationFrame(() => this.el.scrollIntoView({ block: 'nearest' }));
  }

  set(run: ExcitationRun | null, colormap: Colormap): void {
    const index = run?.blocks.findIndex((b) => b.name === this.block) ?? -1;
    const b = index >= 0 ? run!.blocks[index] : undefined;
    this.el.hidden = !b;
    if (!b) return;
    this.el.dataset.block = b.name;
    this.title.textContent = `#${index} ${b.name}: ${b.channels} gates, sorted by value (channel index under each bar)`;
    this.bars = b.values.map((v, ch) => ({ ch, v })).sort((p, q) => (q.v ?? -Infinity) - (p.v ?? -Infinity));
    const box = this.canvas.parentElement!;
    const avail = Math.max(160, box.clientWidth || 300);
    const left = 34;
    this.barW = Math.max(2, Math.floor((avail - left - 4) / b.channels));
    const width = left + this.barW * b.channels + 4;
    const plotH = 120;
    const height = plotH + 44;
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    c.style.width = `${width}px`;
    c.style.height = `${height}px`;
    c.dataset.barWidth = String(this.barW);
    const g = c.getContext('2d')!;
    const cs = getComputedStyle(document.body);
    const fg = cs.getPropertyValue('--vscode-foreground').trim() || '#ccc';
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = `11px ${cs.getPropertyValue('--vscode-font-family').trim() || 'sans-serif'}`;
    g.fillStyle = fg;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (const t of [0, 0.5, 1]) g.fillText(String(t), left - 4, 4 + plotH * (1 - t));
    const colors = lut(colormap);
    this.bars.forEach((bar, k) => {
      const x = left + k * this.barW;
      if (bar.v === null) {
        g.fillStyle = '#ff3030';
        g.fillRect(x, 4, Math.max(1, this.barW - (this.barW > 3 ? 1 : 0)), plotH);
        return;
      }
      const v = Math.min(1, Math.max(0, bar.v));
      g.fillStyle = colors[Math.round(v * 255)];
      g.fillRect(x, 4 + plotH * (1 - v), Math.max(1, this.barW - (this.barW > 3 ? 1 : 0)), Math.max(1, plotH * v));
    });
    // channel indices: as many as fit without overlapping
    g.fillStyle = fg;
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const every = Math.max(1, Math.ceil(28 / this.barW));
    for (let k = 0; k < this.bars.length; k += every) g.fillText(String(this.bars[k].ch), left + k * this.barW + this.barW / 2, plotH + 10);
    g.textAlign = 'left';
    g.fillText('channel index (bars sorted by gate value, largest first)', left, plotH + 26);
  }

  private hover(e: MouseEvent): void {
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const k = Math.floor((x - 34) / this.barW);
    const bar = this.bars[k];
    if (!bar) {
      this.tip.hidden = true;
      return;
    }
    this.tip.textContent = `channel #${bar.ch} · rank ${k + 1} of ${this.bars.length} · ${bar.v === null ? 'NaN/Inf (invalid)' : bar.v.toFixed(4)}`;
    this.tip.hidden = false;
    this.tip.style.left = `${Math.max(0, x + 12)}px`;
    this.tip.style.top = `${e.clientY - rect.top + 14}px`;
  }
}

export function hatchPattern(g: CanvasRenderingContext2D): CanvasPattern | string {
  const c = document.createElement('canvas');
  c.width = 6;
  c.height = 6;
  const p = c.getContext('2d')!;
  p.fillStyle = '#3a0000';
  p.fillRect(0, 0, 6, 6);
  p.strokeStyle = '#ff3030';
  p.lineWidth = 1.5;
  p.beginPath();
  p.moveTo(0, 6);
  p.lineTo(6, 0);
  p.moveTo(-1, 1);
  p.lineTo(1, -1);
  p.moveTo(5, 7);
  p.lineTo(7, 5);
  p.stroke();
  return g.createPattern(c, 'repeat') ?? '#ff3030';
}

/**
 * Row labels that fit: "name (C)" when the widest fits in 40% of the view, else the names alone,
 * else "#k part" with only the part of the names that differs; hover has the whole name.
 */
export function fitLabels(g: CanvasRenderingContext2D, blocks: readonly { name: string; channels: number }[], width: number): { labels: string[]; labelW: number } {
  const allowed = Math.max(56, Math.min(220, Math.round(width * 0.4)));
  const widest = (ls: string[]) => Math.ceil(Math.max(0, ...ls.map((l) => g.measureText(l).width)));
  for (const labels of [blocks.map((b) => `${b.name} (${b.channels})`), blocks.map((b) => b.name)]) {
    const w = widest(labels);
    if (w + 8 <= allowed) return { labels, labelW: Math.max(w + 8, Math.min(allowed, 48)) };
  }
  // only the part of the names that differs ("…eeze_excite" nine times tells nothing); the tooltip has the whole name
  const parts = distinctParts(blocks.map((b) => b.name));
  const labels = parts.map((p, i) => ellipsizeEnd(g, `#${i} `, p, allowed - 8));
  return { labels, labelW: Math.min(allowed, Math.max(48, widest(labels) + 8)) };
}

/** `prefix` + the end of `text`, with a leading ellipsis, in at most `max` px. */
function ellipsizeEnd(g: CanvasRenderingContext2D, prefix: string, text: string, max: number): string {
  if (g.measureText(prefix + text).width <= max) return prefix + text;
  let t = text;
  while (t.length > 1 && g.measureText(`${prefix}…${t}`).width > max) t = t.slice(1);
  return `${prefix}…${t}`;
}

const fmtShape = (s: (number | null)[]) => `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})`;

/**
 * The drop zone / empty state: "Choose image..." buttons and drag & drop of an image file.
 * `compact` (the side panel): a shorter hint, with the Shift tip in its tooltip.
 */
export function imagePicker(opts: { compact?: boolean; folder?: boolean } = {}): HTMLElement {
  const tip = 'Drop a PNG/JPEG here (hold Shift when dragging from the explorer)';
  const zone = h(
    'div',
    { class: 'dropzone', tabindex: 0, title: tip },
    h('vscode-button', { onclick: () => post({ type: 'chooseImage', how: 'quickPick' }) }, 'Choose image...'),
    h('vscode-button', { secondary: true, onclick: () => post({ type: 'chooseImage', how: 'dialog' }) }, 'Browse...'),
    opts.folder ? h('vscode-button', { secondary: true, title: 'Run the model on every PNG/JPEG of a folder; each run lands in the history below', onclick: () => post({ type: 'runFolder' }) }, 'Run on folder...') : null,
    h('span', { class: 'muted' }, opts.compact ? 'or drop an image here' : ' or drop a PNG/JPEG here (hold Shift when dragging from the explorer)'),
  );
  return zone;
}

/** Drag & drop of an image anywhere on the page. */
export function enableDrop(target: HTMLElement): void {
  target.addEventListener('dragover', (e) => {
    e.preventDefault();
    target.classList.add('drag-over');
  });
  target.addEventListener('dragleave', (e) => {
    if (e.target === target) target.classList.remove('drag-over');
  });
  target.addEventListener('drop', (e) => {
    e.preventDefault();
    target.classList.remove('drag-over');
    void handleDrop(e.dataTransfer);
  });
}

async function handleDrop(dt: DataTransfer | null): Promise<void> {
  if (!dt) return;
  const uriList = dt.getData('text/uri-list') || dt.getData('application/vnd.code.uri-list') || dt.getData('text/plain');
  if (uriList && /^(file|vscode-remote):|^\//m.test(uriList.trim())) {
    post({ type: 'dropImage', uri: uriList.trim() });
    return;
  }
  const file = dt.files?.[0];
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  post({ type: 'dropImage', name: file.name, base64: btoa(bin) });
}
