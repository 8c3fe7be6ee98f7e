/** Hover providers: layer names in model JSON files, and Keras layer calls / SE-block builders in Python. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeLayer, jsonStringAt, looksLikeModelJson } from '../hover/jsonHover.js';
import { groupHits } from '../hover/layerHits.js';
import { callAt, callVsLayer, describeSeCall, findSeDefs, importedFunction, importsOf, layerNameOf, moduleFiles, parsePython, type Call, type PyTree, type SeDef } from '../hover/python.js';
import type { Ctx } from './ctx.js';
import { logLine } from './ctx.js';

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
  private readonly wasmDir: string;
  constructor(private readonly ctx: Ctx) {
    this.wasmDir = path.join(ctx.extension.extensionUri.fsPath, 'dist');
  }

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    let tree: PyTree;
    try {
      tree = await parsePython(this.wasmDir, doc.getText());
    } catch (e) {
      this.ctx.log.error(logLine('the Python parser (tree-sitter) did not load', e));
      return undefined;
    }
    try {
      const call = callAt(tree, doc.offsetAt(pos));
      if (!call) return undefined;
      const range = new vscode.Range(doc.positionAt(call.start), doc.positionAt(call.end));
      const local = findSeDefs(tree).find((d) => d.name === call.callee);
      if (local) return new vscode.Hover(new vscode.MarkdownString(describeSeCall(local, call)), range);
      const imported = await this.importedSeDef(doc, tree, call);
      if (token.isCancellationRequested) return undefined;
      if (imported) return new vscode.Hover(new vscode.MarkdownString(describeSeCall(imported.def, call, imported.from)), range);
      return this.layerHover(call, range, token);
    } finally {
      tree.dispose();
    }
  }

  /** An SE builder imported from another Python file of the workspace. */
  private async importedSeDef(doc: vscode.TextDocument, tree: PyTree, call: Call): Promise<{ def: SeDef; from: string } | undefined> {
    const target = importedFunction(importsOf(tree), call);
    if (!target || doc.uri.scheme !== 'file') return undefined;
    const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath.replace(/\\/g, '/'));
    for (const file of moduleFiles(target.module, target.level, path.dirname(doc.uri.fsPath).replace(/\\/g, '/'), roots)) {
      let text: string;
      try {
        text = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(file))).toString('utf8');
      } catch {
        continue;
      }
      const other = await parsePython(this.wasmDir, text);
      try {
        const def = findSeDefs(other).find((d) => d.name === target.name);
        if (def) return { def, from: vscode.workspace.asRelativePath(vscode.Uri.file(file)) };
      } finally {
        other.dispose();
      }
    }
    return undefined;
  }

  private async layerHover(call: Call, range: vscode.Range, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const name = layerNameOf(call);
    if (!name) return undefined;
    const index = await this.ctx.layerIndex();
    if (token.isCancellationRequested) return undefined;
    const groups = groupHits(index.get(name) ?? [], name);
    if (!groups.length) return undefined;
    const parts = groups.slice(0, 3).map((g) => {
      const files = g.uris.map((u) => `*${vscode.workspace.asRelativePath(u)}*`).join(', ');
      const disagree = callVsLayer(call, g.row);
      const warn = disagree.length ? `$(warning) **The call and the model disagree:** ${disagree.join('; ')}.\n\n` : '';
      return `${warn}${files}\n\n${describeLayer(g.report, name) ?? ''}`;
    });
    if (groups.length > 3) parts.push(`…and ${groups.length - 3} more different layers of that name`);
    const md = new vscode.MarkdownString(`\`${call.callee}(name="${name}")\` in the workspace's models:\n\n${parts.join('\n\n---\n\n')}`, true);
    return new vscode.Hover(md, range);
  }
}

export function registerHovers(ctx: Ctx): vscode.Disposable[] {
  return [
    vscode.languages.registerHoverProvider([{ language: 'json', scheme: 'file' }, { language: 'jsonc', scheme: 'file', pattern: '**/model.json' }], new ModelJsonHoverProvider(ctx)),
    vscode.languages.registerHoverProvider({ language: 'python' }, new PythonHoverProvider(ctx)),
  ];
}
