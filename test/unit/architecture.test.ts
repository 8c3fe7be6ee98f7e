// The layering the brief asks for, checked on the sources: formats -> graph -> analysis -> runtime,
// with the extension and the webviews as shells.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(ROOT, p)).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]);
}

const all = [...files('src'), ...files('webview')];

test('only src/extension imports vscode', () => {
  const bad = all.filter((f) => !f.startsWith('src/extension/') && imports(f).includes('vscode'));
  assert.deepEqual(bad, []);
});

test('only src/runtime imports TensorFlow.js', () => {
  const bad = all.filter((f) => !f.startsWith('src/runtime/') && imports(f).some((i) => i.startsWith('@tensorflow/')));
  assert.deepEqual(bad, []);
});

test('the core (formats, graph, analysis, runtime, image, util) never imports the shells', () => {
  const core = all.filter((f) => /^src\/(formats|graph|analysis|runtime|image|util)\//.test(f));
  const bad = core.flatMap((f) => imports(f).filter((i) => /\/(extension|cli|hover)\//.test(i) || /^\.\.\/(extension|cli|hover)\b/.test(i)).map((i) => `${f} -> ${i}`));
  assert.deepEqual(bad, []);
});

test('webviews import only the protocol and the shared number formatter from src', () => {
  const bad = files('webview').flatMap((f) =>
    imports(f)
      .filter((i) => i.includes('/src/') && !/\/src\/(protocol\/messages|util\/format)\.js$/.test(i))
      .map((i) => `${relative(ROOT, join(ROOT, f))} -> ${i}`),
  );
  assert.deepEqual(bad, []);
});
