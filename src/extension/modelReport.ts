/**
 * The model report: a read-only custom editor (`seInspector.modelReport`), default for .keras/.h5,
 * an option for .json. The document only holds the URI; the report is read in the worker.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from './ctx.js';
import { keyOf } from './ctx.js';
import { WebviewHost } from './webviewHost.js';

class ModelDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {}
}

export class ReportView extends WebviewHost {
  constructor(
    ctx: Ctx,
    readonly uri: vscode.Uri,
    readonly panel: vscode.WebviewPanel,
  ) {
    super(ctx, panel, 'report', `SE report: ${path.basename(uri.fsPath)}`);
    const key = keyOf(uri);
    this._register(
      ctx.onDidChangeModel((c) => {
        if (c.key !== key) return;
        if (c.what === 'busy') this.post({ type: 'busy', message: c.message ?? 'Working…' });
        else if (c.what === 'report') this.sendReport();
        else if (c.what === 'history') this.sendHistory();
        else this.sendRun();
      }),
    );
    this._register(
      panel.onDidChangeViewState((e) => {
        this.visibilityChanged();
        if (e.webviewPanel.active) ctx.setFocus(uri);
      }),
    );
    this._register(panel.onDidDispose(() => this.dispose()));
    if (uri.scheme === 'file') {
      const watcher = this._register(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath))));
      const changed = () => ctx.modelFileChanged(uri);
      this._register(watcher.onDidChange(changed));
      this._register(watcher.onDidCreate(changed));
    }
    ctx.setFocus(uri);
  }

  protected modelUri(): vscode.Uri {
    return this.uri;
  }

  /** A layer or SE block to bring into view once the report is shown (a link from the tree or a hover). */
  private pendingHighlight: string | undefined;

  highlight(name: string): void {
    this.pendingHighlight = name;
    this.flushHighlight();
  }

  private flushHighlight(): void {
    if (!this.pendingHighlight || !this.isReady || !this.ctx.entry(this.uri)?.report) return;
    this.post({ type: 'highlight', name: this.pendingHighlight });
    this.pendingHighlight = undefined;
  }

  protected sendAll(): void {
    const entry = this.ctx.entry(this.uri);
    if (entry && (entry.report || entry.error)) {
      this.sendReport();
      this.sendRun();
      this.sendHistory();
    } else {
      this.post({ type: 'busy', message: `Reading ${path.basename(this.uri.fsPath)}…` });
      void this.ctx.inspect(this.uri);
    }
  }

  private sendReport(): void {
    const entry = this.ctx.entry(this.uri);
    if (!entry) return;
    if (entry.report) {
      this.post({ type: 'report', report: entry.report, canReveal: /\.json$/i.test(this.uri.fsPath), displayPath: vscode.workspace.asRelativePath(this.uri) });
      this.flushHighlight();
    }
    // the view itself shows the one error message (a notification as well would say it twice)
    else if (entry.error) this.post({ type: 'error', message: entry.error, scope: 'model' });
  }

  private sendRun(): void {
    const entry = this.ctx.entry(this.uri);
    if (!entry) return;
    this.post({ type: 'excitation', run: entry.run ?? null, error: entry.runError ?? null });
  }
}

export class ModelReportProvider implements vscode.CustomReadonlyEditorProvider<ModelDocument> {
  /** The default editor of binary models (.keras, .h5). */
  static readonly viewType = 'seInspector.modelReport';
  /** The same report, offered under "Open With..." for JSON models (their text editor stays the default). */
  static readonly jsonViewType = 'seInspector.modelReportJson';

  static viewTypeFor(uri: vscode.Uri): string {
    return /\.json$/i.test(uri.path) ? ModelReportProvider.jsonViewType : ModelReportProvider.viewType;
  }

  static isReport(viewType: string): boolean {
    return viewType === ModelReportProvider.viewType || viewType === ModelReportProvider.jsonViewType;
  }
  /** Open report views, for commands and tests. */
  readonly views = new Set<ReportView>();

  static register(ctx: Ctx): { provider: ModelReportProvider; disposable: vscode.Disposable } {
    const provider = new ModelReportProvider(ctx);
    // Ctrl+F finds text in the report (VS Code's find widget over the webview)
    const options = { webviewOptions: { retainContextWhenHidden: false, enableFindWidget: true }, supportsMultipleEditorsPerDocument: true };
    const disposable = vscode.Disposable.from(
      vscode.window.registerCustomEditorProvider(ModelReportProvider.viewType, provider, options),
      vscode.window.registerCustomEditorProvider(ModelReportProvider.jsonViewType, provider, options),
    );
    return { provider, disposable };
  }

  private constructor(private readonly ctx: Ctx) {}

  openCustomDocument(uri: vscode.Uri): ModelDocument {
    return new ModelDocument(uri);
  }

  resolveCustomEditor(document: ModelDocument, panel: vscode.WebviewPanel): void {
    const view = new ReportView(this.ctx, document.uri, panel);
    this.views.add(view);
    panel.onDidDispose(() => this.views.delete(view));
  }

  viewFor(uri: vscode.Uri): ReportView | undefined {
    return [...this.views].find((v) => keyOf(v.uri) === keyOf(uri));
  }
}
