/** The extension's settings, read only here, one typed getter each. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Colormap } from '../protocol/messages.js';
import { BACKEND_REQUESTS, type BackendRequest } from '../runtime/backendNames.js';

export type Backend = BackendRequest;
export type Preprocess = 'auto' | 'raw' | 'unit' | 'symmetric' | 'caffe' | 'torch';

export const SECTION = 'seInspector';
const BACKENDS: readonly Backend[] = BACKEND_REQUESTS;
const PREPROCESS: readonly Preprocess[] = ['auto', 'raw', 'unit', 'symmetric', 'caffe', 'torch'];
const COLORMAPS: readonly Colormap[] = ['viridis', 'magma', 'inferno', 'gray'];
export const DEFAULT_RATIOS = [2, 4, 8, 16, 32];

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

export class Config {
  private get<T>(key: string): T | undefined {
    return vscode.workspace.getConfiguration(SECTION).get<T>(key);
  }
  get backend(): Backend {
    return oneOf(this.get('backend'), BACKENDS, 'auto');
  }
  /** Threads of one run on the onnx backend; 0 (the default): the cores available. */
  get threads(): number {
    const t = this.get<unknown>('threads');
    return typeof t === 'number' && Number.isInteger(t) && t >= 0 && t <= 256 ? t : 0;
  }
  get preprocess(): Preprocess {
    return oneOf(this.get('preprocess'), PREPROCESS, 'auto');
  }
  /** Reduction ratios of the what-if table: positive numbers, default 2, 4, 8, 16, 32. */
  get ratios(): number[] {
    const r = this.get<unknown>('ratios');
    if (!Array.isArray(r)) return DEFAULT_RATIOS;
    const ok = r.filter((x): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0);
    return ok.length ? ok : DEFAULT_RATIOS;
  }
  get colormap(): Colormap {
    return oneOf(this.get('colormap'), COLORMAPS, 'viridis');
  }
  /** The labels file (seInspector.labels), absolute; a relative path is taken from the first workspace folder. */
  get labels(): string | undefined {
    const v = this.get<unknown>('labels');
    if (typeof v !== 'string' || !v.trim()) return undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return path.isAbsolute(v) || !folder ? v : path.join(folder, v);
  }
  /** Whether a change event touches a key: `affects(e, 'colormap')`. */
  affects(e: vscode.ConfigurationChangeEvent, key: 'backend' | 'threads' | 'preprocess' | 'ratios' | 'colormap' | 'labels'): boolean {
    return e.affectsConfiguration(`${SECTION}.${key}`);
  }
}
