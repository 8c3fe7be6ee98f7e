/**
 * What the report editor and the heatmap view share on the host side: HTML, the `ready`
 * handshake, validated messages (unknown/malformed ones are logged and ignored), no postMessage
 * after dispose, and the actions a webview may ask for (choose/drop an image, export, reveal).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Comparison, FromWebview, ToWebview, ViewKind } from '../protocol/messages.js';
import { userMessage } from '../util/errors.js';
import type { Ctx } from './ctx.js';
import { Disposable } from './dispose.js';
import { runToCsv } from './excitationView.js';
import { logLine } from './ctx.js';
import { reportToJson, reportToMarkdown } from './reportExport.js';
import { comparisonToCsv, summaryOf } from './runHistory.js';
import { droppedImagePath, pickImageByDialog, pickImageByQuickPick } from './images.js';
import { checkFromWebview } from './validate.js';
import { htmlFor, webviewOptions } from './webviewHtml.js';

export function assertNever(x: never): never {
  throw new Error(`unexpected message ${JSON.stringify(x)}`);
}

/** How long a shown webview may take to say `ready` before its page is loaded again. */
export const START_TIMEOUT_MS = 6000;
const MAX_RELOADS = 2;

/** What the host needs to know about the panel or view that holds the webview. */
export interface WebviewContainer {
  readonly webview: vscode.Webview;
  readonly visible: boolean;
}

export abstract class WebviewHost extends Disposable {
  private ready = false;
  /** The page now in the webview has said `ready` (a hidden view's page is dropped and loads again when shown). */
  private started = false;
  private wasVisible: boolean;
  private reloads = 0;
  private watchdog: NodeJS.Timeout | undefined;
  protected readonly webview: vscode.Webview;
  /** Fires once the webview said `ready` (tests wait on it). */
  private readonly _onReady = this._register(new vscode.EventEmitter<void>());
  readonly onReady = this._onReady.event;
  /** Every message posted, for tests. */
  readonly posted: ToWebview.Message[] = [];

