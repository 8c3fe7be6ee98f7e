// Issue 11 in the real extension host: links into a binary model's report, the broken image said
// before the model is read, runs kept in workspace state with thumbnails, folder runs, the
// test-only event-loop command.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Api } from '../../src/extension/main.js';
import type { ExcitationRun, ToWebview } from '../../src/protocol/messages.js';
import type { RunRecord } from '../../src/extension/runHistory.js';
import { sleep, until } from './until.js';

declare const test: Mocha.TestFunction;


export function uxSuite(): void {
  const ws = () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  const model = () => vscode.Uri.file(path.join(ws(), 'models/cifar10_se_r8.keras'));
  const api = () => vscode.extensions.getExtension<Api>('se-inspector.se-inspector')!.exports;
  const lastPosted = <T extends ToWebview.Type>(posted: ToWebview.Message[], type: T) => [...posted].reverse().find((m) => m.type === type) as Extract<ToWebview.Message, { type: T }> | undefined;

  test('ux: a tree item of a .keras model opens its report on the block (highlight)', async () => {
    assert.equal(await vscode.commands.executeCommand('seInspector.revealLayer', model(), 'multiply_3'), true);
    const view = await until('the report view', () => api().reports.viewFor(model()));
    const m = await until('the highlight message', () => lastPosted(view.posted, 'highlight'));
    assert.equal(m.name, 'multiply_3');
  });

  test('ux: a broken image is said before the model is read, naming the image', async () => {
    const bad = path.join(ws(), 'images/broken.png');
    fs.writeFileSync(bad, 'not a png at all');
    const missingModel = vscode.Uri.file(path.join(ws(), 'models/never_written.keras'));
    const run = await vscode.commands.executeCommand('seInspector.chooseImage', missingModel, bad);
    assert.equal(run, undefined);
    const entry = api().ctx.entry(missingModel)!;
    assert.match(entry.runError ?? '', /broken\.png/);
    assert.equal(entry.error, undefined, 'the model was not read');
  });

  test('ux: runs are kept in workspace state (the run history, newest last), with a thumbnail of what the model saw', async () => {
    const image = path.join(ws(), 'images/chelsea.png');
    const run = await vscode.commands.executeCommand<ExcitationRun>('seInspector.chooseImage', model(), image);
    assert.ok(run?.thumbnail?.startsWith('data:image/png;base64,'), 'a thumbnail');
    const saved = api().ctx.extension.workspaceState.get<Record<string, RunRecord[]>>('seInspector.runHistory')!;
    const runs = saved[model().toString()];
    assert.ok(runs?.length >= 1);
    assert.equal(runs.at(-1)!.run.id, run!.id);
    assert.deepEqual(api().ctx.recentImages[0], image);
  });

  test('ux: a folder of images lands in the history', async () => {
    const before = api().ctx.history.list(model().toString()).length;
    const ok = await vscode.commands.executeCommand<number>('seInspector.runOnFolder', model(), vscode.Uri.file(path.join(ws(), 'images')));
    assert.equal(ok, 1, 'chelsea.png ran, broken.png did not');
    assert.equal(api().ctx.history.list(model().toString()).length, Math.min(8, before + 1));
  });

  test('ux: the event-loop probe reports the delay of this thread', async () => {
    await vscode.commands.executeCommand('seInspector.eventLoopDelay', 'start');
    await sleep(200);
    const r = await vscode.commands.executeCommand<{ maxMs: number; spanMs: number }>('seInspector.eventLoopDelay', 'stop');
    assert.ok(r.spanMs >= 150 && r.maxMs >= 0 && r.maxMs < 1000, JSON.stringify(r));
  });
}
