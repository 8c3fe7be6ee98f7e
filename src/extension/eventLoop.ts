/**
 * How long this thread's event loop was held up, from Node's monitorEventLoopDelay: the e2e starts
 * it before a model load and a run and reads the largest delay afterwards (it asserts < 50 ms).
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * CPU time (ms, 10 ms steps) this process's main thread has used, from Linux's /proc (its task id
 * is the process id); undefined elsewhere. It tells a block (the thread ran) from a wait for a core.
 */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in ticks of 1/100 s
  } catch {
    return undefined;
  }
}

/** Sampling interval: a sample is taken every RESOLUTION_MS, so a delay is what a sample took beyond it. */
const RESOLUTION_MS = 10;

export interface EventLoopDelay {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
  spanMs: number;
  /**
   * When the loop was held up more than STALL_MS (wall clock, ISO time), for how long, and how much
   * CPU the thread used meanwhile (busyMs: its event-loop's active time where /proc is missing).
   */
  stalls: { at: string; ms: number; cpuMs: number }[];
}

/** A delay worth naming in the log with its time. */
const STALL_MS = 30;

export class EventLoopProbe {
  private h: IntervalHistogram | undefined;
  private started = 0;
  private ticker: NodeJS.Timeout | undefined;
  private stalls: { at: string; ms: number; cpuMs: number }[] = [];

  get running(): boolean {
    return !!this.h;
  }

  start(): void {
    this.h?.disable();
    this.h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.h.enable();
    this.started = performance.now();
    this.stalls = [];
    clearInterval(this.ticker);
    let last = performance.now();
    let elu = performance.eventLoopUtilization();
    let cpu = mainThreadCpuMs();
    this.ticker = setInterval(() => {
      const now = performance.now();
      const late = now - last - RESOLUTION_MS;
      const used = performance.eventLoopUtilization(elu);
      elu = performance.eventLoopUtilization();
      const cpuNow = mainThreadCpuMs();
      const cpuMs = cpu !== undefined && cpuNow !== undefined ? cpuNow - cpu : Math.round(used.active);
      cpu = cpuNow;
      if (late > STALL_MS && this.stalls.length < 50) this.stalls.push({ at: new Date(Date.now() - late).toISOString(), ms: Math.round(late), cpuMs });
      last = now;
    }, RESOLUTION_MS);
  }

  /** Stops and reports, in ms beyond the sampling interval (all 0 when it was not started). */
  stop(): EventLoopDelay {
    const h = this.h;
    this.h = undefined;
    clearInterval(this.ticker);
    if (!h) return { maxMs: 0, p99Ms: 0, meanMs: 0, spanMs: 0, stalls: [] };
    h.disable();
    const ms = (ns: number) => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0);
    return { maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), meanMs: ms(h.mean), spanMs: performance.now() - this.started, stalls: this.stalls };
  }
}
