/**
 * "Class specificity...": a class folder run in the worker (cancellable progress), then a webview
 * panel with per block the class-mean excitations (the SENet paper's Fig. 6), the scores per block
 * and the ablation table; CSV and PNG export. The page is webview/specificity.ts.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SpecificityRun, SpecificityToWebview } from '../protocol/messages.js';
import { CancelledError, userMessage } from '../util/errors.js';
import type { Ctx } from './ctx.js';
import { checkSpecificityMessage, specificityCsv } from './specificityTables.js';
import { htmlFor, webviewOptions } from './webviewHtml.js';

const VIEW_TYPE = 'seInspector.specificity';
/** A page whose script never said `ready` (a code-server resource race) is loaded again, once. */
const START_TIMEOUT_MS = 15_000;

export class SpecificityView {
  /** The open views, newest last (tests and the command read the last). */
  static readonly open: SpecificityView[] = [];
  private ready = false;

  private constructor(
    private readonly ctx: Ctx,
    private readonly panel: vscode.WebviewPanel,
    readonly run: SpecificityRun,
  ) {
    const webview = panel.webview;
    webview.options = webviewOptions(ctx.extension.extensionUri);
    const render = () => (webview.html = htmlFor(webview, ctx.extension.extensionUri, 'specificity', panel.title));
    render();
    const watchdog = setTimeout(() => {
      if (!this.ready) {
        ctx.log.warn('the specificity webview did not start: loading its page again');
        render();
      }
    }, START_TIMEOUT_MS);
    const sub = webview.onDidReceiveMessage((raw) => void this.receive(raw));
    panel.onDidDispose(() => {
      clearTimeout(watchdog);
      sub.dispose();
      SpecificityView.open.splice(SpecificityView.open.indexOf(this), 1);
    });
    SpecificityView.open.push(this);
  }

  get isReady(): boolean {
    return this.ready;
  }

  private post(m: SpecificityToWebview.Message): void {
    void this.panel.webview.postMessage(m);
  }

  private async receive(raw: unknown): Promise<void> {
    const m = checkSpecificityMessage(raw);
    if (!m) return void this.ctx.log.warn(`specificity view: ignored message ${JSON.stringify(raw)?.slice(0, 200)}`);
    switch (m.type) {
      case 'ready':
        this.ready = true;
        return this.post({ type: 'specificity', run: this.run });
      case 'exportPng':
        return this.save(`${m.what}.png`, { 'PNG image': ['png'] }, Buffer.from(m.dataUrl.slice(m.dataUrl.indexOf(',') + 1), 'base64'));
      case 'exportCsv':
        return this.save(`${m.table}.csv`, { CSV: ['csv'] }, specificityCsv(this.run, m.table));
    }
  }

  private async save(suffix: string, filters: Record<string, string[]>, data: string | Buffer): Promise<void> {
    const base = `${path.basename(this.run.modelPath).replace(/\.[^.]+$/, '')}-specificity-${suffix.replace(/[^\w.-]+/g, '_')}`;
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(path.dirname(this.run.folder), base)), filters, title: `Export ${suffix}` });
    if (!target) return;
    try {
      await fs.writeFile(target.fsPath, data);
      void vscode.window.setStatusBarMessage(`SE Inspector: saved ${path.basename(target.fsPath)}`, 3000);
    } catch (e) {
      void vscode.window.showErrorMessage(`SE Inspector: ${target.fsPath}: cannot be written (${userMessage(e)})`);
    }
  }

  /** Runs `model` on the class folder in the worker and opens the view; undefined if cancelled or failed (said to the user). */
  static async runAndShow(ctx: Ctx, model: vscode.Uri, folder: vscode.Uri): Promise<SpecificityView | undefined> {
    const name = path.basename(folder.fsPath);
    const request = { kind: 'specificity' as const, modelPath: model.fsPath, folder: folder.fsPath, ratios: ctx.config.ratios, backend: ctx.config.backend, threads: ctx.config.threads, preprocess: ctx.config.preprocess };
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `SE Inspector: class specificity of ${path.basename(model.fsPath)} on ${name}`, cancellable: true }, (progress, token) =>
        ctx.worker.request(request, { token, onProgress: (message) => progress.report({ message }) }),
      );
      const run: SpecificityRun = { ...result, modelPath: model.fsPath, folder: folder.fsPath };
      ctx.log.info(`specificity of ${model.fsPath} on ${folder.fsPath}: ${run.blocks.length} blocks, ${run.images} images in ${run.classes.length} classes, ${(run.wallMs / 1000).toFixed(1)} s; scores ${run.blocks.map((b) => b.score.toFixed(3)).join(' ')}`);
      const panel = vscode.window.createWebviewPanel(VIEW_TYPE, `Class specificity: ${run.modelName} on ${name}`, vscode.ViewColumn.Active, { retainContextWhenHidden: true });
      return new SpecificityView(ctx, panel, run);
    } catch (e) {
      if (e instanceof CancelledError) return void vscode.window.setStatusBarMessage('SE Inspector: class specificity cancelled', 3000);
      ctx.log.error(`specificity ${model.fsPath} on ${folder.fsPath}: ${userMessage(e)}`);
      void vscode.window.showErrorMessage(`SE Inspector: ${userMessage(e)}`);
      return undefined;
    }
  }
}
