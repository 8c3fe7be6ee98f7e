/**
 * Each model's recent runs (image, backend, time, excitations), kept for the session and in the
 * workspace state so that they outlive a reload; and two of them compared. `vscode` is used for
 * types only (the Memento), so this file runs in plain Node tests.
 */
import type * as vscode from 'vscode';
import { differenceByBlock, maxAbsDifference, rankByDifference } from '../analysis/compare.js';
import type { Comparison, ExcitationRun, RunSummary } from '../protocol/messages.js';

/** Runs kept per model: the oldest goes first. */
export const MAX_RUNS = 8;
/** Models whose runs are kept in the workspace state: the one run longest ago goes first. */
export const MAX_MODELS = 12;
const STATE_KEY = 'seInspector.runHistory';

export interface RunRecord {
  id: string;
  /** When the run ended (ms since the epoch; the run's own id). */
  time: number;
  run: ExcitationRun;
}

export function summaryOf(r: RunRecord): RunSummary {
  return {
    id: r.id,
    imageName: r.run.imageName,
    imagePath: r.run.imagePath,
    backend: r.run.backend,
    time: r.time,
    runMs: r.run.timings.run,
    top1: r.run.top5[0] ?? null,
    means: r.run.blocks.map((b) => (Number.isFinite(b.stats.mean) ? b.stats.mean : null)),
  };
}

/** B minus A for every SE block of two runs (throws ComparisonError if they are not runs of one model). */
export function compareRuns(a: RunRecord, b: RunRecord): Comparison {
  const blocks = differenceByBlock(a.run.blocks, b.run.blocks);
  return {
    a: summaryOf(a),
    b: summaryOf(b),
    blocks: blocks.map((d) => ({ ...d, a: a.run.blocks[d.index].values, b: b.run.blocks[d.index].values })),
    ranked: rankByDifference(blocks).map((d) => d.index),
    maxAbs: maxAbsDifference(blocks),
  };
}

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const num = (v: number | null) => (v === null ? 'NaN' : String(v));

/** One row per (block, channel), network order: A, B and B minus A ('NaN' where invalid), and the block's rank. */
export function comparisonToCsv(c: Comparison): string {
  const rank = new Map(c.ranked.map((index, i) => [index, i + 1]));
  const lines = [`# a: ${c.a.imageName}, b: ${c.b.imageName}`, 'block_index,block,rank,channel,a,b,difference'];
  for (const b of c.blocks) b.difference.forEach((d, ch) => lines.push(`${b.index},${csvField(b.name)},${rank.get(b.index)},${ch},${num(b.a[ch])},${num(b.b[ch])},${num(d)}`));
  return lines.join('\n') + '\n';
}

export class RunHistory {
  private readonly byModel = new Map<string, RunRecord[]>();
  private counter = 0;

  constructor(private readonly state: vscode.Memento | undefined) {
    const saved = state?.get<Record<string, RunRecord[]>>(STATE_KEY);
    if (saved && typeof saved === 'object') {
      for (const [key, runs] of Object.entries(saved)) {
        if (Array.isArray(runs)) this.byModel.set(key, runs.filter((r) => r && typeof r.id === 'string' && r.run && Array.isArray(r.run.blocks)).slice(-MAX_RUNS));
      }
    }
  }

  /** Models with runs (keys), the one run most recently last. */
  keys(): string[] {
    return [...this.byModel.keys()];
  }

  list(key: string): RunRecord[] {
    return this.byModel.get(key) ?? [];
  }

  get(key: string, id: string): RunRecord | undefined {
    return this.list(key).find((r) => r.id === id);
  }

  add(key: string, run: ExcitationRun): RunRecord {
    const record: RunRecord = { id: `${Date.now().toString(36)}-${(this.counter++).toString(36)}`, time: run.id, run };
    const runs = [...this.list(key), record].slice(-MAX_RUNS);
    // re-inserted: the Map's order is the models' order of their last run
    this.byModel.delete(key);
    this.byModel.set(key, runs);
    for (const old of [...this.byModel.keys()].slice(0, Math.max(0, this.byModel.size - MAX_MODELS))) this.byModel.delete(old);
    void this.save();
    return record;
  }

  private save(): Thenable<void> | undefined {
    return this.state?.update(STATE_KEY, Object.fromEntries(this.byModel));
  }
}
