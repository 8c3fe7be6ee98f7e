// Bundles the integration suite into out/test/integration/index.js (CommonJS, for the extension
// host's require; `vscode` and `mocha` stay external).
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const out = join(root, 'out/test/integration');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');
await build({ entryPoints: [join(root, 'test/integration/index.ts')], outfile: join(out, 'index.js'), bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode', 'mocha'], sourcemap: 'inline', logLevel: 'warning' });
console.log(`built ${join(out, 'index.js')}`);
