/**
 * Text from files (layer, model and image names, error details) made safe for a terminal: a name
 * must not set the title, move the cursor, erase or forge a line, or display reversed. Every CLI
 * printer passes names through here; `--json` needs nothing (JSON escapes controls itself).
 */

// C0 controls (newline and tab included), DEL, C1 controls; bidi embeddings, overrides and isolates;
// zero-width characters, the line/paragraph separators and the BOM.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;

/** `s` with every unsafe character shown as a visible escape (`\n`, `\x1b`, `\u202e`). */
export function safeText(s: string): string {
  return s.replace(UNSAFE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Template tag: every interpolated value is made safe, the literal text is kept as written. */
export function term(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0];
  values.forEach((v, i) => (out += safeText(String(v)) + strings[i + 1]));
  return out;
}

/** At most `max` characters: a 2 MB name in an error is cut in the middle, saying how much was left out. */
export function shortened(s: string, max = 2000): string {
  if (s.length <= max) return s;
  const keep = Math.floor((max - 40) / 2);
  return `${s.slice(0, keep)} ... (${s.length - 2 * keep} characters left out) ... ${s.slice(-keep)}`;
}
