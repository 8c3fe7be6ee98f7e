/**
 * Reading Keras code for hovers, on tree-sitter's Python grammar as VS Code ships it
 * (@vscode/tree-sitter-wasm): the call under the cursor (`Dense(64, name="fc")`, anywhere on it,
 * its `name=` string included), its arguments with names bound to literals in the same scope
 * resolved, the functions that build an SE block (a `def` whose body calls a global average
 * pooling and a multiply), and the imports that bring such a function from another file.
 */
import TreeSitter from '@vscode/tree-sitter-wasm';
import { own } from '../util/lookup.js';

type TS = typeof import('@vscode/tree-sitter-wasm');
type Node = InstanceType<TS['Node']>;
type Parser = InstanceType<TS['Parser']>;

const TSR = TreeSitter as unknown as TS;
let parserReady: Promise<Parser> | undefined;

/**
 * Loads tree-sitter and the Python grammar from `wasmDir` (tree-sitter.wasm, tree-sitter-python.wasm:
 * dist/ in the extension, the package's wasm/ folder in tests). Once; later calls share it.
 */
export function initPython(wasmDir: string): Promise<Parser> {
  parserReady ??= (async () => {
    const dir = wasmDir.replace(/[\\/]*$/, '/');
    await TSR.Parser.init({ locateFile: (file: string) => dir + file });
    const lang = await TSR.Language.load(dir + 'tree-sitter-python.wasm');
    const p = new TSR.Parser();
    p.setLanguage(lang);
    return p;
  })();
  parserReady.catch(() => (parserReady = undefined));
  return parserReady;
}

/** A parsed Python file. `dispose()` frees the tree (it lives in the wasm heap). */
export interface PyTree {
  text: string;
  root: Node;
  dispose(): void;
}

export async function parsePython(wasmDir: string, text: string): Promise<PyTree> {
  const parser = await initPython(wasmDir);
  const tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return { text, root: tree.rootNode, dispose: () => tree.delete() };
}

export interface CallArg {
  /** Keyword name, or undefined for a positional argument. */
  name?: string;
  /** The argument's source text. */
  text: string;
  /** The literal it stands for: itself, or the literal a name is bound to in the same scope. */
  literal?: string;
  /** The name that was resolved to `literal`, when the argument is a name. */
  via?: string;
}

export interface Call {
  /** The called name, last dotted part (`layers.Dense` → `Dense`). */
  callee: string;
  /** Full dotted callee as written. */
  qualified: string;
  args: CallArg[];
  /** Offsets of the callee name and of the end of the call (exclusive). */
  start: number;
  end: number;
}

const LITERALS = new Set(['integer', 'float', 'string', 'true', 'false', 'none', 'concatenated_string']);
const isLiteral = (n: Node): boolean => LITERALS.has(n.type) || (n.type === 'unary_operator' && !!n.namedChildren[0] && ['integer', 'float'].includes(n.namedChildren[0]!.type)) || (n.type === 'tuple' && n.namedChildren.every((c) => !!c && isLiteral(c)));

/** The scope a node is in: the body of its function (or class), else the module. */
function scopeOf(n: Node): Node {
  for (let p = n.parent; p; p = p.parent) if (p.type === 'function_definition' || p.type === 'class_definition' || p.type === 'module') return p.type === 'module' ? p : (p.childForFieldName('body') ?? p);
  return n;
}

/** Whether `n` belongs to `scope` itself (not to a function or class nested in it). */
function inScope(n: Node, scope: Node): boolean {
  for (let p = n.parent; p; p = p.parent) {
    if (p.equals(scope)) return true;
    if (p.type === 'function_definition' || p.type === 'class_definition' || p.type === 'lambda') return false;
  }
  return false;
}

/** The literal `name` was last bound to before `at` in the scope of `at` (`units = 64`), if any. */
function boundLiteral(name: string, at: Node): string | undefined {
  const scope = scopeOf(at);
  let found: string | undefined;
  for (const a of scope.descendantsOfType('assignment')) {
    if (!a || a.startIndex >= at.startIndex || !inScope(a, scope)) continue;
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (left?.type === 'identifier' && left.text === name) found = right && isLiteral(right) ? right.text : undefined;
  }
  return found;
}

function argOf(n: Node, name?: string): CallArg {
  const text = n.text;
  if (isLiteral(n)) return { name, text, literal: text };
  if (n.type === 'identifier') {
    const literal = boundLiteral(text, n);
    if (literal !== undefined) return { name, text, literal, via: text };
  }
  return { name, text };
}

