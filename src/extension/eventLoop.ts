/**
 * How long this thread's event loop was held up, from Node's monitorEventLoopDelay: the e2e starts
 * it before a model load and a run and reads the largest delay afterwards (it asserts < 50 ms).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Sampling interval: a sample is taken every RESOLUTION_MS, so a delay is what a sample took beyond it. */
const RESOLUTION_MS = 10;

export interface EventLoopDelay {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
  spanMs: number;
}

export class EventLoopProbe {
  private h: IntervalHistogram | undefined;
  private started = 0;

  get running(): boolean {
    return !!this.h;
  }

  start(): void {
    this.h?.disable();
    this.h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.h.enable();
    this.started = performance.now();
  }

  /** Stops and reports, in ms beyond the sampling interval (all 0 when it was not started). */
  stop(): EventLoopDelay {
    const h = this.h;
    this.h = undefined;
    if (!h) return { maxMs: 0, p99Ms: 0, meanMs: 0, spanMs: 0 };
    h.disable();
    const ms = (ns: number) => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0);
    return { maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), meanMs: ms(h.mean), spanMs: performance.now() - this.started };
  }
}
