/** The status bar item: the backend of the last run (onnx, tfjs-node, wasm or cpu) and why. */
import * as vscode from 'vscode';
import type { Ctx } from './ctx.js';
import { Disposable } from './dispose.js';

export class BackendStatus extends Disposable {
  readonly item: vscode.StatusBarItem;

  constructor(private readonly ctx: Ctx) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('seInspector.backend', vscode.StatusBarAlignment.Right, 100));
    this.item.name = 'SE Inspector backend';
    this.item.command = { command: 'workbench.action.openSettings', title: 'Backend setting', arguments: ['seInspector.backend'] };
    this._register(ctx.onDidRun(() => this.update()));
    this._register(ctx.onDidChangeFocus(() => this.update()));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => ctx.config.affects(e, 'backend') && this.update()));
    this.update();
  }

  update(): void {
    const run = this.ctx.lastRun;
    const setting = this.ctx.config.backend;
    if (run) {
      this.item.text = `$(server-process) SE: ${run.backend}`;
      this.item.tooltip = new vscode.MarkdownString(
        `**SE Inspector backend: ${run.backend}**\n\n${run.backendReason}\n\nsetting \`seInspector.backend\` = \`${setting}\` · last run: ${run.modelName} on ${run.imageName} (${run.timings.run.toFixed(0)} ms)\n\nClick to change the setting.`,
      );
      this.item.show();
    } else if (this.ctx.focus) {
      this.item.text = `$(server-process) SE: ${setting}`;
      this.item.tooltip = `SE Inspector: no model run yet; the backend is chosen at the first run (setting seInspector.backend = ${setting}). Click to change.`;
      this.item.show();
    } else this.item.hide();
  }
}
