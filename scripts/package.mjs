// `npm run package [-- --target T]`: production bundles, then `vsce package --target T` (default
// linux-x64). The .vsix carries onnxruntime-node's JS and the native binary of T only (its npm
// tarball holds five platforms, ~290 MB); targets onnxruntime-node has no binary for (darwin-x64,
// alpine-*) get no onnx files and run on wasm (`auto` says why). .vscodeignore lists what every
// target carries; the target's binary folder is added here, to a copy handed to vsce.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--target');
const target = i > 0 ? process.argv[i + 1] : 'linux-x64';
/** vsce target -> onnxruntime-node's binary folder (bin/napi-v6/<os>/<arch>), or null: no binary, wasm only. */
const ORT_BINARIES = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
  'darwin-x64': null,
  'alpine-x64': null,
  'alpine-arm64': null,
};
if (!(target in ORT_BINARIES)) {
  console.error(`package: unknown target '${target}'; one of ${Object.keys(ORT_BINARIES).join(', ')}`);
  process.exit(2);
}
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
run(process.execPath, [join(root, 'scripts/build.mjs'), '--production']);
const bin = ORT_BINARIES[target];
let ignore = readFileSync(join(root, '.vscodeignore'), 'utf8');
if (bin) ignore += `\n# the onnxruntime-node binary of ${target}\n!node_modules/onnxruntime-node/bin/napi-v6/${bin}/*\n`;
else ignore = ignore.replace(/^!node_modules\/onnxruntime-.*$/gm, '') + `\n# ${target}: onnxruntime-node has no binary for it; the wasm backend runs\n`;
const dir = mkdtempSync(join(tmpdir(), 'se-package-'));
const ignoreFile = join(dir, 'vscodeignore');
writeFileSync(ignoreFile, ignore);
try {
  const vsce = join(root, 'node_modules/@vscode/vsce/vsce');
  run(process.execPath, [vsce, 'package', '--target', target, '--ignoreFile', ignoreFile, '--no-rewrite-relative-links', '--allow-missing-repository', '--skip-license']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
