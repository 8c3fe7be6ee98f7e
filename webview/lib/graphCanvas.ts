/**
 * Draws a laid-out graph on one canvas: pan (drag, wheel), zoom (Ctrl+wheel, buttons), fit; only
 * what is in view is drawn, so that a graph of a thousand nodes redraws within a frame. Colours
 * come from the theme's CSS variables; SE nodes are filled by their mean excitation when known.
 */
import type { Laid, VGroup, VNode } from './graphLayout.js';

export interface Theme {
  fg: string;
  muted: string;
  bg: string;
  nodeBg: string;
  border: string;
  se: string;
  edge: string;
  focus: string;
  match: string;
  font: string;
  fontSize: number;
}

export function readTheme(): Theme {
  const cs = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
  const fontSize = parseFloat(v('--vscode-font-size', '13px')) || 13;
  return {
    fg: v('--vscode-foreground', '#ccc'),
    muted: v('--vscode-descriptionForeground', '#999'),
    bg: v('--vscode-editor-background', '#1e1e1e'),
    nodeBg: v('--vscode-editorWidget-background', v('--vscode-editor-background', '#252526')),
    border: v('--vscode-editorWidget-border', v('--vscode-contrastBorder', '#555')),
    se: v('--vscode-charts-orange', v('--vscode-editorWarning-foreground', '#d18616')),
    edge: v('--vscode-editorLineNumber-foreground', '#858585'),
    focus: v('--vscode-focusBorder', '#007fd4'),
    match: v('--vscode-editor-findMatchHighlightBackground', 'rgba(234,92,0,0.33)'),
    font: v('--vscode-font-family', 'sans-serif'),
    fontSize,
  };
}

export interface DrawState {
  laid: Laid;
  selected: string | null;
  matches: ReadonlySet<string>;
  /** Fill colour (and text colour) of an SE node, by block index, when a run is known. */
  seFill: (block: number) => { fill: string; text: string; label: string } | null;
  /** Header text of an expanded block's frame. */
  groupLabel: (g: VGroup) => string;
}

export class GraphCanvas {
  readonly canvas: HTMLCanvasElement;
  scale = 1;
  tx = 0;
  ty = 0;
  frames = 0;
  private state: DrawState | null = null;
  private theme: Theme = readTheme();
  private pending = false;
  private drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;

