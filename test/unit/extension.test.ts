// Pure parts of the extension (no vscode): command table vs package.json, webview HTML/CSP,
// validation of webview messages, excitation → view/CSV.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { COMMAND_PREFIX, COMMAND_TITLES } from '../../src/extension/commandIds.js';
import { runToCsv, toRun } from '../../src/extension/excitationView.js';
import { checkFromWebview } from '../../src/extension/validate.js';
import { csp, renderHtml } from '../../src/extension/webviewHtml.js';
import { BACKEND_REQUESTS } from '../../src/runtime/backendNames.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

test("the command table's keys equal package.json's contributes.commands", () => {
  const table = Object.keys(COMMAND_TITLES).map((k) => `${COMMAND_PREFIX}${k}`).sort();
  const declared = (pkg.contributes.commands as { command: string; title: string }[]).map((c) => c.command).sort();
  assert.deepEqual(table, declared);
  for (const c of pkg.contributes.commands) {
    assert.equal(c.title, COMMAND_TITLES[c.command.slice(COMMAND_PREFIX.length) as keyof typeof COMMAND_TITLES]);
    assert.equal(c.category, 'SE Inspector');
  }
  // every command a menu names exists
  for (const items of Object.values(pkg.contributes.menus) as { command: string }[][]) for (const i of items) assert.ok(declared.includes(i.command), i.command);
  assert.equal(pkg.main, './dist/extension.cjs');
});

test('package.json: custom editor, views, settings', () => {
  const eds = pkg.contributes.customEditors as { viewType: string; priority: string; selector: { filenamePattern: string }[] }[];
  const prio = (p: string) => eds.find((e) => e.selector.some((s) => s.filenamePattern === p))?.priority;
  assert.equal(prio('*.keras'), 'default');
  assert.equal(prio('*.h5'), 'default');
  assert.equal(prio('*.json'), 'option');
  // One viewType per priority: VS Code rejects a second contribution of the same viewType.
  assert.deepEqual(eds.map((e) => e.viewType), ['seInspector.modelReport', 'seInspector.modelReportJson']);
  assert.deepEqual(pkg.contributes.views.seInspector.map((v: { id: string }) => v.id), ['seInspector.blocks', 'seInspector.heatmap']);
  const props = pkg.contributes.configuration.properties;
  assert.deepEqual(Object.keys(props).sort(), ['seInspector.backend', 'seInspector.colormap', 'seInspector.labels', 'seInspector.preprocess', 'seInspector.ratios', 'seInspector.threads']);
  // the setting offers exactly the runtime's backends, auto first, each described
  assert.deepEqual(props['seInspector.backend'].enum, [...BACKEND_REQUESTS]);
  assert.equal(props['seInspector.backend'].enumDescriptions.length, BACKEND_REQUESTS.length);
  assert.equal(props['seInspector.threads'].default, 0);
});

test('webview HTML: strict CSP with a fresh nonce per render, no remote sources, no inline script', () => {
  const parts = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dist/report.js', styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/inspector.css', view: 'report' as const, title: 'a <b> "c"' };
  const a = renderHtml(parts);
  const b = renderHtml(parts);
  const nonce = /script-src 'nonce-([A-Za-z0-9]+)'/.exec(a)?.[1];
  assert.ok(nonce && nonce.length >= 16, 'nonce');
  assert.notEqual(nonce, /script-src 'nonce-([A-Za-z0-9]+)'/.exec(b)?.[1], 'nonce differs per render');
  const policy = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(a)![1];
  assert.match(policy, /^default-src 'none'; /);
  assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|\*/);
  const scripts = [...a.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0][1], new RegExp(`nonce="${nonce}"`));
  assert.equal(scripts[0][2].trim(), '', 'no inline script');
  // every src/href is the extension's own resource (what asWebviewUri gives), never a remote URL
  for (const [, url] of a.matchAll(/(?:src|href)="([^"]*)"/g)) assert.ok(url.startsWith(parts.cspSource + '/'), url);
  assert.doesNotMatch(a, /<b>/); // the title is escaped
  assert.equal(csp('X', 'n'), "default-src 'none'; img-src X data: blob:; style-src X 'nonce-n'; font-src X; script-src 'nonce-n'");
});

