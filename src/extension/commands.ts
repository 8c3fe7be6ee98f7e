/** The command table: one factory per `seInspector.<name>`, its keys those of COMMAND_TITLES. */
import * as vscode from 'vscode';
import { type CommandName, commandId } from './commandIds.js';
import { looksLikeModelJson } from '../hover/jsonHover.js';
import { isModelPath, type Ctx } from './ctx.js';
import { pickImageByQuickPick } from './images.js';
import { ModelReportProvider } from './modelReport.js';
import { pickFile } from './pickFile.js';
import type { BlocksTreeProvider } from './sidePanel.js';
import { EventLoopProbe } from './eventLoop.js';
import type { GraphViews } from './graphView.js';
import { SpecificityView } from './specificityView.js';

export interface Parts {
  ctx: Ctx;
  tree: BlocksTreeProvider;
  reports: ModelReportProvider;
  graphs: GraphViews;
}

/** A folder's model: its model.json (a tfjs model is a folder), else its only model file. */
async function modelInFolder(folder: vscode.Uri): Promise<vscode.Uri | undefined> {
  const names = (await vscode.workspace.fs.readDirectory(folder)).filter(([, t]) => t === vscode.FileType.File).map(([n]) => n);
  if (names.includes('model.json')) return vscode.Uri.joinPath(folder, 'model.json');
  const models = names.filter((n) => /\.(keras|h5|hdf5)$/i.test(n));
  return models.length === 1 ? vscode.Uri.joinPath(folder, models[0]) : undefined;
}

async function isFolder(uri: vscode.Uri): Promise<boolean> {
  try {
    return ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory) !== 0;
  } catch {
    return false;
  }
}

/** The model a command runs: read first, so that a broken one says so before any image is asked for. */
async function readableModel(ctx: Ctx, uri: vscode.Uri): Promise<boolean> {
  const entry = await ctx.inspect(uri);
  if (entry.report) return true;
  void vscode.window.showErrorMessage(`SE Inspector: ${entry.error ?? 'the model could not be read'}`);
  return false;
}

const probe = new EventLoopProbe();
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
      let uri = activeModel(arg, { reports: false }) ?? (await pickModel(ctx));
      if (!uri) return undefined;
      if (await isFolder(uri)) {
        const inside = await modelInFolder(uri);
        if (!inside) return void vscode.window.showWarningMessage(`SE Inspector: ${vscode.workspace.asRelativePath(uri)} holds no model.json (nor one .keras/.h5 file).`);
        uri = inside;
      }
      await openReport(uri);
      return uri;
    },
  chooseImage:
    ({ ctx }) =>
    async (arg, image) => {
      const uri = arg instanceof vscode.Uri ? arg : (ctx.focus ?? activeModel(undefined));
      if (!uri) return void vscode.window.showInformationMessage('SE Inspector: open a model first (Inspect SE model).');
      ctx.setFocus(uri);
      // a given image is checked before the model (runOnImage); a picked one only for a model that can run
      if (typeof image === 'string') return ctx.runOnImage(uri, image);
      if (!(await readableModel(ctx, uri))) return undefined;
      const imagePath = await pickImageByQuickPick(ctx);
      if (!imagePath) return undefined;
      return ctx.runOnImage(uri, imagePath);
    },
  runOnFolder:
    ({ ctx }) =>
    async (arg, folderArg) => {
      const uri = arg instanceof vscode.Uri && !(await isFolder(arg)) ? arg : (ctx.focus ?? activeModel(undefined));
      if (!uri) return void vscode.window.showInformationMessage('SE Inspector: open a model first (Inspect SE model).');
      if (!(await readableModel(ctx, uri))) return 0;
      const folder = folderArg instanceof vscode.Uri ? folderArg : arg instanceof vscode.Uri && (await isFolder(arg)) ? arg : (await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Run model on these images', title: 'SE Inspector: a folder of images' }))?.[0];
      if (!folder) return 0;
      ctx.setFocus(uri);
      return ctx.runOnFolder(uri, folder);
    },
  classSpecificity:
    ({ ctx }) =>
    async (arg, modelArg) => {
      // on a folder (explorer) or from the palette: the folder of class subfolders, then the model (in focus, else asked)
      const folder = arg instanceof vscode.Uri && (await isFolder(arg)) ? arg : (await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Class specificity', title: 'SE Inspector: a folder with one subfolder of images per class' }))?.[0];
      if (!folder) return undefined;
      const model = modelArg instanceof vscode.Uri ? modelArg : (ctx.focus ?? activeModel(undefined) ?? (await pickModel(ctx)));
      if (!model || !(await readableModel(ctx, model))) return undefined;
      ctx.setFocus(model);
      return (await SpecificityView.runAndShow(ctx, model, folder))?.run;
    },
  exportReport:
    ({ ctx, reports }) =>
    async (arg, format) => {
      const uri = activeModel(arg) ?? ctx.focus;
      const view = uri && reports.viewFor(uri);
      if (!view) return void vscode.window.showInformationMessage('SE Inspector: open a model report first.');
      const f = format === 'json' || format === 'markdown' ? format : (await vscode.window.showQuickPick([{ label: 'Markdown', f: 'markdown' as const }, { label: 'JSON (as se-inspector inspect --json)', f: 'json' as const }], { title: 'Export the report as' }))?.f;
      if (f) await view.exportReport(f);
    },
  eventLoopDelay:
    ({ ctx }) =>
    async (action) => {
      // test-only (hidden unless SE_INSPECTOR_TEST is set): the e2e measures stalls of this thread
      if (action === 'start' || action === undefined && !probe.running) {
        probe.start();
        ctx.log.info('event-loop probe: started');
        return undefined;
      }
      const r = probe.stop();
      ctx.log.info(`event-loop probe: max ${r.maxMs.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, mean ${r.meanMs.toFixed(1)} ms over ${(r.spanMs / 1000).toFixed(1)} s${r.stalls.length ? `; stalls: ${r.stalls.map((x) => `${x.ms} ms (${x.cpuMs} ms CPU) at ${x.at.slice(11, 23)}`).join(', ')}` : ''}`);
      return r;
    },
  refresh:
    ({ ctx, tree }) =>
    async () => {
      if (ctx.focus) await ctx.inspect(ctx.focus, { force: true });
      tree.refresh();
    },
  revealLayer:
    ({ ctx, reports }) =>
    async (uri, layer) => {
      if (!(uri instanceof vscode.Uri) || typeof layer !== 'string') return false;
      if (/\.json$/i.test(uri.fsPath)) return ctx.reveal(uri, layer);
      // a binary model has no text to show: its report shows the block's rows instead
      await openReport(uri);
      const view = reports.viewFor(uri);
      view?.highlight(layer);
      return !!view;
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
