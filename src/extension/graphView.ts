/**
 * The graph view: a webview panel per model with its graph laid out top to bottom (elkjs, in a
 * Web Worker inside the webview) and drawn on a canvas. A click on a node shows its row in the
 * model's report (and, for text models, its place in the JSON).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { commandId } from './commandIds.js';
import type { Ctx } from './ctx.js';
import { keyOf } from './ctx.js';
import { graphDataOf } from './graphData.js';
import { ModelReportProvider } from './modelReport.js';
import { WebviewHost } from './webviewHost.js';

export class GraphView extends WebviewHost {
  static readonly viewType = 'seInspector.graph';

  constructor(
    ctx: Ctx,
    readonly uri: vscode.Uri,
    readonly panel: vscode.WebviewPanel,
    private readonly reports: ModelReportProvider,
  ) {
    super(ctx, panel, 'graph', `SE graph: ${path.basename(uri.fsPath)}`);
    const key = keyOf(uri);
    this._register(
      ctx.onDidChangeModel((c) => {
        if (c.key !== key) return;
        if (c.what === 'busy') this.post({ type: 'busy', message: c.message ?? 'Working…' });
        else if (c.what === 'report') this.sendAll();
        else if (c.what === 'run') this.sendRun();
      }),
    );
    this._register(
      panel.onDidChangeViewState((e) => {
        this.visibilityChanged();
        if (e.webviewPanel.active) ctx.setFocus(uri);
      }),
    );
    this._register(panel.onDidDispose(() => this.dispose()));
  }

  protected modelUri(): vscode.Uri {
    return this.uri;
  }

  protected sendAll(): void {
    const entry = this.ctx.entry(this.uri);
    if (entry?.report && entry.edges) {
      this.post({ type: 'graph', graph: graphDataOf(entry.report, entry.edges) });
      this.sendRun();
    } else if (entry?.error) this.post({ type: 'error', message: entry.error, scope: 'model' });
    else {
      this.post({ type: 'busy', message: `Reading ${path.basename(this.uri.fsPath)}…` });
      void this.ctx.inspect(this.uri);
    }
  }

  private sendRun(): void {
    const entry = this.ctx.entry(this.uri);
    this.post({ type: 'excitation', run: entry?.run ?? null, error: entry?.runError ?? null });
  }

  /** A node clicked: its row in the report (opened beside the graph if needed), and its text in a JSON model. */
  protected override async graphSelect(layer: string): Promise<void> {
    if (!this.reports.viewFor(this.uri)) {
      const column = this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
      await vscode.commands.executeCommand('vscode.openWith', this.uri, ModelReportProvider.viewTypeFor(this.uri), { viewColumn: column, preserveFocus: true });
    }
    // the report's one way to bring a row into view (as from the tree and the "SE block" links); it waits for the report if need be
    const report = this.reports.viewFor(this.uri);
    report?.highlight(layer);
    // in its own group (beside the graph), without taking the focus from it
    report?.panel.reveal(report.panel.viewColumn, true);
    if (/\.json$/i.test(this.uri.fsPath)) await vscode.commands.executeCommand(commandId('revealLayer'), this.uri, layer);
  }
}

/** The open graph views, one per model. */
export class GraphViews implements vscode.Disposable {
  readonly views = new Map<string, GraphView>();

  constructor(
    private readonly ctx: Ctx,
    private readonly reports: ModelReportProvider,
  ) {}

  /** Shows the model's graph view (a new panel beside the active editor, or the one already open). */
  show(uri: vscode.Uri): GraphView {
    const key = keyOf(uri);
    const open = this.views.get(key);
    if (open && !open.isDisposed) {
      open.panel.reveal();
      return open;
    }
    const panel = vscode.window.createWebviewPanel(GraphView.viewType, `Graph: ${path.basename(uri.fsPath)}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, { retainContextWhenHidden: true });
    const view = new GraphView(this.ctx, uri, panel, this.reports);
    this.views.set(key, view);
    panel.onDidDispose(() => this.views.get(key) === view && this.views.delete(key));
    this.ctx.setFocus(uri);
    return view;
  }

  dispose(): void {
    for (const v of this.views.values()) v.panel.dispose();
    this.views.clear();
  }
}
