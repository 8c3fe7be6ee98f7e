/** The webview's side of the protocol: typed post, typed receive, persisted state. */
import type { FromWebview, ToWebview, WebviewState } from '../../src/protocol/messages.js';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

export function post(msg: FromWebview.Message): void {
  vscode.postMessage(msg);
}

export function getState(): WebviewState {
  const s = vscode.getState();
  return s && typeof s === 'object' ? (s as WebviewState) : {};
}

export function setState(patch: Partial<WebviewState>): void {
  vscode.setState({ ...getState(), ...patch });
}

const KNOWN: ReadonlySet<string> = new Set<ToWebview.Type>(['init', 'busy', 'report', 'highlight', 'error', 'excitation', 'colormap', 'focus', 'graph', 'history']);

/** Listens to the host; messages of unknown type (or not from the host) are ignored and logged. */
export function onMessage(handler: (m: ToWebview.Message) => void): void {
  window.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as { type?: unknown } | null;
    if (!m || typeof m !== 'object' || typeof m.type !== 'string' || !KNOWN.has(m.type)) {
      console.warn('SE Inspector webview: ignored message', m);
      return;
    }
    handler(m as ToWebview.Message);
  });
}

export function assertNever(x: never): never {
  throw new Error(`unexpected message ${JSON.stringify(x)}`);
}
