// The extension as a person uses it, in code-server + chromium (test/e2e/codeServer.ts):
// palette → Inspect SE model → pick the .keras → the report renders; Choose image... → pick
// chelsea.png → the heatmap canvas and top-5 appear; the side panel shows the blocks and heatmap.
// Screenshots land in .test-work/screenshots/.
//
//   node test/integration/build.mjs   # not needed here, only for the integration suite
//   node --import tsx test/e2e/extension.e2e.ts
import path from 'node:path';
import { makeWorkspace } from '../integration/makeFixtures.js';
import { ROOT, WORK, launchBrowser, log, openWorkbench, runCommand, screenshot, startCodeServer, webviewFrame, withTimeout } from './codeServer.js';

async function main(): Promise<void> {
  const folder = path.join(WORK, 'e2e-se-workspace');
  await makeWorkspace(folder);
  const cs = await startCodeServer({ profile: 'se-e2e' });
  const browser = await launchBrowser();
  try {
    const payload = JSON.stringify([['extensionDevelopmentPath', `vscode-remote://${cs.authority}${ROOT}`]]);
    const page = await openWorkbench(browser, cs, folder, { query: { payload } });
    await runCommand(page, 'SE Inspector: Inspect SE model', { timeoutMs: 60_000 });
    const pickRow = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'cifar10_se_r8.keras' }).first();
    await pickRow.waitFor({ state: 'visible', timeout: 30_000 });
    await pickRow.click();
    const report = webviewFrame(page);
    await report.locator('h1').waitFor({ timeout: 60_000 });
    const h1 = await report.locator('h1').innerText();
    const blocks = await report.locator('table.se-blocks tbody tr').count();
    log(`report: ${h1}, ${blocks} SE block rows`);
    if (blocks !== 9) throw new Error(`expected 9 SE block rows, saw ${blocks}`);
    await screenshot(page, 'se-report');

    await report.getByText('Choose image...').first().click();
    const imgRow = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'chelsea.png' }).first();
    await imgRow.waitFor({ state: 'visible', timeout: 30_000 });
    await imgRow.click();
    await report.locator('.top5 li').first().waitFor({ timeout: 120_000 });
    await report.locator('canvas.heatmap-canvas').scrollIntoViewIfNeeded();
    const box = await report.locator('canvas.heatmap-canvas').boundingBox();
    if (box) await page.mouse.move(box.x + box.width * 0.6, box.y + 20);
    await screenshot(page, 'se-heatmap');

    await page.locator('.activitybar [aria-label="SE Inspector"]').first().click();
    await page.locator('.monaco-list-row', { hasText: '9.' }).first().waitFor({ timeout: 30_000 }).catch(() => log('tree rows not seen'));
    await screenshot(page, 'se-side-panel');
    log('e2e scenario passed');
  } finally {
    await browser.close().catch(() => {});
    await cs.stop();
  }
}

withTimeout(main(), 400_000, 'the e2e scenario').then(
  () => process.exit(0),
  (e: unknown) => {
    log(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