function callOf(call: Node): Call | undefined {
  const fn = call.childForFieldName('function');
  const argsNode = call.childForFieldName('arguments');
  if (!fn || !argsNode || (fn.type !== 'identifier' && fn.type !== 'attribute')) return undefined;
  const nameNode = fn.type === 'attribute' ? fn.childForFieldName('attribute') : fn;
  if (!nameNode) return undefined;
  const args: CallArg[] = [];
  for (const a of argsNode.namedChildren) {
    if (!a || a.type === 'comment') continue;
    if (a.type === 'keyword_argument') {
      const k = a.childForFieldName('name');
      const v = a.childForFieldName('value');
      if (k && v) args.push(argOf(v, k.text));
    } else args.push(argOf(a));
  }
  return { callee: nameNode.text, qualified: fn.text, args, start: nameNode.startIndex, end: call.endIndex };
}

/**
 * The call at `offset`: the innermost call whose callee is a name, anywhere on it (callee,
 * arguments, the `name=` string). On `Dense(8)(x)` it is `Dense(8)`, the layer, not its application.
 */
export function callAt(tree: PyTree, offset: number): Call | undefined {
  if (offset < 0 || offset > tree.text.length) return undefined;
  let n: Node | null = tree.root.descendantForIndex(offset);
  for (; n; n = n.parent) {
    if (n.type !== 'call') continue;
    const fn = n.childForFieldName('function');
    // the application of a layer `Dense(8)(x)`: the layer is its function
    const c = fn?.type === 'call' ? callOf(fn) : callOf(n);
    if (c) return c;
  }
  return undefined;
}

