/**
 * Activation: builds the one Ctx and registers every provider, command and listener into
 * context.subscriptions. Returns a small API (used by the integration tests).
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands.js';
import { Ctx, isModelPath } from './ctx.js';
import { GraphViews } from './graphView.js';
import { registerHovers } from './hovers.js';
import { ModelReportProvider } from './modelReport.js';
import { BlocksTreeProvider, HeatmapViewProvider } from './sidePanel.js';
import { BackendStatus } from './statusBar.js';

export interface Api {
  ctx: Ctx;
  reports: ModelReportProvider;
  tree: BlocksTreeProvider;
  heatmap: HeatmapViewProvider;
  status: BackendStatus;
  graphs: GraphViews;
}

export function activate(context: vscode.ExtensionContext): Api {
  const log = vscode.window.createOutputChannel('SE Inspector', { log: true });
  context.subscriptions.push(log);
  const ctx = new Ctx(context, log);
  context.subscriptions.push(ctx);

  const reports = ModelReportProvider.register(ctx);
  context.subscriptions.push(reports.disposable);

  const tree = BlocksTreeProvider.register(ctx);
  context.subscriptions.push(tree);
  const heatmap = new HeatmapViewProvider(ctx);
  context.subscriptions.push(vscode.window.registerWebviewViewProvider(HeatmapViewProvider.viewId, heatmap, HeatmapViewProvider.options));

  const status = new BackendStatus(ctx);
  context.subscriptions.push(status);

  const graphs = new GraphViews(ctx, reports.provider);
  context.subscriptions.push(graphs);
  context.subscriptions.push(...registerCommands({ ctx, tree, reports: reports.provider, graphs }));
  context.subscriptions.push(...registerHovers(ctx));

  // the model in focus follows the active text editor when it shows a model JSON
  const follow = (e: vscode.TextEditor | undefined) => {
    const uri = e?.document.uri;
    if (uri && uri.scheme === 'file' && isModelPath(uri.fsPath) && /"(class_name|modelTopology)"\s*:/.test(e.document.getText(new vscode.Range(0, 0, 200, 0)))) ctx.setFocus(uri);
  };
  context.subscriptions.push(vscode.window.onDidChangeActiveTextEditor(follow));
  follow(vscode.window.activeTextEditor);

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (ctx.config.affects(e, 'ratios')) ctx.reinspectAll();
    }),
  );
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.{keras,h5,hdf5,json}');
  context.subscriptions.push(watcher, watcher.onDidChange((u) => ctx.modelFileChanged(u)), watcher.onDidCreate((u) => ctx.modelFileChanged(u)), watcher.onDidDelete((u) => ctx.modelFileChanged(u)));

  ctx.refreshWorkspaceKeys(0);
  // the test-only command (event-loop delay) is offered in the palette only to the e2e
  if (process.env.SE_INSPECTOR_TEST) void vscode.commands.executeCommand('setContext', 'seInspector.testMode', true);
  log.info(`SE Inspector activated (${context.extensionUri.fsPath})`);
  return { ctx, reports: reports.provider, tree, heatmap, status, graphs };
}

export function deactivate(): void {}
