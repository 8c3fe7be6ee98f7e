// Bundles the CLI, the extension, its worker and the webviews with esbuild; copies the wasm binaries
// the tfjs wasm backend loads at run time next to the bundles.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = (p) => join(root, p);
const production = process.argv.includes('--production');
// ignoreAnnotations: tfjs backends register themselves on import, which their "sideEffects" lists would let esbuild drop.
// keepNames: error classes keep their names in the minified bundle (a log says ImageError, not `e`).
const common = { bundle: true, keepNames: true, ignoreAnnotations: true, platform: 'node', target: 'node20', sourcemap: !production, minify: production, logLevel: 'warning', external: ['@tensorflow/tfjs-node', 'onnxruntime-node', 'vscode'] };

mkdirSync(at('dist'), { recursive: true });
const jobs = [
  build({
    ...common,
    entryPoints: { cli: at('src/cli/main.ts') },
    outdir: at('dist'),
    // Chunks: `inspect` never loads the runtime chunk (TensorFlow.js), so it starts in a fraction of the time.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    // Bundled CommonJS dependencies still call require/__dirname.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path';\nconst require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);" },
  }),
];
for (const [entry, out] of [['src/extension/main.ts', 'dist/extension.cjs'], ['src/extension/worker/workerMain.ts', 'dist/worker.cjs']]) {
  if (existsSync(at(entry))) jobs.push(build({ ...common, entryPoints: [at(entry)], outfile: at(out), format: 'cjs', define: { 'import.meta.url': 'importMetaUrl' }, banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" } }));
}
// The graph view lays out in a Web Worker started from a blob: URL: the webview imports elkjs' worker
// script as text (`virtual:elk-worker`), so the page loads no script other than its own bundle.
const elkWorkerText = {
  name: 'elk-worker-text',
  setup(b) {
    b.onResolve({ filter: /^virtual:elk-worker$/ }, () => ({ path: at('node_modules/elkjs/lib/elk-worker.min.js'), namespace: 'elk-worker-text' }));
    b.onLoad({ filter: /.*/, namespace: 'elk-worker-text' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
  },
};
if (existsSync(at('webview'))) {
  const entries = readdirSync(at('webview')).filter((f) => /^[a-zA-Z]+\.ts$/.test(f) && !f.endsWith('.d.ts')).map((f) => at(`webview/${f}`));
  if (entries.length) jobs.push(build({ bundle: true, platform: 'browser', target: 'es2022', format: 'iife', minify: production, sourcemap: !production, logLevel: 'warning', entryPoints: entries, outdir: at('media/dist'), plugins: [elkWorkerText] }));
}
await Promise.all(jobs);

const wasmDir = at('node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), at(`dist/${f}`));
// tree-sitter (as VS Code ships it) and its Python grammar, for the Python hovers
const treeSitterDir = at('node_modules/@vscode/tree-sitter-wasm/wasm');
for (const f of ['tree-sitter.wasm', 'tree-sitter-python.wasm']) copyFileSync(join(treeSitterDir, f), at(`dist/${f}`));
