// The extension as a person uses it, in code-server + chromium (test/e2e/codeServer.ts), against
// the INSTALLED .vsix (as a user gets it) or, with --dev, the development folder:
//
//   1. open the fixtures folder; palette → "Inspect SE model" → pick cifar10_se_r8.keras → 9 SE blocks
//   2. "Choose image..." → chelsea.png → a heatmap of 9 rows (read through its hover tooltip), top-5,
//      and the progress notification gone
//   3. the SE Inspector side bar: the tree of 9 blocks and the heatmap view of that run; again at ~260 px
//   4. open models/tfjs/model.json, move the mouse over a layer name, read the hover (type, params, SE block)
//   5. open bad.keras (a text file): one clear error message in the view; then the next model still opens
//   6. the same screens in "Default Light Modern" and "Default High Contrast"
//
// Each step is a check; the last line is "e2e: N passed, M failed" and the exit code is 1 on any
// failure. Screenshots land in .test-work/screenshots/se-*.png.
//
//   npm run package && node --import tsx test/e2e/extension.e2e.ts [--vsix se-inspector-0.1.0.vsix]
//   node --import tsx test/e2e/extension.e2e.ts --dev        # the development folder, no .vsix
import fs from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { makeWorkspace } from '../integration/makeFixtures.js';
import { prepareUxWorkspace, uxSteps } from './steps/ux.js';
import { specificitySteps } from './steps/specificity.js';
import {
  type CodeServer,
  ROOT,
  SCREENSHOT_DIR,
  WORK,
  launchBrowser,
  log,
  openWorkbench,
  runCommand,
  screenshot,
  startCodeServer,
  waitForExtensionActivation,
  withTimeout,
} from './codeServer.js';

const EXTENSION_ID = 'se-inspector.se-inspector';
const MODEL = 'cifar10_se_r8.keras';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ arguments

interface Args {
  vsix?: string;
  dev: boolean;
  folder: string;
  timeoutSec: number;
}

function defaultVsix(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  return path.join(ROOT, `${pkg.name}-${process.platform}-${process.arch}-${pkg.version}.vsix`);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { dev: false, folder: path.join(WORK, 'e2e-se-workspace'), timeoutSec: 240 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? fail(`${a} needs a value`);
    if (a === '--dev') args.dev = true;
    else if (a === '--vsix') args.vsix = path.resolve(value());
    else if (a === '--folder') args.folder = path.resolve(value());
    else if (a === '--timeout') args.timeoutSec = Number(value());
    else fail(`unknown argument ${a}`);
  }
  if (!args.dev) {
    args.vsix ??= defaultVsix();
    if (!fs.existsSync(args.vsix)) fail(`no .vsix at ${args.vsix}: run 'npm run package' first (or pass --dev)`);
  }
  if (!(args.timeoutSec > 0)) fail('bad --timeout');
  return args;
}

function fail(msg: string): never {
  process.stderr.write(`extension.e2e: ${msg}\n`);
  process.exit(2);
}

// ------------------------------------------------------------------ checks

interface Result {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}
const results: Result[] = [];
const shots: { file: string; what: string }[] = [];

/** Runs one check; a check whose prerequisites failed is not run and counts as failed. */
async function check(name: string, requires: string[], body: () => Promise<void>, page?: () => Page | undefined): Promise<void> {
  const missing = requires.filter((r) => !results.find((x) => x.name === r)?.ok);
  if (missing.length) {
    results.push({ name, ok: false, ms: 0, error: `not run: needs "${missing.join('", "')}"` });
    log(`SKIP  ${name} (needs ${missing.join(', ')})`);
    return;
  }
  const t0 = Date.now();
  try {
    await body();
    results.push({ name, ok: true, ms: Date.now() - t0 });
    log(`PASS  ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    const error = e instanceof Error ? e.message.split('\n').slice(0, 4).join(' | ') : String(e);
    results.push({ name, ok: false, ms: Date.now() - t0, error });
    log(`FAIL  ${name}: ${error}`);
    const p = page?.();
    if (p) await screenshot(p, `se-FAILED-${name.replace(/\W+/g, '-').slice(0, 40)}`).catch(() => {});
  }
}

function expect(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

async function shot(page: Page, name: string, what: string): Promise<void> {
  shots.push({ file: await screenshot(page, name), what });
}

/** Polls `f` until it returns a truthy value or `ms` pass; then throws `what`. */
async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what} (waited ${Math.round(ms / 1000)} s)${last instanceof Error ? `: ${last.message.split('\n')[0]}` : ''}`);
    await sleep(200);
  }
}

