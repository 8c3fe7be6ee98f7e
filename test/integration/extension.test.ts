// The extension in a real extension host: command → report (9 SE blocks, 1,993,970 params),
// run on chelsea.png in the worker → 9 heatmap rows, the tree (9 items), hovers, status bar, errors.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Api } from '../../src/extension/main.js';
import type { ToWebview } from '../../src/protocol/messages.js';
import { until } from './until.js';

declare const suiteSetup: Mocha.HookFunction;
declare const test: Mocha.TestFunction;
declare const suiteTeardown: Mocha.HookFunction;


export function suite(): void {
  let api: Api;
  let ws: string;
  const model = () => vscode.Uri.file(path.join(ws, 'models/cifar10_se_r8.keras'));
  const lastPosted = <T extends ToWebview.Type>(posted: ToWebview.Message[], type: T) => [...posted].reverse().find((m) => m.type === type) as Extract<ToWebview.Message, { type: T }> | undefined;

  suiteSetup(async () => {
    ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(fs.existsSync(path.join(ws, 'models/cifar10_se_r8.keras')), `test workspace not prepared in '${ws}' (run test/integration/makeFixtures.ts)`);
    const ext = vscode.extensions.getExtension<Api>('se-inspector.se-inspector');
    assert.ok(ext, 'extension se-inspector.se-inspector not found');
    api = await ext.activate();
    assert.ok(api?.ctx, 'activate() returned the API');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('every command of package.json is registered', async () => {
    const all = await vscode.commands.getCommands(true);
    const pkg = vscode.extensions.getExtension('se-inspector.se-inspector')!.packageJSON;
    for (const c of pkg.contributes.commands) assert.ok(all.includes(c.command), c.command);
  });

  test('Inspect SE model opens the report: 9 SE blocks, 1,993,970 params', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('seInspector.inspectModel', model());
    assert.equal(uri?.fsPath, model().fsPath);
    const view = await until('the report view', () => api.reports.viewFor(model()));
    await until('the webview to say ready', () => view.isReady);
    const report = await until('the report message', () => lastPosted(view.posted, 'report'));
    assert.equal(report.report.seBlocks.length, 9);
    assert.equal(report.report.totals.params, 1_993_970);
    assert.equal(report.canReveal, false);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    assert.ok(tab instanceof vscode.TabInputCustom && tab.viewType === 'seInspector.modelReport');
  });

  test('the SE blocks tree lists the 9 blocks of the model in focus', async () => {
    assert.equal(api.ctx.focus?.fsPath, model().fsPath);
    const items = await until('9 tree items', () => {
      const c = api.tree.getChildren();
      return c.length === 9 && c;
    });
    assert.match(String(items[0].description), /^C 64 · r 8 · \+/);
  });

  test('running on chelsea.png in the worker gives 9 heatmap rows and sets the status bar', async () => {
    const image = path.join(ws, 'images/chelsea.png');
    const run = await vscode.commands.executeCommand<import('../../src/protocol/messages.js').ExcitationRun>('seInspector.chooseImage', model(), image);
    assert.ok(run, 'a run');
    assert.equal(run.blocks.length, 9);
    assert.deepEqual(run.blocks.map((b) => b.channels), [64, 64, 64, 128, 128, 128, 256, 256, 256]);
    for (const b of run.blocks) assert.ok(b.values.every((v) => v === null || (v >= 0 && v <= 1)));
    assert.equal(run.top5.length, 5);
    const view = api.reports.viewFor(model())!;
    const posted = await until('the excitation message', () => {
      const m = lastPosted(view.posted, 'excitation');
      return m?.run ? m : undefined;
    });
    assert.equal(posted.run!.blocks.length, 9);
    assert.match(api.status.item.text, /SE: onnx/); // auto: onnxruntime-node is installed next to the development folder
    assert.ok(String((api.status.item.tooltip as vscode.MarkdownString).value).includes(run.backendReason));
  });

  test('hover in a tfjs model.json shows type, params and the SE block', async () => {
    const uri = vscode.Uri.file(path.join(ws, 'models/tfjs/model.json'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const text = doc.getText();
    const at = text.indexOf('"name": "dense_1"') + '"name": "'.length + 2;
    assert.ok(at > 20);
    const hovers = await until('a hover', async () => {
      const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, doc.positionAt(at));
      return h.length > 0 && h;
    });
    const md = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))).join('\n');
    assert.match(md, /`Dense`/);
    assert.match(md, /params \| 520/); // 64*8 + 8
    assert.match(md, /SE block `multiply`\*\* \(reduce\)/);
  });

  test('reveal in the JSON selects the layer name', async () => {
    const uri = vscode.Uri.file(path.join(ws, 'models/tfjs/model.json'));
    assert.equal(await vscode.commands.executeCommand('seInspector.revealLayer', uri, 'dense_1'), true);
    const ed = vscode.window.activeTextEditor!;
    assert.equal(ed.document.uri.fsPath, uri.fsPath);
    assert.equal(ed.document.getText(ed.selection), 'dense_1');
  });

  test('Open With... offers the report for a JSON model, and it lists the SE blocks', async () => {
    const uri = vscode.Uri.file(path.join(ws, 'models/tfjs/model.json'));
    await vscode.commands.executeCommand('vscode.openWith', uri, 'seInspector.modelReportJson');
    const tab = await until('the report tab', () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return t instanceof vscode.TabInputCustom && t.viewType === 'seInspector.modelReportJson' && t;
    });
    assert.equal(tab.uri.fsPath, uri.fsPath);
    const view = await until('the report view', () => api.reports.viewFor(uri));
    const report = await until('the report', () => lastPosted(view.posted, 'report'));
    assert.equal(report.report.seBlocks.length, 9);
    assert.equal(report.canReveal, true, 'layers of a JSON model can be revealed in its text');
  });

  test('hover in Python: SE builder cost for the literal channels and ratio; a named layer from the workspace models', async () => {
    const uri = vscode.Uri.file(path.join(ws, 'se_model.py'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const text = doc.getText();
    const hoverAt = async (offset: number) => {
      const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, doc.positionAt(offset));
      return h.flatMap((x) => x.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))).join('\n');
    };
    const se = await hoverAt(text.indexOf('se_block(x, 64') + 3);
    assert.match(se, /params: \*\*1,096\*\*/);
    assert.match(se, /H·W is not known from the code/);
    const conv = await until('the conv2d_9 hover', async () => {
      const md = await hoverAt(text.indexOf('Conv2D(64') + 2);
      return /1,792/.test(md) && md;
    });
    assert.match(conv, /cifar10_se_r8/);
  });

  test('a file that is not a model: one clear message in the view, never a blank page', async () => {
    const bad = path.join(ws, 'not_a_model.h5');
    fs.writeFileSync(bad, 'this is not HDF5');
    const uri = vscode.Uri.file(bad);
    await vscode.commands.executeCommand('vscode.openWith', uri, 'seInspector.modelReport');
    const view = await until('the report view', () => api.reports.viewFor(uri));
    const err = await until('an error message', () => lastPosted(view.posted, 'error'));
    assert.match(err.message, /not_a_model\.h5/);
    assert.doesNotMatch(err.message, /\n|at .*\(.*:\d+:\d+\)/);
  });

  test('the heatmap side view resolves and shows the run of the model in focus', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.seInspector');
    await vscode.commands.executeCommand('seInspector.heatmap.focus');
    api.ctx.setFocus(model());
    const view = await until('the heatmap view', () => api.heatmap.view?.isReady && api.heatmap.view);
    const m = await until('its excitation', () => {
      const x = lastPosted(view.posted, 'excitation');
      return x?.run ? x : undefined;
    });
    assert.equal(m.run!.blocks.length, 9);
  });
}