/** A Python string literal's value ('fc1', "fc1", r"fc1"), or undefined if the text is not one. */
export function stringLiteral(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const m = /^[rRuU]?(['"])((?:\\.|(?!\1).)*)\1$/.exec(text.trim());
  return m ? m[2].replace(/\\(.)/g, '$1') : undefined;
}

/** A Python number literal (64, 16.0, 1_024), or undefined. */
export function numberLiteral(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim().replace(/_/g, '');
  if (!/^[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?$/.test(t)) return undefined;
  return Number(t);
}

/** The `name="..."` of a Keras layer call, given as a literal or as a name bound to one. */
export function layerNameOf(call: Call): string | undefined {
  return stringLiteral(call.args.find((x) => x.name === 'name')?.literal);
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
const POOL = /^(GlobalAveragePooling2D|GlobalAvgPool2D|global_average_pooling2d|reduce_mean)$/;
const MULTIPLY = /^(Multiply|multiply)$/;

function paramsOf(def: Node): DefParam[] {
  const ps = def.childForFieldName('parameters');
  const out: DefParam[] = [];
  for (const p of ps?.namedChildren ?? []) {
    if (!p) continue;
    if (p.type === 'identifier') out.push({ name: p.text });
    else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') {
      const n = p.childForFieldName('name');
      if (n) out.push({ name: n.text, default: p.childForFieldName('value')?.text });
    } else if (p.type === 'typed_parameter') {
      const n = p.namedChildren.find((c) => c?.type === 'identifier');
      if (n) out.push({ name: n.text });
    } else if (p.type === 'list_splat_pattern' || p.type === 'dictionary_splat_pattern') {
      const n = p.namedChildren[0];
      if (n) out.push({ name: n.text });
    }
  }
  return out;
}

/** The callee names of the calls in `body` (last dotted part). */
function calleesIn(body: Node): { name: string; call: Node }[] {
  return body.descendantsOfType('call').flatMap((c) => {
    const fn = c?.childForFieldName('function');
    const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.type === 'identifier' ? fn.text : undefined;
    return c && name ? [{ name, call: c }] : [];
  });
}

/** Every `def` whose body calls a global average pooling and a multiply: an SE block builder. */
export function findSeDefs(tree: PyTree): SeDef[] {
  const defs: SeDef[] = [];
  for (const d of tree.root.descendantsOfType('function_definition')) {
    const name = d?.childForFieldName('name')?.text;
    const body = d?.childForFieldName('body');
    if (!d || !name || !body) continue;
    const calls = calleesIn(body);
    if (!calls.some((c) => POOL.test(c.name)) || !calls.some((c) => MULTIPLY.test(c.name))) continue;
    const params = paramsOf(d);
    let channelsParam = params.findIndex((p) => CHANNEL_NAMES.test(p.name));
    const ratioParam = params.findIndex((p) => RATIO_NAMES.test(p.name));
    // a channels parameter that the body overwrites (channels = x.shape[-1]) is not the channel count
    if (channelsParam >= 0 && body.descendantsOfType('assignment').some((a) => a?.childForFieldName('left')?.text === params[channelsParam].name)) channelsParam = -1;
    const reduce = calls.find((c) => /^(Dense|Conv2D)$/.test(c.name) && /\/\//.test(c.call.childForFieldName('arguments')?.namedChildren[0]?.text ?? ''));
    const bias = !calls.some((c) => /^(Dense|Conv2D)$/.test(c.name) && c.call.childForFieldName('arguments')?.namedChildren.some((a) => a?.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'use_bias' && a.childForFieldName('value')?.text === 'False'));
    defs.push({
      name,
      params,
      channelsParam: channelsParam >= 0 ? channelsParam : undefined,
      ratioParam: ratioParam >= 0 ? ratioParam : undefined,
      bias,
      line: d.startPosition.row,
      widthExpr: reduce?.call.childForFieldName('arguments')?.namedChildren[0]?.text,
    });
  }
  return defs;
}

/** One imported name: `from models.se import se_block as se` → { local: 'se', module: 'models.se', name: 'se_block', level: 0 }. */
export interface PyImport {
  local: string;
  module: string;
  /** The imported name, or undefined for `import module [as local]`. */
  name?: string;
  /** Leading dots of a relative import. */
  level: number;
}

export function importsOf(tree: PyTree): PyImport[] {
  const out: PyImport[] = [];
  for (const s of tree.root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (!s) continue;
    if (s.type === 'import_statement') {
      for (const n of s.childrenForFieldName('name')) {
        if (!n) continue;
        if (n.type === 'aliased_import') out.push({ local: n.childForFieldName('alias')?.text ?? '', module: n.childForFieldName('name')?.text ?? '', level: 0 });
        else out.push({ local: n.text, module: n.text, level: 0 });
      }
      continue;
    }
    const mod = s.childForFieldName('module_name');
    if (!mod) continue;
    const level = mod.type === 'relative_import' ? (mod.namedChildren.find((c) => c?.type === 'import_prefix')?.text.length ?? 0) : 0;
    const module = mod.type === 'relative_import' ? (mod.namedChildren.find((c) => c?.type === 'dotted_name')?.text ?? '') : mod.text;
    for (const n of s.childrenForFieldName('name')) {
      if (!n) continue;
      if (n.type === 'aliased_import') out.push({ local: n.childForFieldName('alias')?.text ?? '', module, name: n.childForFieldName('name')?.text, level });
      else out.push({ local: n.text, module, name: n.text, level });
    }
  }
  return out.filter((i) => i.local);
}

/**
 * Where the function a call names comes from: an import of this file, as the module to read and
 * the name to find there (`se.se_block` after `import models.se as se`; `sb` after `from m import se_block as sb`).
 */
export function importedFunction(imports: PyImport[], call: Call): { module: string; level: number; name: string } | undefined {
  const parts = call.qualified.split('.');
  if (parts.length === 1) {
    const i = imports.find((x) => x.name && x.local === call.callee);
    return i ? { module: i.module, level: i.level, name: i.name! } : undefined;
  }
  const head = parts.slice(0, -1).join('.');
  const i = imports.find((x) => !x.name && x.local === head) ?? imports.find((x) => x.name && x.local === head);
  if (!i) return undefined;
  return { module: i.name ? [i.module, i.name].filter(Boolean).join('.') : i.module, level: i.level, name: call.callee };
}

/** Files that may hold `module` (relative to `fromDir` for a relative import, else to each root). */
export function moduleFiles(module: string, level: number, fromDir: string, roots: string[]): string[] {
  const rel = module ? module.split('.').join('/') : '';
  const bases = level > 0 ? [fromDir.split('/').slice(0, fromDir.split('/').length - (level - 1)).join('/')] : [...roots, fromDir];
  return [...new Set(bases.flatMap((b) => (rel ? [`${b}/${rel}.py`, `${b}/${rel}/__init__.py`] : [`${b}/__init__.py`])))];
}

/** The value a call gives to parameter `index` of `def` (keyword, positional, else the default): the literal if known, else the text. */
export function argFor(def: SeDef, call: Call, index: number | undefined): string | undefined {
  return argOfParam(def, call, index)?.literal ?? argOfParam(def, call, index)?.text;
}

function argOfParam(def: SeDef, call: Call, index: number | undefined): CallArg | undefined {
  if (index === undefined) return undefined;
  const p = def.params[index];
  const kw = call.args.find((a) => a.name === p.name);
  if (kw) return kw;
  const positional = call.args.filter((a) => !a.name);
  // a method (`self.se(x, 64)`) skips `self`
  const shift = def.params[0]?.name === 'self' ? 1 : 0;
  const pos = positional[index - shift];
  if (pos) return pos;
  return p.default === undefined ? undefined : { text: p.default, literal: numberLiteral(p.default) !== undefined ? p.default : undefined };
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

/** Markdown for the hover of a call of an SE-block builder; `from` names the file of an imported def. */
export function describeSeCall(def: SeDef, call: Call, from?: string): string {
  const cArg = argOfParam(def, call, def.channelsParam);
  const rArg = argOfParam(def, call, def.ratioParam);
  const C = numberLiteral(cArg?.literal);
  const r = numberLiteral(rArg?.literal);
  const via = (a: CallArg | undefined) => (a?.via ? ` (\`${a.via}\` in this scope)` : '');
  const out: string[] = [`**SE block** \`${def.name}\`${from ? ` from *${from}*` : ''} (GlobalAveragePooling2D → FC → FC → Multiply)`, ''];
  if (C === undefined || !Number.isInteger(C) || C <= 0) {
    out.push(`channels: ${cArg === undefined ? 'not given' : `\`${cArg.text}\``} — not a literal, so the cost cannot be computed from the code.`);
    return out.join('\n');
  }
  const ratio = r !== undefined && r > 0 ? r : undefined;
  const bias = def.bias ? 'with biases' : 'without biases (use_bias=False)';
  if (ratio !== undefined) {
    const c = seCost(C, ratio, def.bias);
    out.push(`C = ${C}${via(cArg)}, r = ${ratio}${via(rArg)} → width ${c.width} (\`max(1, C // r)\`), ${bias}`);
    out.push('');
    out.push(`- params: **${c.params.toLocaleString('en-US')}** = ${def.bias ? '2C²/r + C/r + C' : '2C²/r'} = 2·${C}·${c.width}${def.bias ? ` + ${c.width} + ${C}` : ''}`);
    out.push(`- MACs: **${c.fcMacs.toLocaleString('en-US')}** for the two FC layers (2C²/r) + 2·H·W·C = ${(2 * C).toLocaleString('en-US')}·H·W for pool and scale (H·W is not known from the code)`);
  } else {
    out.push(`C = ${C}${via(cArg)}, r: ${rArg === undefined ? 'not given' : `\`${rArg.text}\``} (not a literal) — ${bias}`);
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

/** Layer classes whose first argument (or keyword) is the output width, and its name. */
const WIDTH_ARG: Record<string, string> = { Dense: 'units', Conv1D: 'filters', Conv2D: 'filters', Conv3D: 'filters', SeparableConv2D: 'filters', Conv2DTranspose: 'filters' };
const ALIASES: Record<string, string> = { Convolution2D: 'Conv2D', Convolution1D: 'Conv1D', Convolution3D: 'Conv3D' };

/** Where a layer call and the model's layer of that name disagree: its type, units or filters. */
export function callVsLayer(call: Call, layer: { type: string; outputShape: readonly (number | null)[] | null }): string[] {
  const out: string[] = [];
  const callType = own(ALIASES, call.callee) ?? call.callee;
  // only a Keras layer class (capitalised) can disagree on type; a helper function is not one
  if (/^[A-Z]/.test(callType) && callType !== layer.type) out.push(`the call makes a \`${callType}\`, the model's layer is a \`${layer.type}\``);
  const argName = own(WIDTH_ARG, callType);
  if (argName && callType === layer.type) {
    const a = call.args.find((x) => x.name === argName) ?? call.args.find((x) => !x.name);
    const want = numberLiteral(a?.literal);
    const have = layer.outputShape?.[layer.outputShape.length - 1];
    if (want !== undefined && typeof have === 'number' && want !== have) out.push(`the call has ${argName}=${want}, the model's layer has ${have}`);
  }
  return out;
}
