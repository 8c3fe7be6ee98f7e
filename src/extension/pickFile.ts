/** A quick pick of workspace files that fills in as the search ends, with a "Browse..." entry for a file dialog. */
import * as path from 'node:path';
import * as vscode from 'vscode';

export interface PickFileOptions {
  title: string;
  placeholder: string;
  find: () => Promise<vscode.Uri[]>;
  /** Where "Browse..." stands in the list. */
  browse: 'first' | 'last';
  dialog: vscode.OpenDialogOptions;
  /** Paths listed first, in this order (most recent first); the first one found is preselected. */
  recent?: string[];
}

export async function pickFile(o: PickFileOptions): Promise<vscode.Uri | undefined> {
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri };
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = o.title;
  qp.placeholder = o.placeholder;
  qp.busy = true;
  const browse: Item = { label: '$(folder-opened) Browse...', alwaysShow: true };
  qp.items = [browse];
  qp.show();
  void o.find().then((uris) => {
    const rank = (u: vscode.Uri) => {
      const i = o.recent?.indexOf(u.fsPath) ?? -1;
      return i < 0 ? Infinity : i;
    };
    const ordered = o.recent?.length ? [...uris].sort((a, b) => rank(a) - rank(b)) : uris;
    const files: Item[] = ordered.map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri, true), detail: rank(uri) === 0 ? 'last used' : undefined, uri }));
    qp.items = o.browse === 'first' ? [browse, ...files] : [...files, browse];
    // a file, never "Browse...", is what Enter picks: the last one used, else the first of the list
    if (files.length) qp.activeItems = [files[0]];
    qp.busy = false;
  });
  const choice = await new Promise<Item | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
  });
  qp.dispose();
  if (!choice) return undefined;
  if (choice.uri) return choice.uri;
  return (await vscode.window.showOpenDialog({ canSelectMany: false, ...o.dialog }))?.[0];
}