// ------------------------------------------------------------------ workbench helpers

/**
 * The content frame of the visible webview whose page is `view` ('report': the model report
 * editor, 'panel': the side bar's Excitation view). Hidden webviews keep their iframes, and the
 * order of the iframes says nothing, so each visible one is asked for <body data-view>.
 */
async function viewFrame(page: Page, view: 'report' | 'panel', ms = 30_000): Promise<FrameLocator> {
  return until(`a visible ${view} webview`, async () => {
    const frames = page.locator('iframe.webview').filter({ visible: true });
    const n = await frames.count();
    for (let i = 0; i < n; i++) {
      const inner = frames.nth(i).contentFrame().locator('#active-frame').contentFrame();
      if ((await inner.locator(`body[data-view="${view}"]`).count().catch(() => 0)) > 0) return inner;
    }
    return undefined;
  }, ms);
}

/** Opens a workspace file with Quick Open (Ctrl+P), as a person does. */
async function quickOpen(page: Page, fileName: string, description?: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(fileName);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: description ?? fileName }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await row.click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
}

/** Picks `label` in the quick pick that is open (waits for it to be listed; in a long list, types it to filter, as a person does). */
async function pick(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  const listed = await row.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false);
  if (!listed) await page.locator('.quick-input-widget .quick-input-box input').fill(label);
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
}

/** Shows the SE Inspector view container (clicks its activity bar icon unless it is showing). */
async function showSeInspector(page: Page): Promise<void> {
  const title = page.locator('.part.sidebar .composite.title h2');
  const showing = async () => (await page.locator('.part.sidebar').isVisible()) && /SE INSPECTOR/i.test((await title.first().innerText({ timeout: 1000 }).catch(() => '')) ?? '');
  if (!(await showing())) await page.locator('.activitybar [aria-label="SE Inspector"]').first().click();
  await until('the SE Inspector side bar', showing, 10_000);
}

async function sidebarWidth(page: Page): Promise<number> {
  return Math.round((await page.locator('.part.sidebar').boundingBox())?.width ?? 0);
}

/** Drags the sash on the right edge of the side bar until the side bar is `width` px wide. */
async function dragSidebarTo(page: Page, width: number): Promise<number> {
  const bar = await page.locator('.part.sidebar').boundingBox();
  expect(bar, 'the side bar is not visible');
  const edge = bar.x + bar.width;
  const sashes = page.locator('.monaco-sash.vertical').filter({ visible: true });
  let sash: { x: number; y: number; width: number; height: number } | null = null;
  for (let i = 0, n = await sashes.count(); i < n; i++) {
    const b = await sashes.nth(i).boundingBox();
    if (b && Math.abs(b.x + b.width / 2 - edge) <= 4 && b.height > bar.height / 2) sash = b;
  }
  expect(sash, `no sash on the side bar's edge at x=${edge}`);
  const y = sash.y + sash.height / 2;
  await page.mouse.move(sash.x + sash.width / 2, y);
  await page.mouse.down();
  await page.mouse.move(bar.x + width, y, { steps: 8 });
  await page.mouse.up();
  await sleep(300);
  return sidebarWidth(page);
}

/** Waits until no notification toast with `text` is visible (progress notifications end with their task). */
async function waitToastGone(page: Page, text: string | RegExp, ms = 10_000): Promise<void> {
  await until(`the notification "${String(text)}" to go away`, async () => (await page.locator('.notifications-toasts .notification-toast', { hasText: text }).filter({ visible: true }).count()) === 0, ms);
}

async function visibleToasts(page: Page): Promise<string[]> {
  const toasts = page.locator('.notifications-toasts .notification-toast').filter({ visible: true });
  const out: string[] = [];
  for (let i = 0, n = await toasts.count(); i < n; i++) out.push((await toasts.nth(i).innerText().catch(() => '')).replace(/\s+/g, ' ').trim());
  return out;
}

