/** Legacy Keras `.h5`: `model_config` attribute and `model_weights/<layer>/<weight name>`. */
import { buildGraph } from '../../graph/build.js';
import type { WeightSpec } from '../../graph/types.js';
import { FormatError } from '../../util/errors.js';
import { hasHdf5Signature, Hdf5File } from '../containers/hdf5.js';
import type { ModelReader } from '../reader.js';
import { readDatasets } from './kerasArchive.js';
import { readKerasConfig } from './kerasConfig.js';

function names(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return [v];
  return [];
}

export const kerasH5Reader: ModelReader = {
  format: 'keras-h5',
  match: (f) => hasHdf5Signature(f.head),
  async read(file, options) {
    const label = file.path;
    const h5 = await Hdf5File.open(file.path, label);
    let model;
    let producer: string | undefined;
    try {
      const raw = h5.attr('', 'model_config');
      if (raw === undefined) {
        const weightsOnly = h5.has('layers') || names(h5.attr('', 'layer_names')).length > 0;
        throw new FormatError(weightsOnly ? 'holds weights only (no model_config): open the .keras file or the JSON config of this model' : 'is an HDF5 file without a Keras model_config attribute', label);
      }
      let config: unknown;
      try {
        config = JSON.parse(String(raw));
      } catch (e) {
        throw new FormatError(`model_config is not valid JSON (${(e as Error).message})`, label);
      }
      model = readKerasConfig(config, label);
      const version = h5.attr('', 'keras_version');
      producer = version ? `Keras ${String(version)}` : undefined;
      const root = h5.has('model_weights') ? 'model_weights' : '';
      for (const node of model.nodes) {
        const group = root ? `${root}/${node.name}` : node.name;
        // A layer without a group has no stored weights: the graph builder then objects if its config needs some.
        if (!h5.has(group)) {
          node.weights = [];
          continue;
        }
        node.weights = names(h5.attr(group, 'weight_names')).map((w): WeightSpec => {
          const path = `${group}/${w}`;
          const d = h5.dataset(path);
          if (!d) throw new FormatError(`weight '${w}' of layer '${node.name}' is listed but not stored`, label);
          return { id: path, name: w, shape: d.shape, trainable: true, role: 'param' };
        });
      }
    } finally {
      h5.close();
    }
    const ids = model.nodes.flatMap((n) => n.weights ?? []).map((w) => w.id);
    return buildGraph(
      {
        name: model.name,
        format: 'keras-h5',
        path: file.path,
        nodes: model.nodes,
        inputs: model.inputs,
        outputs: model.outputs,
        producer,
        loadWeights: async () => readDatasets(await Hdf5File.open(file.path, label), ids),
      },
      options,
    );
  },
};
