/**
 * Where converted weights go on their way to onnxruntime. Measured on SE-ResNet-50 (113 MB of
 * weights): a session created from a model file whose weights are in an external data file adds
 * about 1x the weights to the process; the same weights handed over in memory (`externalData`)
 * add about 2.5x while our own copies are still alive. So weights are written to a temporary
 * file as they are converted, one at a time (never all held here), and the session is created
 * from that folder, which is removed right after. Where no temporary folder can be written, they
 * are kept in memory instead.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WeightSink } from './toOnnx.js';

export const WEIGHTS_FILE = 'weights.bin';

export interface ModelFolder extends WeightSink {
  /** Writes the model next to its weights and returns its path (closes the weights file). */
  finish(model: Uint8Array): string;
  /** Removes the folder (the session has read it). */
  remove(): void;
}

/** A temporary folder for one conversion, or undefined where none can be made. */
export function tempModelFolder(): ModelFolder | undefined {
  let dir: string;
  let fd: number;
  try {
    dir = mkdtempSync(join(tmpdir(), 'se-inspector-onnx-'));
    fd = openSync(join(dir, WEIGHTS_FILE), 'w');
  } catch {
    return undefined;
  }
  let offset = 0;
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    put(bytes) {
      // 64-byte alignment: onnxruntime may map aligned tensors instead of copying them
      const pad = (64 - (offset % 64)) % 64;
      if (pad) writeSync(fd, new Uint8Array(pad));
      offset += pad;
      const at = offset;
      for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done);
      offset += bytes.byteLength;
      return { location: WEIGHTS_FILE, offset: at };
    },
    finish(model) {
      close();
      const path = join(dir, 'model.onnx');
      writeFileSync(path, model);
      return path;
    },
    remove() {
      close();
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        /* a leftover temp folder is harmless; never fail a load for it */
      }
    },
  };
}

/** Weights kept in memory, one "external file" each (onnxruntime's `externalData`). */
export function memorySink(): WeightSink & { files: { path: string; data: Uint8Array }[] } {
  const files: { path: string; data: Uint8Array }[] = [];
  return {
    files,
    put(bytes) {
      const path = `w${files.length}`;
      files.push({ path, data: bytes.slice() }); // the converter reuses the buffer behind `bytes`
      return { location: path, offset: 0 };
    },
  };
}
