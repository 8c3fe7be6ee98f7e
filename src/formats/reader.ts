import type { BuildOptions } from '../graph/build.js';
import type { ModelFormat, ModelGraph } from '../graph/types.js';

/** A model file as the readers see it: its bytes, and its parsed JSON when it is JSON. */
export interface ModelFile {
  path: string;
  bytes: Uint8Array;
  json?: unknown;
}

/** One reader per format: a cheap sniff that never throws, and a read into the one graph. */
export interface ModelReader {
  format: ModelFormat;
  match(file: ModelFile): boolean;
  read(file: ModelFile, options: BuildOptions): Promise<ModelGraph>;
}

export const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
