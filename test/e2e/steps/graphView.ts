// The graph view and two runs compared, in the real VS Code (called from extension.e2e.ts):
//
//   1. MobileNetV3 (.keras): its report → the title bar's "Show graph view" → 9 collapsed SE nodes;
//      search one by name, double-click it open, click one of its layers → its row in the report
//   2. two runs (chelsea.png, rocket.jpg), each exported as CSV from the heatmap, then the
//      comparison exported as CSV: its B - A equals the difference of the two runs' CSVs, the
//      heatmap's hover says the same, the ranking is by mean |B - A|; the side panel shows it too
//   3. screenshots in dark and light; the time from opening the graph view to its first drawn
//      frame on the largest model here (SE-ResNet-50, architecture JSON)
import fs from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { ROOT, log } from '../codeServer.js';
import { resnet50 } from '../../support/architectures.js';

const SHARED = process.env.SE_SHARED ?? path.join(ROOT, '../shared');
const MOBILENET = 'mobilenet_v3_small.keras';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface StepKit {
  page: Page;
  folder: string;
  check: (name: string, requires: string[], body: () => Promise<void>, page?: () => Page | undefined) => Promise<void>;
  shot: (page: Page, name: string, what: string) => Promise<void>;
  until: <T>(what: string, f: () => Promise<T | undefined | null | false>, ms?: number) => Promise<T>;
  pick: (page: Page, label: string) => Promise<void>;
  runCommand: (page: Page, title: string, opts?: { timeoutMs?: number }) => Promise<void>;
  setTheme: (page: Page, theme: string, workbenchClass: RegExp) => Promise<void>;
}

