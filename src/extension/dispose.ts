import type * as vscode from 'vscode';

/** Owns a list of disposables; `_register` adds one, `dispose` frees them all once. */
export abstract class Disposable {
  private _disposables: vscode.Disposable[] = [];
  protected _isDisposed = false;

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    disposeAll(this._disposables);
  }

  protected _register<T extends vscode.Disposable>(d: T): T {
    if (this._isDisposed) d.dispose();
    else this._disposables.push(d);
    return d;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }
}

export function disposeAll(list: vscode.Disposable[]): void {
  while (list.length) {
    try {
      list.pop()?.dispose();
    } catch {
      /* keep disposing the rest */
    }
  }
}
