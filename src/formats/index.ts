/** The table of readers, and `openModel`: a path in, the one graph out (or one clear error). */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { BuildOptions } from '../graph/build.js';
import type { ModelGraph } from '../graph/types.js';
import { FormatError } from '../util/errors.js';
import { kerasArchiveReader } from './keras/kerasArchive.js';
import { kerasH5Reader } from './keras/kerasH5.js';
import { kerasJsonReader } from './keras/kerasJson.js';
import { HEAD_BYTES, type ModelFile, type ModelReader } from './reader.js';
import { tfjsGraphReader } from './tfjs/tfjsGraph.js';
import { tfjsLayersReader } from './tfjs/tfjsLayers.js';

/** Order matters only among JSON readers: tfjs files are recognised before plain Keras configs. */
export const READERS: readonly ModelReader[] = [kerasArchiveReader, kerasH5Reader, tfjsGraphReader, tfjsLayersReader, kerasJsonReader];

/** JSON model files beyond this are refused before parsing (a 100 MB model.json is already odd). */
export const MAX_JSON_BYTES = 512 * 1024 * 1024;

/** Positioned reads of a file (opened once per read: readers read a few ranges, not a stream). */
export function rangeReader(path: string): (offset: number, length: number) => Uint8Array {
  return (offset, length) => {
    const fd = openSync(path, 'r');
    try {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done === length ? out : out.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  };
}

function readModelFile(path: string): ModelFile {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new FormatError('is a folder, not a model file (for a tfjs model, open its model.json)', path);
    // FIFOs, devices and sockets have no size to trust and may block or never end.
    if (!st.isFile()) throw new FormatError('is not a regular file (a device, FIFO or socket): a model is a file', path);
    size = st.size;
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError('does not exist or cannot be read', path);
  }
  // /proc and /sys files report size 0 but have content: tell them apart from empty files.
  if (size === 0) throw new FormatError(/^\/(proc|sys)\//.test(path) ? 'is a kernel pseudo-file (size 0), not a model file' : 'is empty (0 bytes)', path);
  const read = rangeReader(path);
  const head = read(0, Math.min(size, HEAD_BYTES));
  const first = head.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
  if (first === 0x7b /* { */) {
    if (size > MAX_JSON_BYTES) throw new FormatError(`refused: a ${(size / 1e6).toFixed(0)} MB JSON file is beyond the ${MAX_JSON_BYTES / 1024 ** 2} MB limit`, path);
    try {
      return { path, size, head, read, json: JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, '')) };
    } catch (e) {
      throw new FormatError(`is not valid JSON (${(e as Error).message})`, path);
    }
  }
  return { path, size, head, read };
}

export function detectReader(file: ModelFile): ModelReader {
  const reader = READERS.find((r) => r.match(file));
  if (reader) return reader;
  if (file.json !== undefined) throw new FormatError('is JSON but not a model (expected a Keras model config or a tfjs model.json)', file.path);
  // The name says what the user expected: tell them what the content is not.
  if (/\.keras$/i.test(file.path)) throw new FormatError('is not a Keras .keras file (that is a zip archive; this is not one)', file.path);
  if (/\.(h5|hdf5)$/i.test(file.path)) throw new FormatError('is not a Keras .h5 file (no HDF5 signature)', file.path);
  if (/\.json$/i.test(file.path)) throw new FormatError('is not JSON (a model.json or Keras JSON starts with {)', file.path);
  throw new FormatError('is not a model file of a known format (.keras, .h5, Keras JSON, tfjs model.json)', file.path);
}

export async function openModel(path: string, options: BuildOptions = {}): Promise<ModelGraph> {
  const file = readModelFile(path);
  const reader = detectReader(file);
  try {
    return await reader.read(file, options);
  } catch (e) {
    // A config shaped in a way no check anticipated still gets a message about the file, not a stack trace.
    if (e instanceof TypeError || e instanceof RangeError) throw new FormatError(`is not a well-formed ${reader.format} model (${e.message})`, path);
    throw e;
  }
}
