/**
 * Reading just enough Python to hover Keras code: the call under the cursor (`Dense(64, name="fc")`),
 * and the functions that build an SE block (a `def` whose body has GlobalAveragePooling2D and
 * Multiply). Pure, no Python parser: parentheses, strings and comments are tracked, nothing more.
 */

export interface CallArg {
  /** Keyword name, or undefined for a positional argument. */
  name?: string;
  /** The argument's source text, trimmed. */
  text: string;
}

export interface Call {
  /** The called name, last dotted part (`layers.Dense` → `Dense`). */
  callee: string;
  /** Full dotted callee as written. */
  qualified: string;
  args: CallArg[];
  /** Offsets of the callee name and of the closing parenthesis (exclusive). */
  start: number;
  end: number;
}

const IDENT = /[A-Za-z0-9_]/;

/** The call whose callee name is under `offset` (`Dense` in `layers.Dense(64)(x)`). */
export function callAt(text: string, offset: number): Call | undefined {
  let s = offset;
  let e = offset;
  while (s > 0 && IDENT.test(text[s - 1])) s--;
  while (e < text.length && IDENT.test(text[e])) e++;
  if (s === e || /[0-9]/.test(text[s])) return undefined;
  let q = s;
  while (q > 0 && text[q - 1] === '.' && q > 1 && IDENT.test(text[q - 2])) {
    q--;
    while (q > 0 && IDENT.test(text[q - 1])) q--;
  }
  let p = e;
  while (p < text.length && (text[p] === ' ' || text[p] === '\t')) p++;
  if (text[p] !== '(') return undefined;
  const close = matchParen(text, p);
  if (close < 0) return undefined;
  return { callee: text.slice(s, e), qualified: text.slice(q, e), args: splitArgs(text.slice(p + 1, close)), start: s, end: close + 1 };
}

/** Index of the `)` matching the `(` at `open`, skipping strings and comments; -1 if none. */
export function matchParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return -1;
      i = nl;
    } else if (c === '"' || c === "'") {
      i = skipString(text, i);
      if (i < 0) return -1;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return c === ')' ? i : -1;
    }
  }
  return -1;
}

/** Index of the last quote of the string starting at `i` (single, double or triple quoted). */
function skipString(text: string, i: number): number {
  const q = text[i];
  const triple = text.startsWith(q.repeat(3), i);
  const delim = triple ? q.repeat(3) : q;
  let j = i + delim.length;
  while (j < text.length) {
    if (text[j] === '\\') j += 2;
    else if (text.startsWith(delim, j)) return j + delim.length - 1;
    else if (!triple && text[j] === '\n') return -1;
    else j++;
  }
  return -1;
}

/** Splits an argument list at top-level commas into positional and keyword arguments. */
export function splitArgs(inner: string): CallArg[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '"' || c === "'") {
      const j = skipString(inner, i);
      if (j < 0) break;
      i = j;
    } else if (c === '#') {
      const nl = inner.indexOf('\n', i);
      inner = inner.slice(0, i) + ' '.repeat((nl < 0 ? inner.length : nl) - i) + inner.slice(nl < 0 ? inner.length : nl);
    } else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(inner.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(inner.slice(from));
  return parts
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => {
      const m = /^([A-Za-z_]\w*)\s*=(?!=)\s*([\s\S]*)$/.exec(p);
      return m ? { name: m[1], text: m[2].trim() } : { text: p };
    });
}

