/** Hover providers: layer names in model JSON files, and Keras layer calls / SE-block builders in Python. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeLayer, jsonStringAt, looksLikeModelJson } from '../hover/jsonHover.js';
import { callAt, describeSeCall, findSeDefs, layerNameOf } from '../hover/python.js';
import type { Ctx } from './ctx.js';

export class ModelJsonHoverProvider implements vscode.HoverProvider {
  constructor(private readonly ctx: Ctx) {}

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const text = doc.getText();
    const s = jsonStringAt(text, doc.offsetAt(pos));
    if (!s || s.isKey || !looksLikeModelJson(text)) return undefined;
    const entry = await this.ctx.inspect(doc.uri);
    if (token.isCancellationRequested || !entry.report) return undefined;
    const md = describeLayer(entry.report, s.value);
    if (!md) return undefined;
    const m = new vscode.MarkdownString(md);
    m.supportHtml = false;
    return new vscode.Hover(m, new vscode.Range(doc.positionAt(s.start), doc.positionAt(s.end)));
  }
}

export class PythonHoverProvider implements vscode.HoverProvider {
  constructor(private readonly ctx: Ctx) {}

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const text = doc.getText();
    const call = callAt(text, doc.offsetAt(pos));
    if (!call) return undefined;
    const range = new vscode.Range(doc.positionAt(call.start), doc.positionAt(call.start + call.callee.length));
    const def = findSeDefs(text).find((d) => d.name === call.callee);
    if (def) return new vscode.Hover(new vscode.MarkdownString(describeSeCall(def, call)), range);
    const name = layerNameOf(call);
    if (!name) return undefined;
    const index = await this.ctx.layerIndex();
    if (token.isCancellationRequested) return undefined;
    const hits = index.get(name) ?? [];
    if (!hits.length) return undefined;
    const parts = hits.slice(0, 3).map((h) => `*${vscode.workspace.asRelativePath(h.uri)}*\n\n${describeLayer(h.report, name) ?? ''}`);
    if (hits.length > 3) parts.push(`…and ${hits.length - 3} more models`);
    return new vscode.Hover(new vscode.MarkdownString(`\`${call.callee}(name="${name}")\` in the workspace's models:\n\n${parts.join('\n\n---\n\n')}`), range);
  }
}

export function registerHovers(ctx: Ctx): vscode.Disposable[] {
  return [
    vscode.languages.registerHoverProvider([{ language: 'json', scheme: 'file' }, { language: 'jsonc', scheme: 'file', pattern: '**/model.json' }], new ModelJsonHoverProvider(ctx)),
    vscode.languages.registerHoverProvider({ language: 'python' }, new PythonHoverProvider(ctx)),
  ];
}

export const modelBasename = (uri: vscode.Uri) => path.basename(uri.fsPath);
