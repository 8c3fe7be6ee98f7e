/** TensorFlow.js layers model: model.json (`format: layers-model`, Keras 2 topology) + weight shards. */
import { buildGraph, type RawNode } from '../../graph/build.js';
import type { WeightSpec } from '../../graph/types.js';
import { FormatError } from '../../util/errors.js';
import { readKerasConfig } from '../keras/kerasConfig.js';
import { isObject, type ModelReader } from '../reader.js';
import { checkShards, parseManifest, readWeights } from './weightsManifest.js';

export const tfjsLayersReader: ModelReader = {
  format: 'tfjs-layers',
  match: (f) =>
    isObject(f.json) &&
    (f.json.format === 'layers-model' || (f.json.format === undefined && isObject(f.json.modelTopology) && !('node' in f.json.modelTopology))),
  async read(file, options) {
    const json = file.json as Record<string, any>;
    const topology = isObject(json.modelTopology) && isObject(json.modelTopology.model_config) ? json.modelTopology.model_config : json.modelTopology;
    if (!isObject(topology)) throw new FormatError('model.json has no modelTopology', file.path);
    const model = readKerasConfig(topology, file.path);
    const manifest = parseManifest(file.path, json.weightsManifest ?? []);
    checkShards(file.path, manifest);
    assignWeights(model.nodes, manifest.weights, file.path);
    return buildGraph(
      {
        name: model.name,
        format: 'tfjs-layers',
        path: file.path,
        nodes: model.nodes,
        inputs: model.inputs,
        outputs: model.outputs,
        producer: typeof json.generatedBy === 'string' ? json.generatedBy : undefined,
        loadWeights: async () => readWeights(file.path, manifest),
      },
      options,
    );
  },
};

/** Manifest names are `<layer>/<weight>` (maybe with a scope before): each goes to the longest layer-name prefix. */
function assignWeights(nodes: RawNode[], weights: { name: string; shape: number[] }[], path: string): void {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // Only the part counts that layer names really have are tried (usually just 1), longest first:
  // trying every slice of a hostile 3,000-part name took 50 s.
  const partCounts = [...new Set(nodes.map((n) => n.name.split('/').length))].sort((a, b) => b - a);
  for (const n of nodes) n.weights = [];
  for (const w of weights) {
    const parts = w.name.split('/');
    // starts[k]: offset of part k in the name
    const starts: number[] = [];
    for (let k = 0, at = 0; k < parts.length; at += parts[k].length + 1, k++) starts.push(at);
    let owner: RawNode | undefined;
    for (let i = parts.length - 1; i >= 1 && !owner; i--) {
      for (const count of partCounts) {
        if (count > i) continue;
        owner = byName.get(w.name.slice(starts[i - count], starts[i] - 1));
        if (owner) break;
      }
    }
    if (!owner) throw new FormatError(`weight '${w.name}' in weightsManifest belongs to no layer of the model`, path);
    const spec: WeightSpec = { id: w.name, name: parts[parts.length - 1], shape: w.shape, trainable: true, role: 'param' };
    owner.weights!.push(spec);
  }
}
