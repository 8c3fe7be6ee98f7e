/**
 * Keras 3 `.keras`: a zip of config.json, metadata.json and model.weights.h5. Keras stores the
 * weights uncompressed, so HDF5 reads them in place inside the archive: a multi-GB model is never
 * copied, unzipped or written to a temporary file.
 */
import { buildGraph } from '../../graph/build.js';
import type { WeightSpec, WeightStore } from '../../graph/types.js';
import { FormatError } from '../../util/errors.js';
import { Hdf5File } from '../containers/hdf5.js';
import { hasZipSignature, ZipArchive } from '../containers/zip.js';
import type { ModelFile, ModelReader } from '../reader.js';
import { readKerasConfig, toSnakeCase, type KerasModel } from './kerasConfig.js';

const WEIGHTS = 'model.weights.h5';

/** model.weights.h5 of the archive: in place when stored (as Keras writes it), else inflated into memory. */
function openWeights(file: ModelFile, zip: ZipArchive, label: string): Promise<Hdf5File> {
  const h5Label = `${label}!${WEIGHTS}`;
  const range = zip.storedRange(WEIGHTS);
  if (range) return Hdf5File.openRange(file.path, range.offset, range.size, h5Label);
  return Hdf5File.fromBytes(zip.bytes(WEIGHTS)!, h5Label);
}

function parseJsonEntry(bytes: Uint8Array | undefined, name: string, path: string): any {
  if (!bytes) throw new FormatError(`the archive has no ${name}`, path);
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new FormatError(`${name} in the archive is not valid JSON (${(e as Error).message})`, path);
  }
}

/**
 * Where Keras 3 stored each layer's variables: `layers/<snake_case class>[_k]/vars/<i>`, with one
 * counter per class over `model.layers` in order (saving_lib `_save_container_state`): not by name.
 */
export function kerasStoragePaths(model: KerasModel): Map<string, string> {
  const counters = new Map<string, number>();
  const out = new Map<string, string>();
  for (const l of model.layerOrder) {
    const base = toSnakeCase(l.className);
    const k = counters.get(base) ?? 0;
    counters.set(base, k + 1);
    out.set(l.name, `layers/${k === 0 ? base : `${base}_${k}`}`);
  }
  return out;
}

function varIndices(h5: Hdf5File, group: string): number[] {
  return h5.keys(`${group}/vars`).map(Number).filter((i) => Number.isInteger(i)).sort((a, b) => a - b);
}

export const kerasArchiveReader: ModelReader = {
  format: 'keras',
  match: (f) => hasZipSignature(f.head),
  async read(file, options) {
    const label = file.path;
    const zip = ZipArchive.open(file, label);
    const config = parseJsonEntry(zip.bytes('config.json'), 'config.json', label);
    const metadata = zip.entries.has('metadata.json') ? parseJsonEntry(zip.bytes('metadata.json'), 'metadata.json', label) : {};
    const model = readKerasConfig(config, label);
    if (!zip.entries.has(WEIGHTS)) throw new FormatError('the archive has no model.weights.h5 (weights are missing)', label);
    const h5 = await openWeights(file, zip, label);
    const places = kerasStoragePaths(model);
    try {
      for (const node of model.nodes) {
        const group = places.get(node.name);
        if (!group) continue;
        if (!h5.has(group)) throw new FormatError(`model.weights.h5 has no entry for layer '${node.name}' (expected ${group})`, label);
        node.weights = varIndices(h5, group).map((i): WeightSpec => {
          const d = h5.dataset(`${group}/vars/${i}`);
          if (!d) throw new FormatError(`model.weights.h5: ${group}/vars/${i} is not a dataset`, label);
          return { id: `${group}/vars/${i}`, name: String(i), shape: d.shape, trainable: true, role: 'param' };
        });
      }
    } finally {
      h5.close();
    }
    const ids = model.nodes.flatMap((n) => n.weights ?? []).map((w) => w.id);
    return buildGraph(
      {
        name: model.name,
        format: 'keras',
        path: file.path,
        nodes: model.nodes,
        inputs: model.inputs,
        outputs: model.outputs,
        producer: metadata.keras_version ? `Keras ${metadata.keras_version}` : undefined,
        // The archive is read again, not kept: it may have changed, and holding it would pin its bytes.
        loadWeights: async () => readDatasets(await openWeights(file, ZipArchive.open(file, label), label), ids),
      },
      options,
    );
  },
};

/** Reads datasets by path into a store keyed by the same path, then closes the file. */
export function readDatasets(h5: Hdf5File, paths: string[]): WeightStore {
  const store = new Map<string, Float32Array>();
  try {
    for (const p of paths) {
      const d = h5.dataset(p);
      if (!d) throw new FormatError(`weights vanished: '${p}' is not in the file any more`, p);
      store.set(p, d.read());
    }
  } finally {
    h5.close();
  }
  return store;
}