  constructor(
    protected readonly ctx: Ctx,
    private readonly container: WebviewContainer,
    private readonly view: ViewKind,
    private readonly title: string,
  ) {
    super();
    const webview = container.webview;
    this.webview = webview;
    this.wasVisible = container.visible;
    webview.options = webviewOptions(ctx.extension.extensionUri);
    this._register({ dispose: () => clearTimeout(this.watchdog) });
    this.render();
    this._register(webview.onDidReceiveMessage((raw) => this.receive(raw)));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (ctx.config.affects(e, 'colormap')) this.post({ type: 'colormap', colormap: ctx.config.colormap });
      }),
    );
  }

  /**
   * Sets the page. Then, while the webview is visible, a watchdog waits START_TIMEOUT_MS for
   * `ready`: a page whose script never ran (seen in code-server when a resource request races
   * the webview's service worker: the view stays at "Loading…") is loaded again, at most twice.
   */
  private render(): void {
    this.started = false;
    this.webview.html = htmlFor(this.webview, this.ctx.extension.extensionUri, this.view, this.title);
    this.armWatchdog();
  }

  /** Call when the container's visibility may have changed: a hidden page that is shown again reloads. */
  protected visibilityChanged(): void {
    const visible = this.container.visible;
    if (visible && !this.wasVisible) {
      this.started = false;
      this.armWatchdog();
    }
    this.wasVisible = visible;
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (this.isDisposed || this.started || !this.container.visible) return;
      if (this.reloads >= MAX_RELOADS) {
        this.ctx.log.error(`the ${this.view} webview did not start after ${MAX_RELOADS + 1} tries`);
        return;
      }
      this.reloads++;
      this.ctx.log.warn(`the ${this.view} webview did not start within ${START_TIMEOUT_MS / 1000} s: loading its page again`);
      this.render();
    }, START_TIMEOUT_MS);
  }

  get isReady(): boolean {
    return this.ready && !this.isDisposed;
  }

  /** Posts to the webview; nothing happens before `ready` or after dispose. */
  post(message: ToWebview.Message): void {
    if (this.isDisposed || !this.ready) return;
    this.posted.push(message);
    if (this.posted.length > 200) this.posted.splice(0, 100);
    this.webview.postMessage(message).then(undefined, () => undefined);
  }

  /** The model the view's actions apply to. */
  protected abstract modelUri(): vscode.Uri | undefined;
  /** Sends the view's content after `init`. */
  protected abstract sendAll(): void;

  private receive(raw: unknown): void {
    if (this.isDisposed) return;
    const checked = checkFromWebview(raw);
    if (!checked.ok) {
      this.ctx.log.warn(`ignored a message from the ${this.view} webview: ${checked.reason}`);
      return;
    }
    this.handle(checked.message).catch((e) => {
      this.ctx.log.error(logLine(`${this.view} webview`, e));
      void vscode.window.showErrorMessage(`SE Inspector: ${userMessage(e)}`);
    });
  }

  private async handle(m: FromWebview.Message): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.started = true;
        clearTimeout(this.watchdog);
        this.post({ type: 'init', view: this.view, colormap: this.ctx.config.colormap });
        this.sendAll();
        this._onReady.fire();
        return;
      case 'reveal': {
        const uri = this.modelUri();
        if (uri) await this.ctx.reveal(uri, m.layer);
        return;
      }
      case 'chooseImage': {
        const uri = this.modelUri();
        if (!uri) return void vscode.window.showInformationMessage('SE Inspector: open a model first.');
        const image = m.how === 'dialog' ? await pickImageByDialog() : await pickImageByQuickPick(this.ctx);
        if (image) await this.ctx.runOnImage(uri, image);
        return;
      }
      case 'dropImage': {
        const uri = this.modelUri();
        if (!uri) return void vscode.window.showInformationMessage('SE Inspector: open a model first.');
        const image = await droppedImagePath(this.ctx, m);
        if (image) await this.ctx.runOnImage(uri, image);
        return;
      }
      case 'graphSelect':
        return this.graphSelect(m.layer);
      case 'compare': {
        const uri = this.modelUri();
        if (uri) this.ctx.setComparison(uri, m.a, m.b);
        return;
      }
      case 'exportPng': {
        const run = this.currentRun();
        const comparison = m.subject === 'comparison' ? this.currentComparison() : undefined;
        if (m.subject === 'comparison' && !comparison) return void vscode.window.showInformationMessage('SE Inspector: pick two runs to compare first.');
        const defaultUri = comparison ? this.comparisonUri(comparison, 'png') : this.exportUri(run, 'png');
        const target = await vscode.window.showSaveDialog({ defaultUri, filters: { 'PNG image': ['png'] }, title: comparison ? 'Export comparison as PNG' : 'Export heatmap as PNG' });
        if (!target) return;
        await fs.writeFile(target.fsPath, Buffer.from(m.dataUrl.slice(m.dataUrl.indexOf(',') + 1), 'base64'));
        void vscode.window.setStatusBarMessage(`SE Inspector: saved ${path.basename(target.fsPath)}`, 3000);
        return;
      }
      case 'exportCsv': {
        if (m.subject === 'comparison') {
          const comparison = this.currentComparison();
          if (!comparison) return void vscode.window.showInformationMessage('SE Inspector: pick two runs to compare first.');
          const target = await vscode.window.showSaveDialog({ defaultUri: this.comparisonUri(comparison, 'csv'), filters: { CSV: ['csv'] }, title: 'Export comparison as CSV' });
          if (!target) return;
          await fs.writeFile(target.fsPath, comparisonToCsv(comparison));
          void vscode.window.setStatusBarMessage(`SE Inspector: saved ${path.basename(target.fsPath)}`, 3000);
          return;
        }
        const run = this.currentRun();
        if (!run) return void vscode.window.showInformationMessage('SE Inspector: run the model on an image first.');
        const target = await vscode.window.showSaveDialog({ defaultUri: this.exportUri(run, 'csv'), filters: { CSV: ['csv'] }, title: 'Export excitation as CSV' });
        if (!target) return;
        await fs.writeFile(target.fsPath, runToCsv(run));
        void vscode.window.setStatusBarMessage(`SE Inspector: saved ${path.basename(target.fsPath)}`, 3000);
        return;
      }
      case 'exportReport':
        return this.exportReport(m.format);
      case 'showRun': {
        const uri = this.modelUri();
        if (uri) this.ctx.showRun(uri, m.id);
        return;
      }
      case 'runFolder': {
        const uri = this.modelUri();
        if (!uri) return void vscode.window.showInformationMessage('SE Inspector: open a model first.');
        const picked = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Run model on these images', title: 'SE Inspector: a folder of images' });
        if (picked?.[0]) await this.ctx.runOnFolder(uri, picked[0]);
        return;
      }
      default:
        assertNever(m);
    }
  }

  /** Saves the model's report: Markdown, or JSON as `se-inspector inspect --json` prints it. */
  async exportReport(format: 'markdown' | 'json'): Promise<void> {
    const uri = this.modelUri();
    const entry = uri ? this.ctx.entry(uri) : undefined;
    if (!uri || !entry?.report) return void vscode.window.showInformationMessage('SE Inspector: the model has no report to export.');
    const md = format === 'markdown';
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const stem = `${entry.report.model.name.replace(/[^\w.-]/g, '_')}-report.${md ? 'md' : 'json'}`;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, stem) : undefined,
      filters: md ? { Markdown: ['md'] } : { JSON: ['json'] },
      title: md ? 'Export the report as Markdown' : 'Export the report as JSON (as se-inspector inspect --json)',
    });
    if (!target) return;
    await fs.writeFile(target.fsPath, md ? reportToMarkdown(entry.report, vscode.workspace.asRelativePath(uri), entry.run) : reportToJson(entry.report));
    void vscode.window.setStatusBarMessage(`SE Inspector: saved ${path.basename(target.fsPath)}`, 3000);
  }

  /** The graph view's node clicks; other views send none. */
  protected async graphSelect(_layer: string): Promise<void> {}

  /** Sends the model's run history and the comparison picked. */
  protected sendHistory(): void {
    const uri = this.modelUri();
    if (!uri) return this.post({ type: 'history', runs: [], comparison: null, error: null });
    const h = this.ctx.historyOf(uri);
    this.post({ type: 'history', runs: h.runs.map(summaryOf), comparison: h.comparison, error: h.error });
  }

  private currentComparison() {
    const uri = this.modelUri();
    return uri ? (this.ctx.historyOf(uri).comparison ?? undefined) : undefined;
  }

  private comparisonUri(c: Comparison, ext: string): vscode.Uri | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!folder) return undefined;
    const stem = (n: string) => n.replace(/\.[^.]+$/, '');
    return vscode.Uri.joinPath(folder, `${`${stem(c.b.imageName)}-minus-${stem(c.a.imageName)}-comparison`.replace(/[^\w.-]/g, '_')}.${ext}`);
  }

  protected currentRun() {
    const uri = this.modelUri();
    return uri ? this.ctx.entry(uri)?.run : undefined;
  }

  private exportUri(run: ReturnType<WebviewHost['currentRun']>, ext: string): vscode.Uri | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!folder) return undefined;
    const stem = run ? `${run.modelName}-${run.imageName.replace(/\.[^.]+$/, '')}-excitation` : 'excitation';
    return vscode.Uri.joinPath(folder, `${stem.replace(/[^\w.-]/g, '_')}.${ext}`);
  }
}
