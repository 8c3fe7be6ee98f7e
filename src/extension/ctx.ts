/**
 * The extension's one context: the worker, the settings, the models read so far (by URI), the
 * model in focus and the last excitation run. Views and providers read from here and listen
 * to its events; it never touches a webview itself.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { InspectReport } from '../analysis/report.js';
import * as fs from 'node:fs/promises';
import { probeImage } from '../image/probe.js';
import type { Comparison, ExcitationRun } from '../protocol/messages.js';
import { CancelledError, InspectorError, userMessage } from '../util/errors.js';
import { Config } from './config.js';
import { toRun } from './excitationView.js';
import { compareRuns, MAX_RUNS, RunHistory } from './runHistory.js';
import { WorkerClient, WorkerError } from './worker/client.js';
import type { InspectResult } from './worker/workerProtocol.js';
import { looksLikeModelJson } from '../hover/jsonHover.js';

export const MODEL_EXTENSIONS = ['.keras', '.h5', '.hdf5', '.json'];
export const IMAGE_GLOB = '**/*.{png,jpg,jpeg,PNG,JPG,JPEG}';
const EXCLUDED_DIRS = ['node_modules', '.git', '.test-work', 'dist', 'out'];
const EXCLUDE = `{${EXCLUDED_DIRS.map((d) => `**/${d}/**`).join(',')}}`;
/** JSON files that are never models (glob groups cannot nest, so this is one flat group). */
const EXCLUDE_JSON = `{${[...EXCLUDED_DIRS.map((d) => `**/${d}/**`), '**/package.json', '**/package-lock.json', '**/tsconfig*.json', '**/.vscode/**'].join(',')}}`;

export interface ModelEntry {
  uri: vscode.Uri;
  report?: InspectReport;
  sources?: InspectResult['sources'];
  edges?: InspectResult['edges'];
  /** Why the model could not be read (one line). */
  error?: string;
  run?: ExcitationRun;
  runError?: string;
  /** mtime of the file the report was made from. */
  mtime?: number;
  /** The two runs of the history compared (ids), B minus A. */
  comparison?: { a: string; b: string };
}

export type ModelChange = { key: string; what: 'report' | 'run' | 'busy' | 'history'; message?: string };

export const keyOf = (uri: vscode.Uri) => uri.toString();

const RECENT_IMAGES_KEY = 'seInspector.recentImages';

