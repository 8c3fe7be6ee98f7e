/**
 * Writes the integration tests' workspace: a copy of the shared CIFAR-10 SE model (.keras), the
 * same model as a TF.js layers model (model.json + one weight shard, made from the .keras with our
 * own reader), chelsea.png, and a Python file with Keras code. Run with tsx before the suite.
 *
 *   node --import tsx test/integration/makeFixtures.ts <workspace folder>
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, strFromU8 } from 'fflate';
import { readFileSync } from 'node:fs';
import { openModel } from '../../src/formats/index.js';

/** The shared fixtures beside the repository (../shared, as CI checks it out); SE_SHARED overrides. */
export const SHARED = process.env.SE_SHARED ?? fileURLToPath(new URL('../../../shared', import.meta.url));
export const KERAS = join(SHARED, 'fixtures/keras/cifar10_se_r8.keras');
export const IMAGE = join(SHARED, 'images/chelsea.png');

export const PYTHON = `from tensorflow.keras.layers import Dense, Conv2D, GlobalAveragePooling2D, Multiply, Input


def se_block(x, channels, r=16):
    s = GlobalAveragePooling2D()(x)                      # squeeze
    s = Dense(channels // r, activation="relu")(s)       # reduce
    s = Dense(channels, activation="sigmoid")(s)         # expand + gate
    return Multiply()([x, s])                            # scale


inputs = Input((32, 32, 3))
x = Conv2D(64, 3, padding="same", name="conv2d_9")(inputs)
x = se_block(x, 64, r=8)
y = Dense(10, activation="softmax", name="dense_19")(x)
`;

export async function makeWorkspace(dir: string): Promise<void> {
  for (const f of [KERAS, IMAGE]) if (!existsSync(f)) throw new Error(`missing fixture ${f}: the shared folder must sit beside the repository (or set SE_SHARED)`);
  mkdirSync(join(dir, 'models/tfjs'), { recursive: true });
  mkdirSync(join(dir, 'images'), { recursive: true });
  copyFileSync(KERAS, join(dir, 'models/cifar10_se_r8.keras'));
  copyFileSync(IMAGE, join(dir, 'images/chelsea.png'));
  writeFileSync(join(dir, 'se_model.py'), PYTHON);

  // tfjs layers model from the .keras: its Keras config as modelTopology, its weights in one shard
  const config = JSON.parse(strFromU8(unzipSync(new Uint8Array(readFileSync(KERAS)))['config.json']));
  const graph = await openModel(KERAS);
  const store = await graph.loadWeights!();
  const weights: { name: string; shape: number[]; dtype: string }[] = [];
  const chunks: Buffer[] = [];
  for (const n of graph.nodes)
    for (const w of n.weights) {
      const v = store.get(w.id)!;
      weights.push({ name: `${n.name}/${w.name}`, shape: w.shape, dtype: 'float32' });
      chunks.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    }
  writeFileSync(join(dir, 'models/tfjs/group1-shard1of1.bin'), Buffer.concat(chunks));
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'keras v3.16.0',
    convertedBy: 'se-inspector test fixture',
    modelTopology: { class_name: config.class_name, config: config.config, keras_version: '3.16.0', backend: 'tensorflow' },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }],
  };
  writeFileSync(join(dir, 'models/tfjs/model.json'), JSON.stringify(modelJson, null, 1));
}

if (process.argv[1] && resolve(process.argv[1]).endsWith('makeFixtures.ts')) {
  const dir = resolve(process.argv[2] ?? '.test-work/ext-test-workspace');
  await makeWorkspace(dir);
  console.log(`wrote the test workspace to ${dir}`);
}
