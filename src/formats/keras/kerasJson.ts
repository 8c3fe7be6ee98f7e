/** Keras architecture JSON (`model.to_json()`): structure and cost only, no weights. */
import { buildGraph } from '../../graph/build.js';
import { isObject, type ModelReader } from '../reader.js';
import { readKerasConfig } from './kerasConfig.js';

export const kerasJsonReader: ModelReader = {
  format: 'keras-json',
  match: (f) => isObject(f.json) && typeof f.json.class_name === 'string' && 'config' in f.json && !('modelTopology' in f.json),
  async read(file, options) {
    const model = readKerasConfig(file.json, file.path);
    return buildGraph(
      {
        name: model.name,
        format: 'keras-json',
        path: file.path,
        nodes: model.nodes,
        inputs: model.inputs,
        outputs: model.outputs,
        notes: ['architecture only: no weights, so the model cannot be run'],
        producer: isObject(file.json) && file.json.keras_version ? `Keras ${file.json.keras_version}` : undefined,
      },
      options,
    );
  },
};
