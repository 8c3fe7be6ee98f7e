/**
 * The host side of the worker thread. Requests are matched by id; a cancelled request is aborted
 * in the worker, and if the worker does not answer within a grace period it is terminated (a
 * fresh one starts on the next request). No vscode import: usable from plain Node tests.
 */
import { Worker } from 'node:worker_threads';
import { CancelledError, InspectorError } from '../../util/errors.js';
import type { FromWorker, Request, ResultOf, ToWorker } from './workerProtocol.js';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (text: string) => void;
  worker: Worker;
}

/** Errors reported by the worker: already one user-facing line. */
export class WorkerError extends InspectorError {}

export interface CancelSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export class WorkerClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;

  constructor(
    private readonly scriptPath: string,
    private readonly log: (line: string) => void = () => {},
    private readonly cancelGraceMs = 2000,
  ) {}

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.scriptPath);
    w.on('message', (m: FromWorker) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if ('progress' in m) return p.onProgress?.(m.progress);
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(m.cancelled ? new CancelledError() : new WorkerError(m.message));
    });
    w.on('error', (e) => {
      this.log(`worker error: ${e.stack ?? e.message}`);
      this.failAll(new WorkerError(`the worker thread failed: ${e.message.split('\n')[0]}`), w);
    });
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = undefined;
      if (code !== 0 && !this.disposed) this.log(`worker exited with code ${code}`);
      this.failAll(new WorkerError(`the worker thread stopped (exit code ${code})`), w);
    });
    this.worker = w;
    return w;
  }

  private failAll(e: Error, only?: Worker): void {
    for (const [id, p] of [...this.pending]) {
      if (only && p.worker !== only) continue;
      this.pending.delete(id);
      p.reject(e);
    }
  }

  request<R extends Request>(request: R, opts: { token?: CancelSignal; onProgress?: (text: string) => void } = {}): Promise<ResultOf<R>> {
    if (this.disposed) return Promise.reject(new WorkerError('the extension is shutting down'));
    if (opts.token?.isCancellationRequested) return Promise.reject(new CancelledError());
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise<ResultOf<R>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: opts.onProgress, worker });
      const sub = opts.token?.onCancellationRequested(() => {
        if (!this.pending.has(id)) return;
        worker.postMessage({ id, cancel: true } satisfies ToWorker);
        // TF.js may be inside a long synchronous kernel: give it a moment, then stop the thread.
        setTimeout(() => {
          const p = this.pending.get(id);
          if (!p) return;
          this.pending.delete(id);
          p.reject(new CancelledError());
          if (this.worker === worker) {
            this.worker = undefined;
            this.log('worker did not stop after cancel: terminated');
            void worker.terminate();
          }
        }, this.cancelGraceMs).unref?.();
      });
      const done = () => sub?.dispose();
      const p = this.pending.get(id)!;
      p.resolve = (v) => (done(), (resolve as (v: unknown) => void)(v));
      p.reject = (e) => (done(), reject(e));
      worker.postMessage({ id, request } satisfies ToWorker);
    });
  }

  dispose(): void {
    this.disposed = true;
    this.failAll(new WorkerError('the extension is shutting down'));
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
