/** Choosing the image a model runs on: file dialog, quick pick of workspace images, or a drop. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from './ctx.js';
import { pickFile } from './pickFile.js';

export const IMAGE_FILTERS = { Images: ['png', 'jpg', 'jpeg'] };
const IMAGE_EXT = /\.(png|jpe?g)$/i;

export async function pickImageByDialog(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, canSelectFolders: false, filters: IMAGE_FILTERS, openLabel: 'Run model on image', title: 'SE Inspector: choose an image' });
  return picked?.[0]?.fsPath;
}

/** Quick pick of the workspace's images, with "Browse..." first. */
export async function pickImageByQuickPick(ctx: Ctx): Promise<string | undefined> {
  const uri = await pickFile({
    title: 'SE Inspector: choose an image',
    placeholder: 'Image to run the model on',
    find: () => ctx.findWorkspaceImages(),
    browse: 'first',
    recent: ctx.recentImages,
    dialog: { canSelectFolders: false, filters: IMAGE_FILTERS, openLabel: 'Run model on image', title: 'SE Inspector: choose an image' },
  });
  return uri?.fsPath;
}

/** The path of a dropped image: a file URI from the explorer, or bytes from the OS written to storage. */
export async function droppedImagePath(ctx: Ctx, drop: { uri?: string; name?: string; base64?: string }): Promise<string | undefined> {
  if (drop.uri) {
    const first = drop.uri.split(/\r?\n/).find((l) => l.trim() && !l.startsWith('#'))?.trim() ?? '';
    let uri: vscode.Uri;
    try {
      uri = first.startsWith('/') ? vscode.Uri.file(first) : vscode.Uri.parse(first, true);
    } catch {
      return undefined;
    }
    if (uri.scheme !== 'file' && uri.scheme !== 'vscode-remote') return undefined;
    if (!IMAGE_EXT.test(uri.path)) {
      void vscode.window.showWarningMessage(`SE Inspector: '${path.basename(uri.path)}' is not a PNG or JPEG image.`);
      return undefined;
    }
    return uri.scheme === 'file' ? uri.fsPath : uri.path;
  }
  if (drop.base64) {
    const name = (drop.name ?? 'dropped.png').replace(/[^\w.-]/g, '_');
    if (!IMAGE_EXT.test(name)) {
      void vscode.window.showWarningMessage(`SE Inspector: '${name}' is not a PNG or JPEG image.`);
      return undefined;
    }
    const dir = path.join(ctx.extension.globalStorageUri.fsPath, 'dropped');
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, name);
    await fs.writeFile(file, Buffer.from(drop.base64, 'base64'));
    return file;
  }
  return undefined;
}
