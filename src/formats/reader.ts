import type { BuildOptions } from '../graph/build.js';
import type { ModelFormat, ModelGraph } from '../graph/types.js';

/**
 * A model file as the readers see it: its first bytes (enough to sniff the format), its size, and
 * reads of any range, so that a binary model of several GB is never read whole; JSON files are
 * parsed whole (they are configs and manifests, not weights).
 */
export interface ModelFile {
  path: string;
  size: number;
  /** The first bytes (up to HEAD_BYTES; the whole file when it is smaller). */
  head: Uint8Array;
  json?: unknown;
  /** `length` bytes from `offset` (fewer at the end of the file). */
  read(offset: number, length: number): Uint8Array;
}

export const HEAD_BYTES = 4096;

/** One reader per format: a cheap sniff that never throws, and a read into the one graph. */
export interface ModelReader {
  format: ModelFormat;
  match(file: ModelFile): boolean;
  read(file: ModelFile, options: BuildOptions): Promise<ModelGraph>;
}

export const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
