/** A tiny element builder: text always goes in as text, never as HTML. */
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs | null, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Attrs | null = null, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

const SVG = 'http://www.w3.org/2000/svg';
export function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: (SVGElement | string)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

// Numbers are written the same in the views as in the CLI and hovers (a pure module without imports).
export { int, pct, short } from '../../src/util/format.js';
export const shape = (s: readonly (number | null)[] | null | undefined) => (s ? `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})` : '?');

/**
 * Text that may wrap where a name has its joints (after _ / . :, before a capital after a small
 * letter: "expanded_conv_3", "GlobalAveragePooling2D") and nowhere else: <wbr> between the parts,
 * so copy and find still see the name whole.
 */
export function breakable(text: string): DocumentFragment {
  const f = document.createDocumentFragment();
  const parts = text.split(/(?<=[_/.:])|(?<=[a-z])(?=[A-Z])/);
  parts.forEach((p, i) => {
    if (i) f.append(document.createElement('wbr'));
    f.append(p);
  });
  return f;
}
