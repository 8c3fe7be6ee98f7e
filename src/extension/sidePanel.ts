/**
 * The "SE Inspector" activity-bar container: a tree of the SE blocks of the model in focus, and
 * a webview view with the heatmap of the last run on that model.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { InspectReport } from '../analysis/report.js';
import { int, pct } from '../util/format.js';
import { commandId } from './commandIds.js';
import type { Ctx } from './ctx.js';
import { keyOf } from './ctx.js';
import { Disposable } from './dispose.js';
import { WebviewHost } from './webviewHost.js';

type Block = InspectReport['seBlocks'][number];

export class BlockItem extends vscode.TreeItem {
  constructor(
    readonly block: Block,
    readonly index: number,
    modelUri: vscode.Uri,
  ) {
    // numbered from 0, as the heatmap's tooltip and the CSV count blocks and channels
    super(`#${index} ${block.name}`, vscode.TreeItemCollapsibleState.None);
    // short enough for a narrow side bar; the tooltip says what the share is of
    this.description = `C ${block.channels} · r ${+block.ratio.toFixed(2)} · +${pct(block.share.params)}`;
    const md = new vscode.MarkdownString(
      `**#${index} ${block.name}** scales \`${block.scaledLayer}\`\n\n` +
        `C = ${block.channels}, width ${block.squeezedWidth}, r = ${+block.ratio.toFixed(2)}, gate ${block.gate}, ${block.variant}\n\n` +
        `+${int(block.params)} params (${pct(block.share.params)} of the model's), +${int(block.macs)} MACs (${pct(block.share.macs, 3)} of its MACs)`,
    );
    this.tooltip = md;
    this.iconPath = new vscode.ThemeIcon('symbol-event');
    this.contextValue = 'seBlock';
    this.id = `${modelUri.toString()}#${block.name}`;
    this.command = { command: commandId('revealLayer'), title: 'Reveal', arguments: [modelUri, block.name] };
  }
}

export class BlocksTreeProvider extends Disposable implements vscode.TreeDataProvider<BlockItem> {
  static readonly viewId = 'seInspector.blocks';
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  treeView: vscode.TreeView<BlockItem> | undefined;

  static register(ctx: Ctx): BlocksTreeProvider {
    const provider = new BlocksTreeProvider(ctx);
    provider.treeView = provider._register(vscode.window.createTreeView(BlocksTreeProvider.viewId, { treeDataProvider: provider, showCollapseAll: false }));
    provider.refresh();
    return provider;
  }

  private constructor(private readonly ctx: Ctx) {
    super();
    this._register(ctx.onDidChangeFocus(() => this.refresh()));
    this._register(ctx.onDidChangeModel((c) => c.what === 'report' && ctx.focus && c.key === keyOf(ctx.focus) && this.refresh()));
  }

  refresh(): void {
    const e = this.ctx.focusEntry;
    if (this.treeView) {
      const name = this.ctx.focus ? path.basename(this.ctx.focus.fsPath) : undefined;
      // no model: no message, so that the view's welcome content (with its button) shows
      // named by the file's name, not its absolute path: a path has no space to wrap at in a narrow side bar
      this.treeView.message = !this.ctx.focus
        ? undefined
        : e?.error
          ? `${name}: ${e.error.split(this.ctx.focus.fsPath + ': ').join('')}`
          : !e?.report
            ? `Reading ${name}…`
            : e.report.seBlocks.length === 0
              ? `${name}: no SE block found.`
              : undefined;
      // the file, as its tab names it (a tfjs model.json and its .keras often share the model name);
      // the numbered rows give the count, which would not fit a narrow side bar's header anyway
      this.treeView.description = name;
    }
    this._onDidChangeTreeData.fire();
  }

  getTreeItem(item: BlockItem): vscode.TreeItem {
    return item;
  }

  getChildren(parent?: BlockItem): BlockItem[] {
    if (parent) return [];
    const e = this.ctx.focusEntry;
    if (!e?.report || !this.ctx.focus) return [];
    const uri = this.ctx.focus;
    return e.report.seBlocks.map((b, i) => new BlockItem(b, i, uri));
  }
}

class HeatmapView extends WebviewHost {
  constructor(ctx: Ctx, view: vscode.WebviewView) {
    super(ctx, view, 'panel', 'SE heatmap');
    this._register(view.onDidChangeVisibility(() => this.visibilityChanged()));
    this._register(ctx.onDidChangeFocus(() => this.sendAll()));
    this._register(
      ctx.onDidChangeModel((c) => {
        if (!ctx.focus || c.key !== keyOf(ctx.focus)) return;
        if (c.what === 'busy') this.post({ type: 'busy', message: c.message ?? 'Working…' });
        else if (c.what === 'history') this.sendHistory();
        else this.sendAll();
      }),
    );
  }

  protected modelUri(): vscode.Uri | undefined {
    return this.ctx.focus;
  }

  protected sendAll(): void {
    const focus = this.ctx.focus;
    if (this.isDisposed) return;
    const e = this.ctx.focusEntry;
    const name = focus ? path.basename(focus.fsPath) : null;
    // the title names the file, as its tab does (a tfjs model.json and its .keras often share the model name)
    this.post({ type: 'focus', modelName: name, blockCount: e?.report?.seBlocks.length ?? 0 });
    // not read yet: say so (the report's arrival sends everything again), never "0 SE blocks"
    if (focus && !e?.report && !e?.error) return this.post({ type: 'busy', message: `Reading ${name}…` });
    if (e?.error) return this.post({ type: 'error', message: e.error, scope: 'model' });
    this.post({ type: 'excitation', run: e?.run ?? null, error: e?.runError ?? null });
    this.sendHistory();
  }
}

export class HeatmapViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'seInspector.heatmap';
  private _view: HeatmapView | undefined;

  constructor(private readonly ctx: Ctx) {}

  get view(): HeatmapView | undefined {
    return this._view && !this._view.isDisposed ? this._view : undefined;
  }

  /** The view's page is kept while hidden: coming back to the side bar shows it at once, not after a reload. */
  static readonly options = { webviewOptions: { retainContextWhenHidden: true } };

  resolveWebviewView(webviewView: vscode.WebviewView): void {
    this._view?.dispose();
    const view = new HeatmapView(this.ctx, webviewView);
    this._view = view;
    webviewView.onDidDispose(() => {
      view.dispose();
      if (this._view === view) this._view = undefined;
    });
  }
}
