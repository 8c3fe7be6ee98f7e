/** The command table: one factory per `seInspector.<name>`, its keys those of COMMAND_TITLES. */
import * as vscode from 'vscode';
import { type CommandName, commandId } from './commandIds.js';
import { looksLikeModelJson } from '../hover/jsonHover.js';
import { isModelPath, type Ctx } from './ctx.js';
import { pickImageByQuickPick } from './images.js';
import { ModelReportProvider } from './modelReport.js';
import { pickFile } from './pickFile.js';
import type { BlocksTreeProvider } from './sidePanel.js';
import type { GraphViews } from './graphView.js';

export interface Parts {
  ctx: Ctx;
  tree: BlocksTreeProvider;
  graphs: GraphViews;
}
type Cmd = (...args: unknown[]) => unknown;

/**
 * The model the user means: the command's argument, else the active editor/tab if it is a model.
 * `reports: false` skips an active report tab (Inspect SE model there means "another model").
 */
export function activeModel(arg: unknown, opts: { reports?: boolean } = {}): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputCustom && ModelReportProvider.isReport(tab.viewType)) return opts.reports === false ? undefined : tab.uri;
  if (tab instanceof vscode.TabInputText && isModelText(tab.uri)) return tab.uri;
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && isModelText(doc.uri)) return doc.uri;
  return undefined;
}

/** A model file open as text: .keras/.h5 always; a .json only if it looks like a model (not package.json, settings...). */
function isModelText(uri: vscode.Uri): boolean {
  if (!isModelPath(uri.fsPath)) return false;
  if (!/\.json$/i.test(uri.fsPath)) return true;
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  return !!doc && looksLikeModelJson(doc.getText(new vscode.Range(0, 0, 2000, 0)));
}

function pickModel(ctx: Ctx): Promise<vscode.Uri | undefined> {
  return pickFile({
    title: 'SE Inspector: inspect a model',
    placeholder: 'Model file (.keras, .h5, model.json, Keras JSON)',
    find: () => ctx.findWorkspaceModels(),
    browse: 'last',
    dialog: { filters: { Models: ['keras', 'h5', 'hdf5', 'json'] }, openLabel: 'Inspect', title: 'SE Inspector: choose a model' },
  });
}

export async function openReport(uri: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('vscode.openWith', uri, ModelReportProvider.viewTypeFor(uri));
}

const TABLE: Record<CommandName, (p: Parts) => Cmd> = {
  inspectModel:
    ({ ctx }) =>
    async (arg) => {
      // from the palette on an open report: its model is already shown, so offer the others
      const uri = activeModel(arg, { reports: false }) ?? (await pickModel(ctx));
      if (!uri) return undefined;
      await openReport(uri);
      return uri;
    },
  chooseImage:
    ({ ctx }) =>
    async (arg, image) => {
      const uri = arg instanceof vscode.Uri ? arg : (ctx.focus ?? activeModel(undefined));
      if (!uri) return void vscode.window.showInformationMessage('SE Inspector: open a model first (Inspect SE model).');
      const imagePath = typeof image === 'string' ? image : await pickImageByQuickPick(ctx);
      if (!imagePath) return undefined;
      ctx.setFocus(uri);
      return ctx.runOnImage(uri, imagePath);
    },
  refresh:
    ({ ctx, tree }) =>
    async () => {
      if (ctx.focus) await ctx.inspect(ctx.focus, { force: true });
      tree.refresh();
    },
  revealLayer:
    ({ ctx }) =>
    async (uri, layer) => {
      if (!(uri instanceof vscode.Uri) || typeof layer !== 'string') return false;
      if (/\.json$/i.test(uri.fsPath)) return ctx.reveal(uri, layer);
      await openReport(uri);
      return false;
    },
  openGraph:
    ({ ctx, graphs }) =>
    async (arg) => {
      const uri = activeModel(arg) ?? ctx.focus ?? (await pickModel(ctx));
      if (!uri) return undefined;
      graphs.show(uri);
      return uri;
    },
};

export function registerCommands(parts: Parts): vscode.Disposable[] {
  return (Object.keys(TABLE) as CommandName[]).map((name) => vscode.commands.registerCommand(commandId(name), TABLE[name](parts)));
}
