/**
 * All HTML of the extension's webviews. A fresh nonce per render, `default-src 'none'`, scripts
 * only with that nonce, styles and images only from the extension (via asWebviewUri under
 * localResourceRoots). `vscode` is imported for types only, so this file runs in plain Node tests.
 */
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';
import type { ViewKind } from '../protocol/messages.js';

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export interface HtmlParts {
  /** webview.cspSource */
  cspSource: string;
  /** Webview URIs (strings) of the page's script and stylesheet. */
  scriptUri: string;
  styleUri: string;
  view: ViewKind;
  title: string;
  nonce?: string;
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * `worker`: the page starts a Web Worker from a blob: URL made from its own bundle (the graph
 * view's layout); no other page may start one.
 */
export function csp(cspSource: string, nonce: string, opts: { worker?: boolean } = {}): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    ...(opts.worker ? ['worker-src blob:'] : []),
  ].join('; ');
}

/** The page: a CSP meta tag, the stylesheet, an empty #app the script fills, and the one script. */
export function renderHtml(p: HtmlParts): string {
  const nonce = p.nonce ?? makeNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp(p.cspSource, nonce, { worker: p.view === 'graph' }))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${escapeAttr(p.styleUri)}">
<title>${escapeAttr(p.title)}</title>
</head>
<body data-view="${p.view}">
<div id="app" role="main"><div class="loading" role="status"><span class="spinner"></span><span>${escapeAttr(p.view === 'report' ? `Reading ${p.title.replace(/^SE report: /, '')}…` : 'Loading…')}</span></div></div>
<script nonce="${nonce}" src="${escapeAttr(p.scriptUri)}"></script>
</body>
</html>`;
}

/** Options of every webview: scripts on, resources only from media/ and dist/. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [child(extensionUri, 'media'), child(extensionUri, 'dist')] };
}

function child(base: vscode.Uri, ...parts: string[]): vscode.Uri {
  return base.with({ path: [base.path.replace(/\/+$/, ''), ...parts].join('/') });
}

/** The HTML for `view` in `webview`; both views share one script bundle per page. */
export function htmlFor(webview: vscode.Webview, extensionUri: vscode.Uri, view: ViewKind, title: string): string {
  const script = `${view}.js`; // one bundle per page: webview/<view>.ts
  return renderHtml({
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(child(extensionUri, 'media', 'dist', script)).toString(),
    styleUri: webview.asWebviewUri(child(extensionUri, 'media', 'inspector.css')).toString(),
    view,
    title,
  });
}