/** Moves the mouse over row `row` (0-based) of the heatmap canvas in `frame`; returns the tooltip text. */
async function hoverHeatmapRow(page: Page, frame: FrameLocator, row: number, xFraction = 0.75): Promise<string> {
  const canvas = frame.locator('canvas.heatmap-canvas');
  await canvas.scrollIntoViewIfNeeded({ timeout: 5000 });
  const box = await canvas.boundingBox();
  expect(box, 'the heatmap canvas has no box');
  // rows start data-top px from the top and are data-row-height px high (heatmap.ts); the plot is the right part
  const rowH = Number((await canvas.getAttribute('data-row-height')) ?? 16);
  await page.mouse.move(box.x + box.width * xFraction, box.y + Number((await canvas.getAttribute('data-top')) ?? 4) + rowH * row + rowH / 2);
  const tip = frame.locator('.heatmap-tooltip');
  await tip.waitFor({ state: 'visible', timeout: 5000 });
  return (await tip.innerText()).replace(/\s+/g, ' ').trim();
}

/** True if the page in `frame` is wider than its view (something is cut off at the right). */
async function overflowsX(frame: FrameLocator): Promise<string | false> {
  return frame.locator('html').evaluate((el) => {
    const over = el.scrollWidth - el.clientWidth;
    if (over <= 1) return false;
    const wide = [...el.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > el.clientWidth + 1).map((e) => `${e.tagName.toLowerCase()}.${String(e.className)}`);
    return `${over} px too wide: ${[...new Set(wide)].slice(0, 5).join(', ')}`;
  });
}

/** Chooses a colour theme as a person does: palette → "Preferences: Color Theme" → click the theme. */
async function setTheme(page: Page, theme: string, workbenchClass: RegExp): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // a row's aria-label is its label, then ", keybinding..." or other details
  const row = (label: string) => page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ visible: true }).and(page.locator(`[aria-label="${label}"], [aria-label^="${label},"]`)).first();
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: 5000 });
  await input.fill('>Preferences: Color Theme');
  await row('Preferences: Color Theme').click({ timeout: 10_000 });
  await until('the colour theme picker', async () => (await input.inputValue()) === '', 10_000);
  // the picker lists "Light Modern" with the setting's id "Default Light Modern" as description
  const label = theme.replace(/^Default (?=Light|Dark)/, '').replace(/^Default High Contrast$/, 'Dark High Contrast');
  await input.fill(label);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ visible: true }).and(page.locator(`[aria-label^="${label}, ${theme}"]`)).first().click({ timeout: 10_000 });
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
  await until(`the workbench to switch to "${theme}"`, async () => workbenchClass.test((await page.locator('.monaco-workbench').getAttribute('class')) ?? ''), 20_000);
  await sleep(500); // webviews get the new colours by message
}

/** The lines of the extension's log output channel ("SE Inspector"), from the profile's log folder. */
function extensionLog(cs: CodeServer): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.includes(EXTENSION_ID) && p.endsWith('.log') && fs.statSync(p).mtimeMs >= cs.startedAt - 1000) found.push(p);
    }
  };
  walk(path.join(cs.profile.userDataDir, 'logs'));
  return found.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n')).filter(Boolean);
}

// ------------------------------------------------------------------ the scenario

