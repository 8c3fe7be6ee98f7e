/** Messages between the extension host and its worker thread (dist/worker.cjs). Types only. */
import type { InspectReport } from '../../analysis/report.js';

export interface InspectRequest {
  kind: 'inspect';
  path: string;
  ratios: number[];
}
export interface ExciteRequest {
  kind: 'excite';
  modelPath: string;
  imagePath: string;
  ratios: number[];
  backend: 'auto' | 'tfjs-node' | 'wasm' | 'cpu';
  preprocess: string;
}
export type Request = InspectRequest | ExciteRequest;

export interface InspectResult {
  report: InspectReport;
  /** Where each node's name string (quotes included) is in the model's JSON text: character offsets, for reveal. */
  sources: Record<string, { start: number; end: number }>;
}

/** The runtime's result, as it crosses the thread boundary (structured clone keeps NaN). */
export interface ExciteResult {
  backend: string;
  backendReason: string;
  preprocess: string;
  inputShape: (number | null)[];
  blocks: { name: string; gateLayer: string; channels: number; excitation: number[]; stats: { min: number; mean: number; max: number; std: number }; nonFinite: number }[];
  output: { shape: (number | null)[]; top5: { index: number; value: number }[] };
  timings: { load: number; run: number };
}

export type ResultOf<R extends Request> = R extends InspectRequest ? InspectResult : ExciteResult;

export type ToWorker = { id: number; request: Request } | { id: number; cancel: true };
export type FromWorker =
  | { id: number; ok: true; result: InspectResult | ExciteResult }
  | { id: number; ok: false; message: string; cancelled: boolean }
  /** A progress line for the notification. */
  | { id: number; progress: string };