test('the webview bundles load no remote resource', () => {
  for (const f of ['report', 'panel']) {
    let js: string;
    try {
      js = readFileSync(new URL(`../../media/dist/${f}.js`, import.meta.url), 'utf8');
    } catch {
      continue; // not built yet
    }
    assert.doesNotMatch(js, /(fetch|importScripts)\(\s*["'`]https?:/);
    assert.doesNotMatch(js, /<(script|link)[^>]+(src|href)=["']https?:/);
  }
});

test('messages from webviews: valid ones pass typed, unknown or malformed ones are refused with a reason', () => {
  const ok = (m: unknown) => {
    const c = checkFromWebview(m);
    assert.ok(c.ok, JSON.stringify(m));
    return c.message;
  };
  const bad = (m: unknown, why: RegExp) => {
    const c = checkFromWebview(m);
    assert.equal(c.ok, false, JSON.stringify(m));
    if (!c.ok) assert.match(c.reason, why);
  };
  assert.deepEqual(ok({ type: 'ready', extra: 1 }), { type: 'ready' });
  assert.deepEqual(ok({ type: 'reveal', layer: 'dense_1' }), { type: 'reveal', layer: 'dense_1' });
  assert.deepEqual(ok({ type: 'chooseImage', how: 'dialog' }), { type: 'chooseImage', how: 'dialog' });
  assert.deepEqual(ok({ type: 'dropImage', uri: 'file:///a/b.png' }), { type: 'dropImage', uri: 'file:///a/b.png' });
  assert.deepEqual(ok({ type: 'dropImage', name: 'x.png', base64: 'iVBORw0KGgo=' }), { type: 'dropImage', name: 'x.png', base64: 'iVBORw0KGgo=' });
  assert.deepEqual(ok({ type: 'exportPng', dataUrl: 'data:image/png;base64,AAAA' }), { type: 'exportPng', dataUrl: 'data:image/png;base64,AAAA' });
  assert.deepEqual(ok({ type: 'exportCsv' }), { type: 'exportCsv' });
  bad(null, /not an object/);
  bad('ready', /not an object/);
  bad([], /not an object/);
  bad({}, /no type/);
  bad({ type: 'rm -rf' }, /unknown type/);
  bad({ type: 'reveal' }, /layer/);
  bad({ type: 'reveal', layer: 3 }, /layer/);
  bad({ type: 'reveal', layer: 'x'.repeat(10_000) }, /layer/);
  bad({ type: 'chooseImage', how: 'shell' }, /how/);
  bad({ type: 'dropImage' }, /uri or the bytes/);
  bad({ type: 'dropImage', base64: 'not base64!' }, /base64/);
  bad({ type: 'exportPng', dataUrl: 'javascript:alert(1)' }, /PNG data URL/);
});

test('excitation: NaN/Inf become null (invalid) and are counted; CSV writes NaN', () => {
  const run = toRun(
    {
      backend: 'cpu', backendReason: 'asked for cpu', preprocess: 'unit', inputShape: [1, 32, 32, 3],
      blocks: [{ name: 'se, "1"', gateLayer: 'g', channels: 3, excitation: [0.5, NaN, Infinity], stats: { min: 0.5, mean: 0.5, max: 0.5, std: 0 }, nonFinite: 2 }],
      output: { shape: [1, 10], top5: [{ index: 3, value: 0.9 }] },
      timings: { load: 10, run: 5 },
    },
    { name: 'm', path: '/x/m.keras' },
    '/img/cat.png',
  );
  assert.deepEqual(run.blocks[0].values, [0.5, null, null]);
  assert.equal(run.blocks[0].nonFinite, 2);
  assert.equal(run.imageName, 'cat.png');
  assert.equal(JSON.parse(JSON.stringify(run)).blocks[0].values[1], null); // survives the JSON hop to the webview
  assert.equal(runToCsv(run), 'block_index,block,channel,excitation\n0,"se, ""1""",0,0.5\n0,"se, ""1""",1,NaN\n0,"se, ""1""",2,NaN\n');
});

test('the .vsix (.vscodeignore) holds the bundles, wasm, webview assets, manifest and onnxruntime-node\'s JS; no sources, maps, tests or other node_modules', async () => {
  // the list `vsce package` packs before scripts/package.mjs adds the target's onnxruntime binary (npm test builds dist/ and media/dist/ first)
  const { listFiles, PackageManager } = await import('@vscode/vsce');
  const root = new URL('../..', import.meta.url).pathname;
  const files = (await listFiles({ cwd: root, packageManager: PackageManager.Npm })).sort();
  for (const f of ['node_modules/onnxruntime-node/package.json', 'node_modules/onnxruntime-node/dist/index.js', 'node_modules/onnxruntime-node/dist/binding.js', 'node_modules/onnxruntime-common/package.json', 'node_modules/onnxruntime-common/dist/cjs/index.js']) {
    assert.ok(files.includes(f), `${f} is not packed`);
  }
  // no native binary of any platform: the one of the target is added per target (5 platforms would be ~290 MB)
  assert.deepEqual(files.filter((f) => f.includes('/bin/')), []);
  for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/extension.cjs', 'dist/worker.cjs', 'dist/tfjs-backend-wasm.wasm', 'dist/tfjs-backend-wasm-simd.wasm', 'media/icon.svg', 'media/inspector.css', 'media/dist/report.js', 'media/dist/panel.js']) {
    assert.ok(files.includes(f), `${f} is not packed`);
  }
  const allowed = /^(package\.json|README\.md|CHANGELOG\.md|LICENSE(\.md|\.txt)?|docs\/images\/.+|dist\/(extension|worker)\.cjs|dist\/[\w-]+\.wasm|media\/icon\.svg|media\/[\w-]+\.css|media\/dist\/[\w-]+\.js|node_modules\/onnxruntime-node\/(package\.json|dist\/\w+\.js)|node_modules\/onnxruntime-common\/(package\.json|dist\/cjs\/.+))$/;
  assert.deepEqual(files.filter((f) => !allowed.test(f)), [], 'packed files outside the allowlist');
  // tfjs-node is optional: the bundles load it only if present, so nothing of it may be packed or required statically
  assert.doesNotMatch(readFileSync(new URL('../../dist/worker.cjs', import.meta.url), 'utf8'), /require\(["']@tensorflow\/tfjs-node["']\)/);
  // onnxruntime-node is a native addon: required from node_modules at run time, never bundled
  const worker = readFileSync(new URL('../../dist/worker.cjs', import.meta.url), 'utf8');
  assert.match(worker, /(require|import)\(["']onnxruntime-node["']\)/);
  assert.doesNotMatch(worker, /onnxruntime_binding\.node/);
});
