/**
 * The host side of the worker thread. Requests are matched by id; a cancelled request is aborted
 * in the worker, and if the worker does not answer within a grace period it is terminated (a
 * fresh one starts on the next request). If the worker stops for any reason, every request it
 * had is rejected with a WorkerError saying so. No vscode import: usable from plain Node tests.
 */
import { Worker } from 'node:worker_threads';
import { CancelledError, InspectorError } from '../../util/errors.js';
import type { FromWorker, Request, ResultOf, ToWorker, WorkerData } from './workerProtocol.js';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (text: string) => void;
  worker: Worker;
}

/** Errors reported by the worker, or about it: already one user-facing line. */
export class WorkerError extends InspectorError {}

export interface CancelSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface WorkerClientOptions {
  /**
   * Node options of the worker thread (default: the host's own, Node's default). The bundle needs
   * none; tests run under `--import tsx` pass [] so the worker does not load the TypeScript loader
   * (which costs seconds per worker start, as it transforms the 8 MB bundle).
   */
  execArgv?: string[];
  /** Let the worker honour `debug` (fault injection) requests. Tests only. */
  debugRequests?: boolean;
}

const firstLine = (e: unknown) => String(e instanceof Error ? e.message : e).split('\n')[0];

export class WorkerClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Why we stopped a worker ourselves, for the requests it still had. */
  private readonly stopReasons = new WeakMap<Worker, string>();
  private disposed = false;

  constructor(
    private readonly scriptPath: string,
    private readonly log: (line: string) => void = () => {},
    private readonly cancelGraceMs = 2000,
    private readonly options: WorkerClientOptions = {},
  ) {}

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const workerData: WorkerData = { debugRequests: this.options.debugRequests === true };
    const w = new Worker(this.scriptPath, { workerData, ...(this.options.execArgv ? { execArgv: this.options.execArgv } : {}) });
    w.on('message', (m: FromWorker) => {
      if (!m || typeof m !== 'object') return;
      if ('log' in m) return this.log(m.log);
      const p = this.pending.get(m.id);
      if (!p || p.worker !== w) return;
      if ('progress' in m) return p.onProgress?.(m.progress);
      if (m.ok) p.resolve(m.result);
      else p.reject(m.cancelled ? new CancelledError() : new WorkerError(m.message));
    });
    w.on('error', (e) => {
      // an exception the worker did not catch: it stops ('exit' follows)
      this.log(`worker error: ${e.stack ?? e.message}`);
      if (this.worker === w) this.worker = undefined;
      this.failAll(new WorkerError(`the SE Inspector worker crashed (${firstLine(e)}); the next request starts a new one`), w);
    });
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = undefined;
      const reason = this.stopReasons.get(w);
      if (!reason) this.log(`worker exited with code ${code}`);
      this.failAll(new WorkerError(reason ?? `the SE Inspector worker stopped unexpectedly (exit code ${code}) before answering; the next request starts a new one`), w);
    });
    this.worker = w;
    return w;
  }

  /** Stops `worker` on purpose; its pending requests are rejected with `reason`. */
  private stop(worker: Worker, reason: string): void {
    if (!this.stopReasons.has(worker)) this.stopReasons.set(worker, reason);
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }

  private failAll(e: Error, only?: Worker): void {
    for (const [, p] of [...this.pending]) {
      if (only && p.worker !== only) continue;
      p.reject(e);
    }
  }

  request<R extends Request>(request: R, opts: { token?: CancelSignal; onProgress?: (text: string) => void } = {}): Promise<ResultOf<R>> {
    if (this.disposed) return Promise.reject(new WorkerError('the extension is shutting down'));
    if (opts.token?.isCancellationRequested) return Promise.reject(new CancelledError());
    let worker: Worker;
    try {
      worker = this.ensure();
    } catch (e) {
      return Promise.reject(new WorkerError(`cannot start the SE Inspector worker (${this.scriptPath}): ${firstLine(e)}`));
    }
    const id = this.nextId++;
    return new Promise<ResultOf<R>>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let sub: { dispose(): void } | undefined;
      let settled = false;
      const settle = () => {
        settled = true;
        this.pending.delete(id);
        sub?.dispose();
        if (timer) clearTimeout(timer);
      };
      const p: Pending = {
        worker,
        onProgress: opts.onProgress,
        resolve: (v) => {
          if (settled) return;
          settle();
          resolve(v as ResultOf<R>);
        },
        reject: (e) => {
          if (settled) return;
          settle();
          reject(e);
        },
      };
      this.pending.set(id, p);
      sub = opts.token?.onCancellationRequested(() => {
        if (settled || timer) return;
        worker.postMessage({ id, cancel: true } satisfies ToWorker);
        // TF.js may be inside a long synchronous kernel: give it a moment, then stop the thread.
        timer = setTimeout(() => {
          if (settled) return;
          p.reject(new CancelledError());
          this.log(`worker did not stop within ${this.cancelGraceMs} ms of a cancel: terminated`);
          this.stop(worker, `the SE Inspector worker was restarted because a cancelled run did not stop within ${this.cancelGraceMs} ms; try again`);
        }, this.cancelGraceMs);
        timer.unref?.();
      });
      if (settled) sub?.dispose();
      try {
        worker.postMessage({ id, request } satisfies ToWorker);
      } catch (e) {
        p.reject(new WorkerError(`cannot send the request to the SE Inspector worker: ${firstLine(e)}`));
      }
    });
  }

  dispose(): void {
    this.disposed = true;
    this.failAll(new WorkerError('the extension is shutting down'));
    if (this.worker) this.stop(this.worker, 'the extension is shutting down');
    this.worker = undefined;
  }
}