async function scenario(args: Args): Promise<void> {
  const folder = args.folder;
  // screenshots of an earlier run (e.g. se-FAILED-*) would pass for this one's
  for (const f of fs.existsSync(SCREENSHOT_DIR) ? fs.readdirSync(SCREENSHOT_DIR) : []) if (/^se-.*\.png$/.test(f)) fs.rmSync(path.join(SCREENSHOT_DIR, f));
  await makeWorkspace(folder);
  prepareUxWorkspace(folder);
  process.env.SE_INSPECTOR_TEST = '1'; // offers the test-only event-loop command (steps/ux.ts)
  fs.writeFileSync(path.join(folder, 'bad.keras'), 'this is a text file, not a Keras model\n');
  const modelJson = fs.readFileSync(path.join(folder, 'models/tfjs/model.json'), 'utf8');

  const settings = { 'workbench.colorTheme': 'Default Dark Modern', 'editor.hover.delay': 200, 'workbench.editor.enablePreview': false };
  const cs = await startCodeServer({ profile: 'se-e2e', settings, vsix: args.vsix ? [args.vsix] : [] });
  const browser = await launchBrowser();
  let page: Page | undefined;
  const webviewErrors: string[] = [];
  const current = () => page;
  try {
    await check('the .vsix is installed as a user gets it', [], async () => {
      if (args.dev) return log('--dev: using the development folder, no .vsix');
      const dirs = fs.readdirSync(cs.profile.extensionsDir).filter((d) => d.startsWith(`${EXTENSION_ID}-`));
      expect(dirs.length === 1, `expected one ${EXTENSION_ID}-* folder in ${cs.profile.extensionsDir}, found ${JSON.stringify(dirs)}`);
      const dir = path.join(cs.profile.extensionsDir, dirs[0]);
      for (const f of ['package.json', 'dist/extension.cjs', 'dist/worker.cjs', 'dist/tfjs-backend-wasm.wasm', 'dist/tree-sitter.wasm', 'dist/tree-sitter-python.wasm', 'media/dist/report.js', 'media/dist/panel.js', 'media/inspector.css']) {
        expect(fs.existsSync(path.join(dir, f)), `the installed extension has no ${f}`);
      }
      for (const f of ['src', 'test', 'webview', 'dist/extension.cjs.map']) expect(!fs.existsSync(path.join(dir, f)), `the installed extension contains ${f}`);
      // node_modules holds onnxruntime-node (JS + this platform's binary) and onnxruntime-common, nothing else
      const modules = fs.readdirSync(path.join(dir, 'node_modules')).sort();
      expect(JSON.stringify(modules) === JSON.stringify(['onnxruntime-common', 'onnxruntime-node']), `node_modules of the installed extension: ${JSON.stringify(modules)}`);
      const bins = path.join(dir, 'node_modules/onnxruntime-node/bin/napi-v6');
      const platforms = fs.readdirSync(bins).flatMap((os) => fs.readdirSync(path.join(bins, os)).map((arch) => `${os}/${arch}`));
      expect(JSON.stringify(platforms) === JSON.stringify([`${process.platform}/${process.arch}`]), `onnxruntime binaries packed: ${JSON.stringify(platforms)}`);
    });

    const query: Record<string, string> = args.dev ? { payload: JSON.stringify([['extensionDevelopmentPath', `vscode-remote://${cs.authority}${ROOT}`]]) } : {};
    page = await openWorkbench(browser, cs, folder, {
      query,
      beforeNavigate: (p) => {
        p.on('console', (m) => {
          const where = m.location().url ?? '';
          if (m.type() === 'error' && /\/fake\.html|vscode-resource|vscode-cdn/.test(where)) webviewErrors.push(`${m.text().slice(0, 200)} (${where.slice(0, 160)})`);
        });
        p.on('requestfailed', (r) => {
          // (fake.html is aborted each time a webview (re)loads: not a failure)
          if (/vscode-resource|vscode-cdn/.test(r.url())) log(`webview request failed: ${r.url().slice(0, 200)} ${r.failure()?.errorText ?? ''}`);
        });
      },
    });
    const pg = page;

    await check('palette "Inspect SE model" → cifar10_se_r8.keras → report with 9 SE blocks', [], async () => {
      await runCommand(pg, 'SE Inspector: Inspect SE model', { timeoutMs: 60_000 });
      await pick(pg, MODEL);
      const report = await viewFrame(pg, 'report', 60_000);
      await report.locator('h1').waitFor({ timeout: 60_000 });
      const h1 = await report.locator('h1').innerText();
      const rows = await report.locator('table.se-blocks tbody tr').count();
      log(`report: ${h1}, ${rows} SE block rows`);
      expect(h1 === 'cifar10_se', `the report's title is "${h1}", expected cifar10_se`);
      expect(rows === 9, `expected 9 SE block rows, saw ${rows}`);
      await waitForExtensionActivation(cs, EXTENSION_ID, 10_000);
      await shot(pg, 'se-report', 'the report of cifar10_se_r8.keras: summary, 9 SE blocks, what-if (dark theme)');
    }, current);

    const REPORT = 'palette "Inspect SE model" → cifar10_se_r8.keras → report with 9 SE blocks';
    const HEATMAP = '"Choose image..." → chelsea.png → heatmap of 9 rows, progress notification gone';
    await check(HEATMAP, [REPORT], async () => {
      const report = await viewFrame(pg, 'report');
      await report.getByText('Choose image...').first().click();
      await pick(pg, 'chelsea.png');
      await report.locator('.top5 li').first().waitFor({ timeout: 120_000 });
      const rows = await report.locator('canvas.heatmap-canvas').getAttribute('data-rows');
      expect(rows === '9', `the heatmap has ${rows} rows, expected 9`);
      const first = await hoverHeatmapRow(pg, report, 0);
      const last = await hoverHeatmapRow(pg, report, 8);
      log(`heatmap tooltip, row 1: ${first}; row 9: ${last}`);
      expect(/multiply · block #0 of 9/.test(first), `row 1 tooltip: ${first}`);
      expect(/multiply_8 · block #8 of 9/.test(last) && /channel #\d+ of 256/.test(last), `row 9 tooltip: ${last}`);
      expect((await report.locator('.top5 li').count()) === 5, 'expected a top-5 list');
      const info = await report.locator('.heatmap-info').innerText();
      // the .vsix carries onnxruntime-node for this platform: auto runs on it, and the status bar says so
      expect(/cifar10_se on chelsea\.png · backend onnx/.test(info), `heatmap info: ${info}`);
      const status = await pg.locator('.statusbar-item', { hasText: 'SE: onnx' }).first().innerText({ timeout: 10_000 }).catch(() => '');
      log(`status bar item: ${status}`);
      expect(/SE: onnx/.test(status), `the status bar shows no 'SE: onnx' (got '${status}')`);
      await waitToastGone(pg, 'chelsea.png');
      const toasts = await visibleToasts(pg);
      expect(toasts.length === 0, `notifications still shown after the run: ${JSON.stringify(toasts)}`);
      await hoverHeatmapRow(pg, report, 3, 0.6);
      await shot(pg, 'se-heatmap', 'the heatmap of chelsea.png in the report: 9 rows, the hover tooltip on row 4, top-5; no notification left');
    }, current);

    const SIDE = 'side bar: the tree of 9 SE blocks and the heatmap view of the last run';
    await check(SIDE, [HEATMAP], async () => {
      await showSeInspector(pg);
      const tree = pg.locator('.part.sidebar .pane', { has: pg.locator('.pane-header', { hasText: 'SE Blocks' }) }).locator('.monaco-list-row');
      await until('9 rows in the SE Blocks tree', async () => (await tree.count()) === 9);
      const labels = await tree.allInnerTexts();
      // a row's text is its label and its description: "#0 multiply" + "C 64 · r 8 · +0.05% params"
      expect(/^#0 multiply\s*C 64\b/.test(labels[0]) && /^#8 multiply_8\s*C 256\b/.test(labels[8]), `tree rows: ${JSON.stringify(labels)}`);
      const panel = await viewFrame(pg, 'panel');
      await panel.locator('canvas.heatmap-canvas').waitFor({ state: 'visible', timeout: 30_000 });
      const title = await panel.locator('.panel-title').innerText();
      expect(title === `${MODEL} · 9 SE blocks`, `panel title: ${title}`);
      expect((await panel.locator('canvas.heatmap-canvas').getAttribute('data-rows')) === '9', 'the panel heatmap has no 9 rows');
      const info = await panel.locator('.heatmap-info').innerText();
      expect(info.includes('chelsea.png'), `the panel does not show the run on chelsea.png: ${info}`);
      const over = await overflowsX(panel);
      expect(!over, `the panel is cut off: ${over}`);
      const tip = await hoverHeatmapRow(pg, panel, 6, 0.7);
      expect(/block #6 of 9/.test(tip), `panel tooltip: ${tip}`);
      await pg.mouse.move(5, 300);
      log(`side bar ${await sidebarWidth(pg)} px wide`);
      await shot(pg, 'se-side-panel', 'the SE Inspector side bar: SE Blocks tree (9) and the Excitation view with the chelsea.png run');
    }, current);

    await check('side bar at ~260 px: nothing cut off', [SIDE], async () => {
      const w = await dragSidebarTo(pg, 260);
      log(`side bar dragged to ${w} px`);
      expect(Math.abs(w - 260) <= 12, `the side bar is ${w} px wide after dragging its sash to 260`);
      const panel = await viewFrame(pg, 'panel');
      await sleep(400); // the canvas redraws on resize
      const over = await overflowsX(panel);
      expect(!over, `the panel is cut off at ${w} px: ${over}`);
      const tip = await hoverHeatmapRow(pg, panel, 2, 0.7);
      expect(/block #2 of 9/.test(tip), `panel tooltip at ${w} px: ${tip}`);
      await pg.mouse.move(5, 300);
      await shot(pg, 'se-side-panel-narrow', `the side bar at ${w} px: tree and heatmap still readable`);
      await dragSidebarTo(pg, 320);
    }, current);

    const HOVER = 'hover a layer name in models/tfjs/model.json → its type, params and SE block';
    await check(HOVER, [], async () => {
      await quickOpen(pg, 'model.json', 'models/tfjs');
      await pg.locator('.tabs-container .tab.active', { hasText: 'model.json' }).waitFor({ timeout: 15_000 });
      const line = modelJson.slice(0, modelJson.indexOf('"name": "dense_1"')).split('\n').length;
      await pg.locator('.monaco-editor .view-lines').first().click({ position: { x: 5, y: 5 } });
      await pg.keyboard.press('Control+G');
      await pg.locator('.quick-input-widget .quick-input-box input').waitFor({ state: 'visible', timeout: 5000 });
      await pg.keyboard.type(String(line));
      await pg.keyboard.press('Enter');
      const cur = await until('the cursor line', async () => pg.locator('.monaco-editor.focused .view-overlays .current-line').first().boundingBox(), 5000);
      const name = await until('"dense_1" on the cursor line', async () => {
        const spans = pg.locator('.monaco-editor.focused .view-line span span', { hasText: /^"dense_1"$/ });
        for (let i = 0, n = await spans.count(); i < n; i++) {
          const b = await spans.nth(i).boundingBox();
          if (b && Math.abs(b.y + b.height / 2 - (cur.y + cur.height / 2)) < cur.height / 2) return b;
        }
        return undefined;
      }, 5000);
      await pg.mouse.move(name.x + name.width / 2, name.y + name.height / 2, { steps: 3 });
      const hover = pg.locator('.monaco-hover').filter({ visible: true, hasText: 'params' });
      await hover.first().waitFor({ state: 'visible', timeout: 15_000 });
      const text = (await hover.first().innerText()).replace(/\s+/g, ' ');
      log(`hover: ${text}`);
      expect(/dense_1/.test(text) && /Dense/.test(text), `hover names no Dense layer: ${text}`);
      expect(/params\s*520\b/.test(text), `hover does not give 520 params: ${text}`);
      expect(/SE block/.test(text) && /multiply/.test(text), `hover names no SE block: ${text}`);
      await shot(pg, 'se-hover', 'the hover on "dense_1" in models/tfjs/model.json: Dense, 520 params, its SE block');
      await pg.mouse.move(5, 300);
    }, current);

    const BAD = 'bad.keras (a text file): one clear error message in the view';
    await check(BAD, [REPORT], async () => {
      await quickOpen(pg, 'bad.keras');
      const report = await viewFrame(pg, 'report');
      const banner = report.locator('.banner.error').filter({ visible: true });
      await banner.first().waitFor({ timeout: 30_000 });
      await sleep(500); // anything else that would show up
      expect((await banner.count()) === 1, `${await banner.count()} error banners`);
      const msg = (await banner.innerText()).trim();
      log(`error view: ${msg}`);
      expect(msg.includes('bad.keras'), `the message does not name the file: ${msg}`);
      expect(!/\n|\bat .*:\d+:\d+/.test(msg), `the message is not one clean line: ${msg}`);
      expect((await report.locator('h1').count()) === 0, 'the error view also shows a report');
      expect(!(await report.locator('.busy').isVisible()), 'the error view still shows a busy indicator');
      const toasts = (await visibleToasts(pg)).filter((t) => /bad\.keras/.test(t));
      expect(toasts.length === 0, `the error is also shown as a notification: ${JSON.stringify(toasts)}`);
      await pg.mouse.move(800, 500); // off the tab, whose tooltip would cover the view
      await sleep(300);
      await shot(pg, 'se-error', 'bad.keras opened: one error line in the view; the side bar says the same for the model in focus');
    }, current);

    await check('after the bad file, the next model still opens (palette → model.json)', [BAD], async () => {
      await runCommand(pg, 'SE Inspector: Inspect SE model', { timeoutMs: 30_000 });
      await pick(pg, 'models/tfjs/model.json');
      await pg.locator('.tabs-container .tab.active', { hasText: 'model.json' }).waitFor({ timeout: 15_000 });
      const report = await viewFrame(pg, 'report');
      await report.locator('h1').waitFor({ timeout: 60_000 });
      const rows = await report.locator('table.se-blocks tbody tr').count();
      expect(rows === 9, `model.json report: ${rows} SE block rows`);
      expect((await report.locator('.banner.error').filter({ visible: true }).count()) === 0, 'an error banner is still shown');
      await shot(pg, 'se-after-error', 'after bad.keras: the report of models/tfjs/model.json (9 SE blocks)');
    }, current);

    await uxSteps({ pg, cs, folder, check, shot, current, h: { viewFrame, pick, quickOpen, until, showSeInspector, dragSidebarTo, overflowsX, extensionLog } });
    await specificitySteps({ pg, cs, folder, check, shot, current, h: { viewFrame, pick, quickOpen, until, showSeInspector, dragSidebarTo, overflowsX, extensionLog } }, setTheme);

    const themed = async (theme: string, cls: RegExp, bodyClass: string, name: string) => {
      await setTheme(pg, theme, cls);
      await pg.locator('.tabs-container .tab', { hasText: MODEL }).first().click();
      await showSeInspector(pg);
      const report = await viewFrame(pg, 'report');
      await report.locator('canvas.heatmap-canvas').waitFor({ state: 'visible', timeout: 30_000 });
      expect(await report.locator(`body.${bodyClass}`).count(), `the report webview has no ${bodyClass} class`);
      const panel = await viewFrame(pg, 'panel');
      await panel.locator('canvas.heatmap-canvas').waitFor({ state: 'visible', timeout: 30_000 });
      expect(await panel.locator(`body.${bodyClass}`).count(), `the panel webview has no ${bodyClass} class`);
      await report.locator('canvas.heatmap-canvas').scrollIntoViewIfNeeded();
      await report.locator('section', { hasText: 'Excitation' }).locator('h2').first().evaluate((e) => e.scrollIntoView());
      await pg.mouse.move(5, 300);
      await sleep(300);
      await shot(pg, name, `${theme}: the report at its Excitation section and the side bar`);
    };
    await check('light theme (Default Light Modern)', [SIDE], () => themed('Default Light Modern', /\bvs\b(?!-dark)/, 'vscode-light', 'se-light'), current);
    await check('high contrast theme (Default High Contrast)', [SIDE], () => themed('Default High Contrast', /\bhc-black\b/, 'vscode-high-contrast', 'se-high-contrast'), current);

    await (await import('./steps/graphView.js')).graphViewSteps({ page: pg, folder, check, shot, until, pick, runCommand, setTheme });

    await check('no errors in the webviews\' consoles', [], async () => {
      expect(webviewErrors.length === 0, `webview console errors: ${webviewErrors.slice(0, 3).join(' | ')}`);
    });

    await check('the extension\'s log ("SE Inspector" output) has no error', [], async () => {
      const lines = extensionLog(cs);
      for (const l of lines.filter((x) => /\[(warning|error)\]/.test(x))) log(`extension log: ${l}`);
      const errors = lines.filter((x) => /\[error\]/.test(x));
      expect(lines.some((x) => /SE Inspector activated/.test(x)), 'the extension log says nothing of its activation');
      expect(errors.length === 0, `${errors.length} error(s) in the extension log: ${errors.slice(0, 2).join(' | ')}`);
    });
  } finally {
    await withTimeout(browser.close(), 15_000, 'closing chromium').catch((e: Error) => log(e.message));
    await cs.stop();
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  try {
    await withTimeout(scenario(args), args.timeoutSec * 1000, 'the e2e scenario');
  } catch (e) {
    const error = e instanceof Error ? e.message.split('\n').slice(0, 6).join(' | ') : String(e);
    log(`ERROR: ${error}`);
    results.push({ name: 'the scenario ran to its end', ok: false, ms: Date.now() - started, error });
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  process.stdout.write('\n');
  for (const r of results) process.stdout.write(`  ${r.ok ? '✔' : '✘'} ${r.name}${r.ok ? ` (${(r.ms / 1000).toFixed(1)} s)` : `\n      ${r.error}`}\n`);
  process.stdout.write('\nscreenshots:\n');
  for (const s of shots) process.stdout.write(`  ${path.relative(ROOT, s.file)}: ${s.what}\n`);
  process.stdout.write(`\ne2e: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  return failed || !passed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