  constructor(
    readonly host: HTMLElement,
    private readonly onClick: (hit: { node?: VNode; group?: VGroup }) => void,
    private readonly onDouble: (hit: { node?: VNode; group?: VGroup }) => void,
    private readonly onFrame: (frame: number) => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'graph-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    host.append(this.canvas);
    new ResizeObserver(() => this.request()).observe(host);
    const retheme = new MutationObserver(() => {
      this.theme = readTheme();
      this.request();
    });
    retheme.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    retheme.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
    this.canvas.addEventListener('pointerdown', (e) => {
      this.canvas.setPointerCapture(e.pointerId);
      this.drag = { x: e.clientX, y: e.clientY, tx: this.tx, ty: this.ty, moved: false };
    });
    this.canvas.addEventListener('pointermove', (e) => {
      if (!this.drag) return;
      const dx = e.clientX - this.drag.x;
      const dy = e.clientY - this.drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) this.drag.moved = true;
      if (this.drag.moved) {
        this.tx = this.drag.tx + dx;
        this.ty = this.drag.ty + dy;
        this.request();
      }
    });
    this.canvas.addEventListener('pointerup', (e) => {
      const d = this.drag;
      this.drag = null;
      if (d && !d.moved) this.onClick(this.hit(e));
    });
    this.canvas.addEventListener('dblclick', (e) => this.onDouble(this.hit(e)));
    this.canvas.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        if (e.ctrlKey || e.metaKey) this.zoomAt(Math.exp(-e.deltaY * 0.002), this.local(e));
        else {
          this.tx -= e.deltaX;
          this.ty -= e.deltaY;
          this.request();
        }
      },
      { passive: false },
    );
  }

  set(state: DrawState): void {
    this.state = state;
    this.request();
  }

  private local(e: { clientX: number; clientY: number }): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  /** The node or expanded block's header under the pointer. */
  hit(e: { clientX: number; clientY: number }): { node?: VNode; group?: VGroup } {
    const s = this.state;
    if (!s) return {};
    const p = this.local(e);
    const x = (p.x - this.tx) / this.scale;
    const y = (p.y - this.ty) / this.scale;
    const node = s.laid.nodes.find((n) => x >= n.x && x <= n.x + n.w && y >= n.y && y <= n.y + n.h);
    if (node) return { node };
    const group = s.laid.groups.find((g) => x >= g.x && x <= g.x + g.w && y >= g.y && y <= g.y + 22);
    return group ? { group } : {};
  }

  /** Where a node is on the canvas, in CSS pixels from its top left corner. */
  screenRect(n: { x: number; y: number; w: number; h: number }): { x: number; y: number; w: number; h: number } {
    return { x: n.x * this.scale + this.tx, y: n.y * this.scale + this.ty, w: n.w * this.scale, h: n.h * this.scale };
  }

  zoomAt(factor: number, at?: { x: number; y: number }): void {
    const p = at ?? { x: this.host.clientWidth / 2, y: this.host.clientHeight / 2 };
    const next = Math.min(4, Math.max(0.02, this.scale * factor));
    this.tx = p.x - ((p.x - this.tx) * next) / this.scale;
    this.ty = p.y - ((p.y - this.ty) * next) / this.scale;
    this.scale = next;
    this.request();
  }

  /** The whole graph in view (at most at natural size). */
  fit(): void {
    const s = this.state;
    if (!s) return;
    const W = this.host.clientWidth || 600;
    const H = this.host.clientHeight || 400;
    const w = Math.max(1, s.laid.width);
    const h = Math.max(1, s.laid.height);
    this.scale = Math.min(1, W / (w + 40), H / (h + 40));
    this.tx = (W - w * this.scale) / 2;
    this.ty = (H - h * this.scale) / 2;
    this.request();
  }

  /** Where a graph opens: its top (the input), as wide as fits but readable; a network is taller than any view. */
  home(): void {
    const s = this.state;
    if (!s) return;
    const W = this.host.clientWidth || 600;
    const w = Math.max(1, s.laid.width);
    this.scale = Math.max(0.6, Math.min(1, W / (w + 40)));
    this.tx = w * this.scale <= W ? (W - w * this.scale) / 2 : 20;
    this.ty = 12;
    this.request();
  }

  /** Centres a node at a readable zoom. */
  centerOn(n: VNode): void {
    const W = this.host.clientWidth || 600;
    const H = this.host.clientHeight || 400;
    if (this.scale < 0.6) this.scale = 1;
    this.tx = W / 2 - (n.x + n.w / 2) * this.scale;
    this.ty = H / 2 - (n.y + n.h / 2) * this.scale;
    this.request();
  }

  request(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    const s = this.state;
    const W = Math.max(1, Math.floor(this.host.clientWidth));
    const H = Math.max(1, Math.floor(this.host.clientHeight));
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(W * dpr) || this.canvas.height !== Math.round(H * dpr)) {
      this.canvas.width = Math.round(W * dpr);
      this.canvas.height = Math.round(H * dpr);
      this.canvas.style.width = `${W}px`;
      this.canvas.style.height = `${H}px`;
    }
    const g = this.canvas.getContext('2d')!;
    const t = this.theme;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    if (!s) return;
    g.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, dpr * this.tx, dpr * this.ty);
    // the part of the graph in view, in graph coordinates
    const vx0 = -this.tx / this.scale;
    const vy0 = -this.ty / this.scale;
    const vx1 = vx0 + W / this.scale;
    const vy1 = vy0 + H / this.scale;
    const inView = (x: number, y: number, w: number, h: number) => x + w >= vx0 && x <= vx1 && y + h >= vy0 && y <= vy1;
    const text = this.scale * t.fontSize >= 5; // below that, text is unreadable: boxes only

    for (const gr of s.laid.groups) {
      if (!inView(gr.x, gr.y, gr.w, gr.h)) continue;
      g.strokeStyle = t.se;
      g.lineWidth = 1.5;
      g.setLineDash([6, 4]);
      g.strokeRect(gr.x, gr.y, gr.w, gr.h);
      g.setLineDash([]);
      if (text) {
        g.fillStyle = t.se;
        g.font = `600 ${t.fontSize - 1}px ${t.font}`;
        g.textBaseline = 'middle';
        g.textAlign = 'left';
        clipText(g, s.groupLabel(gr), gr.x + 6, gr.y + 11, gr.w - 12);
      }
    }

    g.strokeStyle = t.edge;
    g.lineWidth = 1;
    g.beginPath();
    for (const e of s.laid.edges) {
      const p = e.points;
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const q of p) {
        if (q.x < x0) x0 = q.x;
        if (q.x > x1) x1 = q.x;
        if (q.y < y0) y0 = q.y;
        if (q.y > y1) y1 = q.y;
      }
      if (!inView(x0, y0, x1 - x0, y1 - y0)) continue;
      g.moveTo(p[0].x, p[0].y);
      for (let i = 1; i < p.length; i++) g.lineTo(p[i].x, p[i].y);
      // arrow head at the end
      const a = p[p.length - 1];
      const b = p[p.length - 2];
      const ang = Math.atan2(a.y - b.y, a.x - b.x);
      g.moveTo(a.x, a.y);
      g.lineTo(a.x - 6 * Math.cos(ang - 0.4), a.y - 6 * Math.sin(ang - 0.4));
      g.moveTo(a.x, a.y);
      g.lineTo(a.x - 6 * Math.cos(ang + 0.4), a.y - 6 * Math.sin(ang + 0.4));
    }
    g.stroke();

    g.textBaseline = 'middle';
    g.textAlign = 'left';
    for (const n of s.laid.nodes) {
      if (!inView(n.x, n.y, n.w, n.h)) continue;
      const fill = n.kind === 'se' ? s.seFill(n.index) : null;
      g.fillStyle = fill?.fill ?? t.nodeBg;
      g.fillRect(n.x, n.y, n.w, n.h);
      const sel = s.selected === n.id;
      g.strokeStyle = sel ? t.focus : n.kind === 'se' || n.block !== undefined ? t.se : t.border;
      g.lineWidth = sel ? 3 : n.kind === 'se' ? 2 : 1;
      g.strokeRect(n.x, n.y, n.w, n.h);
      if (s.matches.has(n.id)) {
        g.fillStyle = t.match;
        g.fillRect(n.x, n.y, n.w, n.h);
      }
      if (!text) continue;
      const fg = fill?.text ?? t.fg;
      g.fillStyle = fg;
      g.font = `600 ${t.fontSize}px ${t.font}`;
      clipText(g, n.title, n.x + 8, n.y + 11, n.w - 14);
      g.font = `${t.fontSize - 1}px ${t.font}`;
      g.fillStyle = fill ? fg : t.muted;
      clipText(g, n.sub, n.x + 8, n.y + 26, n.w - 14);
      if (n.kind === 'se') clipText(g, fill ? `${n.extra} · ${fill.label}` : (n.extra ?? ''), n.x + 8, n.y + 41, n.w - 14);
    }
    this.frames++;
    this.onFrame(this.frames);
  }
}

function clipText(g: CanvasRenderingContext2D, s: string, x: number, y: number, max: number): void {
  if (g.measureText(s).width <= max) return void g.fillText(s, x, y);
  let t = s;
  while (t.length > 1 && g.measureText(`${t}…`).width > max) t = t.slice(0, -1);
  g.fillText(`${t}…`, x, y);
}