function expect(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

type GraphNode = { id: string; kind: 'layer' | 'se'; name: string; block?: number; x: number; y: number; w: number; h: number };

export async function graphViewSteps(k: StepKit): Promise<void> {
  const { page: pg, folder, check, shot, until } = k;
  const current = () => pg;

  /**
   * The visible webview whose page is `view` (report, panel, graph); for a report, the one titled
   * `h1`. Pinned to its iframe by the webview's id, so that it stays that webview when others show.
   */
  const frameOf = (view: string, h1?: RegExp, ms = 30_000): Promise<FrameLocator> =>
    until(`a visible ${view} webview${h1 ? ` of ${h1}` : ''}`, async () => {
      const frames = pg.locator('iframe.webview').filter({ visible: true });
      for (let i = 0, n = await frames.count(); i < n; i++) {
        const inner = frames.nth(i).contentFrame().locator('#active-frame').contentFrame();
        if ((await inner.locator(`body[data-view="${view}"]`).count().catch(() => 0)) === 0) continue;
        if (h1 && !h1.test((await inner.locator('h1').first().innerText({ timeout: 500 }).catch(() => '')) ?? '')) continue;
        const id = new URL((await frames.nth(i).getAttribute('src')) ?? '', 'http://x').searchParams.get('id');
        return id ? pg.locator(`iframe.webview[src*="id=${id}"]`).contentFrame().locator('#active-frame').contentFrame() : inner;
      }
      return undefined;
    }, ms);
  const graphNodes = (g: FrameLocator) => g.locator('body').evaluate(() => (globalThis as unknown as { seGraph: { nodes(): GraphNode[] } }).seGraph.nodes());
  /** Page coordinates of a node's centre (the canvas's box plus the node's place on it). */
  const nodeCentre = async (g: FrameLocator, n: GraphNode) => {
    const box = await g.locator('canvas.graph-canvas').boundingBox();
    expect(box, 'the graph canvas has no box');
    return { x: box.x + n.x + n.w / 2, y: box.y + n.y + n.h / 2 };
  };
  const titleAction = (label: string) => pg.locator('.editor-group-container.active .editor-actions .action-label').and(pg.locator(`[aria-label^="${label}"]`)).first();

  /** Opens a model's report (palette → Inspect SE model → pick), then its graph view from the report's title bar; returns ms to the first frame. */
  const openGraph = async (file: string, title: RegExp): Promise<{ graph: FrameLocator; ms: number }> => {
    await k.runCommand(pg, 'SE Inspector: Inspect SE model', { timeoutMs: 30_000 });
    await k.pick(pg, file);
    const report = await frameOf('report', title, 60_000);
    await report.locator('table.layers').waitFor({ timeout: 60_000 });
    const t0 = Date.now();
    await titleAction('Show graph view').click({ timeout: 10_000 });
    const graph = await frameOf('graph', undefined, 30_000);
    await until('the graph view to draw its first frame', async () => (await graph.locator('body[data-first-frame-ms]').count()) > 0, 120_000);
    return { graph, ms: Date.now() - t0 };
  };

  // the fixtures of these steps: the MobileNetV3 .keras, a second image, SE-ResNet-50 as an architecture JSON
  const mobilenetSrc = path.join(SHARED, 'fixtures/keras', MOBILENET);
  const rocketSrc = path.join(SHARED, 'images/rocket.jpg');
  for (const f of [mobilenetSrc, rocketSrc]) expect(fs.existsSync(f), `missing fixture ${f}`);
  fs.copyFileSync(mobilenetSrc, path.join(folder, 'models', MOBILENET));
  fs.copyFileSync(rocketSrc, path.join(folder, 'images/rocket.jpg'));
  fs.writeFileSync(path.join(folder, 'models/se_resnet50.json'), JSON.stringify(resnet50({ r: 16 })));

  let graph: FrameLocator | undefined;
  const GRAPH = `graph view of ${MOBILENET} from the report's title bar: 9 collapsed SE nodes`;
  await check(GRAPH, [], async () => {
    await k.setTheme(pg, 'Default Dark Modern', /\bvs-dark\b/);
    const opened = await openGraph(MOBILENET, /MobilenetV3small|mobilenet/i);
    graph = opened.graph;
    const g = graph;
    await until('9 collapsed SE nodes', async () => (await g.locator('canvas.graph-canvas').getAttribute('data-se-collapsed')) === '9', 30_000);
    const nodes = await graphNodes(g);
    const se = nodes.filter((n) => n.kind === 'se');
    expect(se.length === 9, `${se.length} SE nodes drawn`);
    const stats = await g.locator('.graph-stats').innerText();
    log(`graph view of ${MOBILENET}: ${opened.ms} ms to the first frame; ${stats}`);
    expect(/9 SE blocks \(9 collapsed\)/.test(stats), `graph stats: ${stats}`);
  }, current);

  let expandedBlock = '';
  let clickedLayer = '';
  const EXPAND = 'search an SE block, double-click it open, click one of its layers → its row in the report';
  await check(EXPAND, [GRAPH], async () => {
    const g = graph!;
    const target = (await graphNodes(g)).filter((n) => n.kind === 'se')[2];
    expandedBlock = target.name;
    const search = g.locator('vscode-textfield.graph-search input');
    await search.fill(expandedBlock);
    await search.press('Enter');
    await until(`the search to select ${expandedBlock}`, async () => (await g.locator('body').getAttribute('data-selected')) === expandedBlock, 10_000);
    await sleep(300); // the view centres on it in the next frame
    const seNode = (await graphNodes(g)).find((n) => n.kind === 'se' && n.name === expandedBlock)!;
    const at = await nodeCentre(g, seNode);
    await pg.mouse.dblclick(at.x, at.y);
    await until('the SE block to open', async () => (await g.locator('canvas.graph-canvas').getAttribute('data-se-expanded')) === '1', 30_000);
    expect((await g.locator('canvas.graph-canvas').getAttribute('data-se-collapsed')) === '8', 'the other 8 SE blocks are not collapsed');
    await sleep(300);
    const members = (await graphNodes(g)).filter((n) => n.block !== undefined);
    expect(members.length >= 4, `the open block shows ${members.length} layers`);
    const layer = members[1]; // its reduce conv
    clickedLayer = layer.name;
    const p = await nodeCentre(g, layer);
    await pg.mouse.click(p.x, p.y);
    await until(`the details of ${clickedLayer}`, async () => (await g.locator('.graph-details h3').innerText().catch(() => '')) === clickedLayer, 10_000);
    const report = await frameOf('report', /MobilenetV3small|mobilenet/i);
    const row = report.locator('table.layers tr.highlight');
    await row.waitFor({ timeout: 15_000 });
    const name = (await row.locator('td.mono').first().innerText()).trim();
    expect(name === clickedLayer, `the report marks row ${name}, expected ${clickedLayer}`);
    const inView = await row.evaluate((tr) => {
      const r = tr.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= tr.ownerDocument.documentElement.clientHeight;
    });
    expect(inView, `the row of ${clickedLayer} is not scrolled into view`);
    log(`graph: opened ${expandedBlock}, clicked ${clickedLayer}: the report shows its row`);
    await pg.mouse.move(5, 300);
    await shot(pg, 'se-graph-dark', `graph view of ${MOBILENET} (dark): ${expandedBlock} open, ${clickedLayer} selected; the report beside it at its row`);
  }, current);

  // ---- two runs compared
  const exported = (name: RegExp) => fs.readdirSync(folder).filter((f) => name.test(f)).map((f) => path.join(folder, f));
  /** Clicks an export button and accepts the save dialog's proposed path (VS Code's simple file dialog in code-server). */
  const exportVia = async (button: ReturnType<FrameLocator['locator']>, expectName: RegExp): Promise<string> => {
    for (const f of exported(expectName)) fs.rmSync(f);
    await button.click();
    const input = pg.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    const proposed = await input.inputValue();
    await pg.keyboard.press('Enter');
    return until(`the export to write ${expectName} (dialog proposed ${proposed})`, async () => exported(expectName)[0], 15_000);
  };
  const parseCsv = (file: string) =>
    fs.readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).slice(1).map((l) => l.split(','));

  const RUNS = `${MOBILENET} on chelsea.png then rocket.jpg, each exported as CSV from the heatmap`;
  let csvA = '';
  let csvB = '';
  await check(RUNS, [GRAPH], async () => {
    await pg.locator('.tabs-container .tab', { hasText: MOBILENET }).filter({ hasNotText: 'Graph:' }).first().click();
    const report = await frameOf('report', /MobilenetV3small|mobilenet/i);
    const heatmapCsv = report.locator('.heatmap .heatmap-toolbar vscode-button', { hasText: 'Export CSV' });
    for (const [image, set] of [['chelsea.png', (f: string) => (csvA = f)], ['rocket.jpg', (f: string) => (csvB = f)]] as const) {
      await report.getByText('Choose image...').first().click();
      await k.pick(pg, image);
      await until(`the heatmap of ${image}`, async () => (await report.locator('.heatmap-info').innerText().catch(() => '')).includes(`on ${image}`), 120_000);
      set(await exportVia(heatmapCsv, new RegExp(`-${image.replace(/\..*$/, '')}-excitation\\.csv$`)));
      log(`run on ${image} exported to ${path.basename(image === 'chelsea.png' ? csvA : csvB)}`);
    }
  }, current);

  const COMPARE = 'the two runs compared: heatmap B − A = the difference of the two runs\' CSVs, blocks ranked by mean |B − A|';
  await check(COMPARE, [RUNS], async () => {
    const report = await frameOf('report', /MobilenetV3small|mobilenet/i);
    const canvas = report.locator('canvas.difference-canvas');
    await until('the difference heatmap of 9 rows', async () => (await canvas.getAttribute('data-rows').catch(() => null)) === '9', 30_000);
    const note = await report.locator('.comparison > p').first().innerText();
    expect(/rocket\.jpg minus chelsea\.png/.test(note), `comparison note: ${note}`);
    const cmpFile = await exportVia(report.locator('.comparison vscode-button', { hasText: 'Export CSV' }), /rocket-minus-chelsea-comparison\.csv$/);
    const a = parseCsv(csvA);
    const b = parseCsv(csvB);
    const cmp = parseCsv(cmpFile);
    expect(a.length === b.length && a.length === cmp.length && a.length > 100, `rows: A ${a.length}, B ${b.length}, comparison ${cmp.length}`);
    // run CSV: block_index,block,channel,excitation; comparison: block_index,block,rank,channel,a,b,difference
    const key = (r: string[], ch: number) => `${r[0]}/${r[ch]}`;
    const bByKey = new Map(b.map((r) => [key(r, 2), Number(r[3])]));
    const aByKey = new Map(a.map((r) => [key(r, 2), Number(r[3])]));
    const means = new Map<string, { sum: number; n: number; rank: number }>();
    for (const r of cmp) {
      const k2 = key(r, 3);
      const expected = bByKey.get(k2)! - aByKey.get(k2)!;
      expect(Number(r[6]) === expected, `block ${r[1]} channel ${r[3]}: the comparison says ${r[6]}, the runs' CSVs give ${expected}`);
      const m = means.get(r[1]) ?? { sum: 0, n: 0, rank: Number(r[2]) };
      m.sum += Math.abs(expected);
      m.n++;
      means.set(r[1], m);
    }
    const byMean = [...means.entries()].sort((x, y) => y[1].sum / y[1].n - x[1].sum / x[1].n).map(([name]) => name);
    const byRank = [...means.entries()].sort((x, y) => x[1].rank - y[1].rank).map(([name]) => name);
    expect(byMean.join() === byRank.join(), `ranking ${byRank.join()} is not by mean |B-A| (${byMean.join()})`);
    const shown = (await report.locator('.ranking-table tbody tr td.mono').allInnerTexts()).map((s) => s.trim());
    expect(shown.join() === byRank.join(), `the ranking table shows ${shown.join()}`);
    // the heatmap itself: hover cells and read B − A
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    expect(box, 'the difference heatmap has no box');
    const blocks = [...new Set(cmp.map((r) => r[1]))];
    for (const row of [0, 4, 8]) {
      await pg.mouse.move(box.x + box.width * 0.7, box.y + 4 + 16 * row + 8);
      const tip = (await report.locator('.difference-tooltip').filter({ visible: true }).innerText({ timeout: 5000 })).replace(/\s+/g, ' ');
      const m = /channel (\d+) of \d+ B − A: ([+-]\d+\.\d+)/.exec(tip);
      expect(m && tip.includes(blocks[row]), `tooltip on row ${row + 1}: ${tip}`);
      const expected = bByKey.get(`${row}/${m[1]}`)! - aByKey.get(`${row}/${m[1]}`)!;
      expect(Math.abs(Number(m[2]) - expected) <= 5e-5, `row ${row + 1} channel ${m[1]}: the heatmap says ${m[2]}, the CSVs give ${expected}`);
    }
    log(`comparison: ${cmp.length} values equal B − A of the runs' CSVs; most different block ${byRank[0]}`);
    await report.locator('section', { hasText: 'Compare runs' }).locator('h2').first().evaluate((e) => e.scrollIntoView());
    await sleep(200);
    const shown2 = await canvas.boundingBox();
    if (shown2) await pg.mouse.move(shown2.x + shown2.width * 0.5, shown2.y + 4 + 16 * 2 + 8);
    await sleep(200);
    await shot(pg, 'se-compare-dark', `${MOBILENET}: rocket.jpg minus chelsea.png, diverging heatmap (hover on row 3) and the blocks ranked by mean |B − A| (dark)`);
  }, current);

  await check('the side panel shows the comparison too', [COMPARE], async () => {
    const title = pg.locator('.part.sidebar .composite.title h2');
    if (!/SE INSPECTOR/i.test((await title.first().innerText({ timeout: 1000 }).catch(() => '')) ?? '')) await pg.locator('.activitybar [aria-label="SE Inspector"]').first().click();
    const panel = await frameOf('panel');
    await until('the panel\'s difference heatmap of 9 rows', async () => (await panel.locator('canvas.difference-canvas').getAttribute('data-rows').catch(() => null)) === '9', 30_000);
    const top = await panel.locator('.ranking-table tbody tr').count();
    expect(top === 5, `the panel ranks ${top} blocks, expected the top 5`);
  }, current);

  await check('graph view and comparison in the light theme', [GRAPH], async () => {
    await k.setTheme(pg, 'Default Light Modern', /\bvs\b(?!-dark)/);
    const g = await frameOf('graph');
    expect(await g.locator('body.vscode-light').count(), 'the graph webview has no vscode-light class');
    // a collapsed SE node in view, filled by its mean excitation of the last run
    const search = g.locator('vscode-textfield.graph-search input');
    await search.fill('expanded_conv_5_squeeze_excite');
    await search.press('Enter');
    await until('the search to select expanded_conv_5_squeeze_excite', async () => (await g.locator('body').getAttribute('data-selected')) === 'expanded_conv_5_squeeze_excite', 10_000);
    const details = await g.locator('.graph-details').innerText();
    expect(/mean excitation\s+0\.\d{4}/.test(details), `the SE node's details give no mean excitation: ${details}`);
    await sleep(400);
    await shot(pg, 'se-graph-light', `graph view of ${MOBILENET} in Default Light Modern, SE nodes coloured by the last run's mean excitation`);
    const report = await frameOf('report', /MobilenetV3small|mobilenet/i);
    if (await report.locator('canvas.difference-canvas').count()) {
      await report.locator('section', { hasText: 'Compare runs' }).locator('h2').first().evaluate((e) => e.scrollIntoView());
      await sleep(300);
      await shot(pg, 'se-compare-light', 'the comparison in the report, light theme');
    }
  }, current);

  await check('time to the first frame of the graph view on the largest model (SE-ResNet-50, 16 SE blocks)', [GRAPH], async () => {
    const { graph: g, ms } = await openGraph('se_resnet50.json', /se_resnet50/);
    await until('16 collapsed SE nodes', async () => (await g.locator('canvas.graph-canvas').getAttribute('data-se-collapsed')) === '16', 30_000);
    const layoutMs = await g.locator('canvas.graph-canvas').getAttribute('data-layout-ms');
    const inPage = await g.locator('body').getAttribute('data-first-frame-ms');
    log(`FIRST FRAME: se_resnet50.json graph view: ${ms} ms from the click on "Show graph view" to the first drawn frame (page ${inPage} ms from its script start, elk layout ${layoutMs} ms); ${await g.locator('.graph-stats').innerText()}`);
    await shot(pg, 'se-graph-resnet-light', 'SE-ResNet-50 (architecture JSON): its graph view, 16 SE blocks collapsed');
    expect(ms < 30_000, `the first frame took ${ms} ms`);
  }, current);
}