/** A Python string literal's value ('fc1', "fc1", r"fc1"), or undefined if the text is not one. */
export function stringLiteral(text: string): string | undefined {
  const m = /^[rRuUbB]?(['"])((?:\\.|(?!\1).)*)\1$/.exec(text.trim());
  return m ? m[2].replace(/\\(.)/g, '$1') : undefined;
}

/** A Python number literal (64, 16.0, 1_024), or undefined. */
export function numberLiteral(text: string): number | undefined {
  const t = text.trim().replace(/_/g, '');
  if (!/^[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?$/.test(t)) return undefined;
  return Number(t);
}

/** The `name="..."` of a Keras layer call, if given as a literal. */
export function layerNameOf(call: Call): string | undefined {
  const a = call.args.find((x) => x.name === 'name');
  return a ? stringLiteral(a.text) : undefined;
}

export interface DefParam {
  name: string;
  default?: string;
}

export interface SeDef {
  name: string;
  params: DefParam[];
  /** Which parameter holds the channel count / the reduction ratio (index into params), if recognised. */
  channelsParam?: number;
  ratioParam?: number;
  /** Whether the reduce/expand layers have biases (false when the body says use_bias=False). */
  bias: boolean;
  /** 0-based line of the `def`. */
  line: number;
  /** The squeezed width expression as written (`channels // r`), if found. */
  widthExpr?: string;
}

const CHANNEL_NAMES = /^(c|ch|channels?|filters|num_channels|n_channels|in_channels|in_ch|planes|n_filters|nb_channels|channel)$/i;
const RATIO_NAMES = /^(r|ratio|reduction|reduction_ratio|se_ratio|reduce_ratio|rd_ratio)$/i;

/** Every `def` whose body contains a global average pooling and a multiply: an SE block builder. */
export function findSeDefs(text: string): SeDef[] {
  const lines = text.split('\n');
  const defs: SeDef[] = [];
  const lineStart: number[] = [];
  for (let i = 0, at = 0; i < lines.length; i++) {
    lineStart.push(at);
    at += lines[i].length + 1;
  }
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)def\s+([A-Za-z_]\w*)\s*\(/.exec(lines[i]);
    if (!m) continue;
    const indent = m[1].length;
    // the signature may span lines
    const sigStart = lineStart[i] + m[0].length - 1;
    const close = matchParen(text, sigStart);
    if (close < 0) continue;
    const params = splitArgs(text.slice(sigStart + 1, close))
      .map((a): DefParam => {
        const raw = a.name ? `${a.name}=${a.text}` : a.text;
        const m = /^\*{0,2}\s*([A-Za-z_]\w*)\s*(?::[^=]*)?(?:=\s*([\s\S]*))?$/.exec(raw.trim());
        return m ? { name: m[1], default: m[2]?.trim() } : { name: raw.trim() };
      })
      .filter((p) => p.name && p.name !== '/' && p.name !== '*');
    let sigEndLine = i;
    while (sigEndLine + 1 < lines.length && lineStart[sigEndLine + 1] <= close) sigEndLine++;
    const body: string[] = [];
    for (let j = sigEndLine + 1; j < lines.length; j++) {
      const l = lines[j];
      if (l.trim() === '' || /^\s*#/.test(l)) {
        body.push(l);
        continue;
      }
      if ((/^\s*/.exec(l)![0].length) <= indent) break;
      body.push(l);
    }
    const b = body.join('\n');
    if (!/GlobalAveragePooling2D|GlobalAvgPool2D|global_average_pooling/.test(b) || !/Multiply\b|multiply\s*\(/.test(b)) continue;
    let channelsParam = params.findIndex((p) => CHANNEL_NAMES.test(p.name));
    let ratioParam = params.findIndex((p) => RATIO_NAMES.test(p.name));
    // a channels parameter that the body overwrites (channels = x.shape[-1]) is not the channel count
    if (channelsParam >= 0 && new RegExp(`^\\s*${params[channelsParam].name}\\s*=`, 'm').test(b)) channelsParam = -1;
    if (ratioParam < 0) ratioParam = -1;
    const width = /Dense\s*\(\s*(?:units\s*=\s*)?([^,)]*\/\/[^,)]*)/.exec(b) ?? /Conv2D\s*\(\s*(?:filters\s*=\s*)?([^,)]*\/\/[^,)]*)/.exec(b);
    defs.push({
      name: m[2],
      params,
      channelsParam: channelsParam >= 0 ? channelsParam : undefined,
      ratioParam: ratioParam >= 0 ? ratioParam : undefined,
      bias: !/use_bias\s*=\s*False/.test(b),
      line: i,
      widthExpr: width?.[1].trim(),
    });
  }
  return defs;
}

/** The value a call gives to parameter `index` of `def` (positional, keyword, else the default). */
export function argFor(def: SeDef, call: Call, index: number | undefined): string | undefined {
  if (index === undefined) return undefined;
  const p = def.params[index];
  const kw = call.args.find((a) => a.name === p.name);
  if (kw) return kw.text;
  const positional = call.args.filter((a) => !a.name);
  // a method (`self.se(x, 64)`) skips `self`
  const shift = def.params[0]?.name === 'self' ? 1 : 0;
  const pos = positional[index - shift];
  if (pos) return pos.text;
  return p.default;
}

export interface SeCost {
  channels: number;
  ratio: number;
  width: number;
  params: number;
  /** 2·C·w: the two fully connected layers. */
  fcMacs: number;
  /** Per pixel of the H×W map: pool (C) + scale (C). */
  perPixelMacs: number;
}

/** Cost of one SE block on C channels at ratio r (width = max(1, C // r)), with or without biases. */
export function seCost(channels: number, ratio: number, bias = true): SeCost {
  const width = Math.max(1, Math.floor(channels / ratio));
  const params = 2 * channels * width + (bias ? width + channels : 0);
  return { channels, ratio, width, params, fcMacs: 2 * channels * width, perPixelMacs: 2 * channels };
}

export const HOVER_RATIOS = [2, 4, 8, 16, 32];

/** Markdown for the hover of a call of an SE-block builder. */
export function describeSeCall(def: SeDef, call: Call): string {
  const cText = argFor(def, call, def.channelsParam);
  const rText = argFor(def, call, def.ratioParam);
  const C = cText === undefined ? undefined : numberLiteral(cText);
  const r = rText === undefined ? undefined : numberLiteral(rText);
  const out: string[] = [`**SE block** \`${def.name}\` (GlobalAveragePooling2D → FC → FC → Multiply)`, ''];
  if (C === undefined || !Number.isInteger(C) || C <= 0) {
    out.push(`channels: ${cText === undefined ? 'not given' : `\`${cText}\``} — not a literal, so the cost cannot be computed from the code.`);
    return out.join('\n');
  }
  const ratio = r !== undefined && r > 0 ? r : undefined;
  const bias = def.bias ? 'with biases' : 'without biases (use_bias=False)';
  if (ratio !== undefined) {
    const c = seCost(C, ratio, def.bias);
    out.push(`C = ${C}, r = ${ratio} → width ${c.width} (\`max(1, C // r)\`), ${bias}`);
    out.push('');
    out.push(`- params: **${c.params.toLocaleString('en-US')}** = ${def.bias ? '2C²/r + C/r + C' : '2C²/r'} = 2·${C}·${c.width}${def.bias ? ` + ${c.width} + ${C}` : ''}`);
    out.push(`- MACs: **${c.fcMacs.toLocaleString('en-US')}** for the two FC layers (2C²/r) + 2·H·W·C = ${(2 * C).toLocaleString('en-US')}·H·W for pool and scale (H·W is not known from the code)`);
  } else {
    out.push(`C = ${C}, r: ${rText === undefined ? 'not given' : `\`${rText}\``} (not a literal) — ${bias}`);
  }
  out.push('');
  out.push('| r | width | params | FC MACs |\n|---:|---:|---:|---:|');
  for (const rr of HOVER_RATIOS) {
    const c = seCost(C, rr, def.bias);
    out.push(`| ${rr}${rr === ratio ? ' ←' : ''} | ${c.width} | ${c.params.toLocaleString('en-US')} | ${c.fcMacs.toLocaleString('en-US')} |`);
  }
  out.push('');
  out.push(`plus ${(2 * C).toLocaleString('en-US')}·H·W MACs for pool and scale at every r.`);
  return out.join('\n');
}