/** The log line of an error: ours as one line (ordinary bad input), anything else with its stack (a bug). */
export function logLine(what: string, e: unknown): string {
  if (e instanceof InspectorError) return `${what}: ${e.message}`;
  return `${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
}

export function isModelPath(p: string): boolean {
  return MODEL_EXTENSIONS.includes(path.extname(p).toLowerCase());
}

export class Ctx implements vscode.Disposable {
  readonly config = new Config();
  readonly worker: WorkerClient;
  /** Each model's recent runs, kept in the workspace state. */
  readonly history: RunHistory;
  private readonly entries = new Map<string, ModelEntry>();
  private readonly inflight = new Map<string, Promise<ModelEntry>>();
  private readonly _onDidChangeModel = new vscode.EventEmitter<ModelChange>();
  readonly onDidChangeModel = this._onDidChangeModel.event;
  private readonly _onDidChangeFocus = new vscode.EventEmitter<void>();
  readonly onDidChangeFocus = this._onDidChangeFocus.event;
  private readonly _onDidRun = new vscode.EventEmitter<ExcitationRun>();
  readonly onDidRun = this._onDidRun.event;
  private _focus: vscode.Uri | undefined;
  lastRun: ExcitationRun | undefined;
  private workspaceIndex: Promise<Map<string, { uri: vscode.Uri; report: InspectReport }[]>> | undefined;

  constructor(
    readonly extension: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.worker = new WorkerClient(path.join(extension.extensionUri.fsPath, 'dist', 'worker.cjs'), (l) => log.warn(l));
    this.history = new RunHistory(extension.workspaceState);
    this.restoreRuns();
  }

  /** Runs of earlier sessions (the run history, in workspace state): each model shows its last run again. */
  private restoreRuns(): void {
    for (const key of this.history.keys()) {
      const last = this.history.list(key).at(-1);
      if (!last) continue;
      try {
        const uri = vscode.Uri.parse(key, true);
        this.entries.set(key, { uri, run: last.run });
      } catch {
        /* a key from another version: drop it */
      }
    }
  }

  /** Images run most recently, newest first (the image quick pick offers the first one). */
  get recentImages(): string[] {
    return this.extension.workspaceState.get<string[]>(RECENT_IMAGES_KEY) ?? [];
  }

  private noteImage(imagePath: string): void {
    void this.extension.workspaceState.update(RECENT_IMAGES_KEY, [imagePath, ...this.recentImages.filter((p) => p !== imagePath)].slice(0, 20));
  }

  /** Shows an earlier run of the history again (id: a RunSummary's). */
  showRun(modelUri: vscode.Uri, id: string): boolean {
    const key = keyOf(modelUri);
    const entry = this.entries.get(key);
    const record = this.history.get(key, id);
    if (!entry || !record) return false;
    entry.run = record.run;
    entry.runError = undefined;
    this._onDidChangeModel.fire({ key, what: 'run' });
    return true;
  }

  dispose(): void {
    clearTimeout(this.keysTimer);
    this.worker.dispose();
    this._onDidChangeModel.dispose();
    this._onDidChangeFocus.dispose();
    this._onDidRun.dispose();
  }

  get focus(): vscode.Uri | undefined {
    return this._focus;
  }
  get focusEntry(): ModelEntry | undefined {
    return this._focus ? this.entries.get(keyOf(this._focus)) : undefined;
  }
  entry(uri: vscode.Uri): ModelEntry | undefined {
    return this.entries.get(keyOf(uri));
  }

  setFocus(uri: vscode.Uri | undefined): void {
    if (uri && this._focus && keyOf(uri) === keyOf(this._focus)) return;
    if (!uri) return; // keep the last model in focus when an unrelated editor becomes active
    this._focus = uri;
    this.updateFocusKey();
    this._onDidChangeFocus.fire();
    void this.inspect(uri).then(() => this._onDidChangeFocus.fire(), () => undefined);
  }

  /** `seInspector.focusBroken`: the model in focus could not be read (no "Run model on image..." then). */
  private updateFocusKey(): void {
    void vscode.commands.executeCommand('setContext', 'seInspector.hasFocus', !!this._focus);
    void vscode.commands.executeCommand('setContext', 'seInspector.focusBroken', !!this.focusEntry?.error);
  }

  private keysTimer: NodeJS.Timeout | undefined;
  /**
   * Context keys of the explorer's menus (package.json `when`): the names of the JSON files that are
   * models, of the folders holding a model.json, and of the folders holding images. Debounced.
   */
  refreshWorkspaceKeys(delayMs = 500): void {
    clearTimeout(this.keysTimer);
    this.keysTimer = setTimeout(() => {
      void (async () => {
        const models = await this.findWorkspaceModels();
        const images = await this.findWorkspaceImages();
        const names = (us: vscode.Uri[]) => [...new Set(us.map((u) => path.basename(u.fsPath)))];
        const jsons = models.filter((u) => /\.json$/i.test(u.fsPath));
        await vscode.commands.executeCommand('setContext', 'seInspector.modelJsonNames', names(jsons));
        await vscode.commands.executeCommand('setContext', 'seInspector.modelFolderNames', names(jsons.filter((u) => path.basename(u.fsPath) === 'model.json').map((u) => vscode.Uri.file(path.dirname(u.fsPath)))));
        await vscode.commands.executeCommand('setContext', 'seInspector.imageFolderNames', names(images.map((u) => vscode.Uri.file(path.dirname(u.fsPath)))));
      })().catch((e) => this.log.warn(logLine('finding the workspace models', e)));
    }, delayMs);
  }

  /** The report of a model, read in the worker; cached until the file changes. Never rejects: errors land in `entry.error`. */
  async inspect(uri: vscode.Uri, opts: { force?: boolean } = {}): Promise<ModelEntry> {
    const key = keyOf(uri);
    let mtime: number | undefined;
    try {
      mtime = (await vscode.workspace.fs.stat(uri)).mtime;
    } catch {
      /* missing: the worker says so */
    }
    const cached = this.entries.get(key);
    if (!opts.force && cached && (cached.report || cached.error) && cached.mtime === mtime) return cached;
    const running = this.inflight.get(key);
    if (running) return running;
    this._onDidChangeModel.fire({ key, what: 'busy', message: `Reading ${path.basename(uri.fsPath)}…` });
    const job = (async () => {
      const entry: ModelEntry = this.entries.get(key) ?? { uri };
      entry.mtime = mtime;
      try {
        if (uri.scheme !== 'file') throw new Error(`only files on disk can be read (got a ${uri.scheme}: URI)`);
        const r = await this.worker.request({ kind: 'inspect', path: uri.fsPath, ratios: this.config.ratios });
        entry.report = r.report;
        entry.sources = r.sources;
        entry.edges = r.edges;
        entry.error = undefined;
      } catch (e) {
        entry.report = undefined;
        entry.sources = undefined;
        entry.edges = undefined;
        entry.error = userMessage(e);
        // a WorkerError is the model's fault and already shown (instanceof: the production bundle renames classes)
        if (!(e instanceof WorkerError)) this.log.error(logLine(`inspect ${uri.fsPath}`, e));
      }
      this.entries.set(key, entry);
      this.updateFocusKey();
      this._onDidChangeModel.fire({ key, what: 'report' });
      if (this._focus && keyOf(this._focus) === key) this._onDidChangeFocus.fire();
      return entry;
    })();
    this.inflight.set(key, job);
    try {
      return await job;
    } finally {
      if (this.inflight.get(key) === job) this.inflight.delete(key);
    }
  }

  /** Settings that change the report (ratios): re-read every model. */
  reinspectAll(): void {
    this.workspaceIndex = undefined;
    for (const e of this.entries.values()) void this.inspect(e.uri, { force: true });
  }

  /**
   * Runs the model on an image in the worker, with a cancellable progress notification. The image
   * is checked first (a broken image is said before the model is read), then the model.
   */
  async runOnImage(modelUri: vscode.Uri, imagePath: string, opts: { quiet?: boolean } = {}): Promise<ExcitationRun | undefined> {
    const key = keyOf(modelUri);
    const image = path.basename(imagePath);
    const entry0 = this.entries.get(key) ?? { uri: modelUri };
    this.entries.set(key, entry0);
    try {
      probeImage(new Uint8Array(await fs.readFile(imagePath)), imagePath, true);
    } catch (e) {
      const msg = e instanceof InspectorError ? e.message : `${imagePath}: cannot be read (${(e as NodeJS.ErrnoException).code ?? userMessage(e)})`;
      entry0.runError = msg;
      this.log.warn(`run on ${imagePath}: ${msg}`);
      if (!opts.quiet) void vscode.window.showErrorMessage(`SE Inspector: ${msg}`);
      this._onDidChangeModel.fire({ key, what: 'run' });
      return undefined;
    }
    const entry = await this.inspect(modelUri);
    if (!entry.report) {
      void vscode.window.showErrorMessage(`SE Inspector: ${entry.error ?? 'the model could not be read'}`);
      return undefined;
    }
    const report = entry.report;
    this._onDidChangeModel.fire({ key, what: 'busy', message: `Running ${report.model.name} on ${image}…` });
    try {
      const request = { kind: 'excite' as const, modelPath: modelUri.fsPath, imagePath, ratios: this.config.ratios, backend: this.config.backend, threads: this.config.threads, preprocess: this.config.preprocess, labels: this.config.labels };
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `SE Inspector: ${report.model.name} on ${image}`, cancellable: true },
        (progress, token) => this.worker.request(request, { token, onProgress: (message) => progress.report({ message }) }),
      );
      const run = toRun(result, { name: report.model.name, path: modelUri.fsPath }, imagePath);
      entry.run = run;
      entry.runError = undefined;
      this.lastRun = run;
      this.noteImage(imagePath);
      // the new run is compared with the one before it until the user picks two others
      const previous = this.history.list(key).at(-1);
      const record = this.history.add(key, run);
      if (previous) entry.comparison = { a: previous.id, b: record.id };
      this.log.info(`ran ${modelUri.fsPath} on ${imagePath}: ${run.blocks.length} blocks, backend ${run.backend} (${run.backendReason}), ${run.timings.run.toFixed(0)} ms`);
      const invalid = run.blocks.reduce((a, b) => a + b.nonFinite, 0);
      if (invalid) void vscode.window.showWarningMessage(`SE Inspector: ${invalid} excitation values are NaN/Inf (drawn hatched as invalid).`);
      this._onDidChangeModel.fire({ key, what: 'run' });
      this._onDidChangeModel.fire({ key, what: 'history' });
      this._onDidRun.fire(run);
      return run;
    } catch (e) {
      if (e instanceof CancelledError) {
        entry.runError = undefined;
        this._onDidChangeModel.fire({ key, what: 'run' });
        void vscode.window.setStatusBarMessage('SE Inspector: run cancelled', 3000);
        return undefined;
      }
      entry.runError = userMessage(e);
      this.log.error(logLine(`excite ${modelUri.fsPath} on ${imagePath}`, e));
      if (!opts.quiet) void vscode.window.showErrorMessage(`SE Inspector: ${entry.runError}`);
      this._onDidChangeModel.fire({ key, what: 'run' });
      return undefined;
    }
  }

  /** Runs the model on every PNG/JPEG of a folder, one after the other; the runs land in the history. */
  async runOnFolder(modelUri: vscode.Uri, folder: vscode.Uri): Promise<number> {
    const files = (await vscode.workspace.fs.readDirectory(folder)).filter(([n, t]) => t === vscode.FileType.File && /\.(png|jpe?g)$/i.test(n)).map(([n]) => path.join(folder.fsPath, n)).sort();
    if (!files.length) {
      void vscode.window.showWarningMessage(`SE Inspector: ${folder.fsPath} has no PNG or JPEG image.`);
      return 0;
    }
    let ok = 0;
    for (const f of files.slice(0, MAX_RUNS).reverse()) if (await this.runOnImage(modelUri, f, { quiet: true })) ok++;
    const skipped = files.length > MAX_RUNS ? ` (the first ${MAX_RUNS} of ${files.length}: the history keeps ${MAX_RUNS})` : '';
    void vscode.window.showInformationMessage(`SE Inspector: ran ${ok} of ${Math.min(files.length, MAX_RUNS)} images of ${path.basename(folder.fsPath)}${skipped}.`);
    return ok;
  }

  /** Picks two runs of the model's history to compare (B minus A). */
  setComparison(uri: vscode.Uri, a: string, b: string): void {
    const key = keyOf(uri);
    const entry = this.entries.get(key) ?? { uri };
    this.entries.set(key, entry);
    entry.comparison = { a, b };
    this._onDidChangeModel.fire({ key, what: 'history' });
  }

  /** The model's runs and the comparison picked, as the views show them. */
  historyOf(uri: vscode.Uri): { runs: ReturnType<RunHistory['list']>; comparison: Comparison | null; error: string | null } {
    const key = keyOf(uri);
    const runs = this.history.list(key);
    // none picked (e.g. after a reload: the runs come back from the workspace state): the last two
    const pick = this.entries.get(key)?.comparison ?? (runs.length >= 2 ? { a: runs[runs.length - 2].id, b: runs[runs.length - 1].id } : undefined);
    const a = pick && this.history.get(key, pick.a);
    const b = pick && this.history.get(key, pick.b);
    if (!a || !b) return { runs, comparison: null, error: null };
    try {
      return { runs, comparison: compareRuns(a, b), error: null };
    } catch (e) {
      return { runs, comparison: null, error: userMessage(e) };
    }
  }

  /** Shows a layer (or an SE block's first layer) in the model's JSON text, beside the report. */
  async reveal(uri: vscode.Uri, layer: string): Promise<boolean> {
    const entry = await this.inspect(uri);
    const block = entry.report?.seBlocks.find((b) => b.name === layer);
    const names = block ? [...block.layers, block.scaledLayer] : [layer];
    const target = names.find((n) => entry.sources?.[n]);
    const src = target ? entry.sources![target] : undefined;
    if (!target || !src) {
      void vscode.window.showInformationMessage(`SE Inspector: '${layer}' has no position in a text file (only JSON models can be revealed).`);
      return false;
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    const start = doc.positionAt(src.start);
    const end = doc.positionAt(src.end);
    const sel = new vscode.Selection(doc.positionAt(src.start + 1), doc.positionAt(Math.max(src.start + 1, src.end - 1)));
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false, selection: sel });
    editor.revealRange(new vscode.Range(start, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return true;
  }

  /** Model files of the workspace: .keras/.h5/.hdf5, model.json, and JSON files that look like Keras/tfjs models. */
  async findWorkspaceModels(limit = 200): Promise<vscode.Uri[]> {
    const binary = await vscode.workspace.findFiles('**/*.{keras,h5,hdf5}', EXCLUDE, limit);
    const json = await vscode.workspace.findFiles('**/*.json', EXCLUDE_JSON, 2000);
    const models: vscode.Uri[] = [...binary];
    for (const u of json) {
      if (models.length >= limit) break;
      if (path.basename(u.fsPath) === 'model.json') {
        models.push(u);
        continue;
      }
      try {
        const st = await vscode.workspace.fs.stat(u);
        if (st.size > 50 * 1024 * 1024) continue;
        const head = Buffer.from(await vscode.workspace.fs.readFile(u)).subarray(0, 200_000).toString('utf8');
        if (looksLikeModelJson(head)) models.push(u);
      } catch {
        /* unreadable: skip */
      }
    }
    return models.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  }

  /** Layer name → the workspace models that have it (for Python hovers). Built once, reset when models change. */
  layerIndex(): Promise<Map<string, { uri: vscode.Uri; report: InspectReport }[]>> {
    this.workspaceIndex ??= (async () => {
      const index = new Map<string, { uri: vscode.Uri; report: InspectReport }[]>();
      for (const uri of await this.findWorkspaceModels(50)) {
        const e = await this.inspect(uri);
        if (!e.report) continue;
        for (const l of e.report.layers) index.set(l.name, [...(index.get(l.name) ?? []), { uri, report: e.report }]);
      }
      return index;
    })();
    const mine = this.workspaceIndex;
    mine.catch((e) => {
      this.log.error(`indexing the workspace's models: ${e instanceof Error ? e.message : String(e)}`);
      if (this.workspaceIndex === mine) this.workspaceIndex = undefined;
    });
    return mine;
  }

  /** A model file changed on disk: drop its report and the layer index. */
  modelFileChanged(uri: vscode.Uri): void {
    this.workspaceIndex = undefined;
    this.refreshWorkspaceKeys();
    const e = this.entries.get(keyOf(uri));
    if (e) void this.inspect(uri, { force: true });
  }

  async findWorkspaceImages(limit = 500): Promise<vscode.Uri[]> {
    return (await vscode.workspace.findFiles(IMAGE_GLOB, EXCLUDE, limit)).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  }
}
