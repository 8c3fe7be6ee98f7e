/**
 * `npm run bench`: builds SE-ResNet-50 (and ResNet-50) here, with seeded random weights, and
 * measures, in one run: structure analysis (in-process and CLI cold), each available backend on
 * the same 224 x 224 run, excitation capture against a plain predict, peak memory against the
 * weights, the threaded wasm build, and a folder of images on one and two worker threads.
 * Prints the results and writes them into BENCHMARKS.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../src/analysis/report.js';
import { openModel } from '../src/formats/index.js';
import { resnet50 } from '../test/support/architectures.js';
import { writeLayersModel } from '../test/support/tfjsWriter.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/cli.js');
const IMAGES = join(ROOT, '../shared/images');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
const MB = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
/** Peak of this machine kind, measured with an FMA loop (../shared/docs/performance-notes.md). */
const PEAK_GFLOPS_CORE = 115;
const PAPER = { resnet50: 164, seResnet50: 167 };

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function time(fn: () => Promise<unknown>, n: number): Promise<number> {
  await fn();
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

function wall(args: string[], n: number): number {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
    xs.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`se-inspector ${args.join(' ')} failed: ${r.stderr}`);
  }
  return median(xs);
}

function child(script: string, args: string[]): any {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script), ...args], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 600_000 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'se-bench-'));
  const lines: string[] = [];
  const out = (s = '') => {
    lines.push(s);
    log(s);
  };
  try {
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    out(`Machine: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`);
    out();

    // The models, built here: keras.applications layout, 224 x 224, seeded random weights.
    const seConfig = resnet50({ r: 16 });
    const seJson = join(work, 'se_resnet50.json');
    writeFileSync(seJson, JSON.stringify(seConfig));
    const seModel = await writeLayersModel(join(work, 'se_resnet50'), seConfig, 1);
    const plainModel = await writeLayersModel(join(work, 'resnet50'), resnet50(), 2);

    // 1. Structure analysis.
    const inJson = await time(async () => analyze(await openModel(seJson)), 20);
    const inTfjs = await time(async () => analyze(await openModel(seModel)), 20);
    const report = analyze(await openModel(seModel));
    const coldJson = wall(['inspect', seJson, '--json'], 5);
    const coldTfjs = wall(['inspect', seModel, '--json'], 5);
    out('### Structure analysis of SE-ResNet-50 (read + shapes + counts + SE detection + what-if)');
    out();
    out('| what | measured | goal |');
    out('| --- | --- | --- |');
    out(`| in-process, Keras architecture JSON (median of 20) | ${ms(inJson)} | under 150 ms |`);
    out(`| in-process, tfjs layers model.json + shard checks (median of 20) | ${ms(inTfjs)} | under 150 ms |`);
    out(`| CLI cold, \`inspect --json\` of the JSON (median of 5, whole process) | ${ms(coldJson)} | under 500 ms |`);
    out(`| CLI cold, \`inspect --json\` of the tfjs model.json | ${ms(coldTfjs)} | under 500 ms |`);
    out();
    out(`The model: ${report.totals.params.toLocaleString('en-US')} parameters, ${(report.totals.macs / 1e9).toFixed(2)} GMACs, ${report.seBlocks.length} SE blocks.`);
    out();

    // 2. Backends side by side on the same 224 x 224 run.
    const gflop = (2 * report.totals.macs) / 1e9;
    const rows: any[] = [];
    for (const [backend, runs] of [['tfjs-node', '10'], ['wasm', '15'], ['cpu', '2']] as const) {
      const r = child('measureBackend.ts', [seModel, backend, runs, plainModel]);
      rows.push({ requested: backend, ...r });
    }
    out('### Backends on SE-ResNet-50, 224 x 224 x 3, batch 1');
    out();
    out('Times are the median / the fastest of the runs (this VM shares its cores, so medians move by 10-30 % between runs; the fastest run is the least disturbed, and SE overhead and GFLOP/s are taken from it). Capture = the same forward pass also returning all 16 gates.');
    out();
    out('| backend | load | first run | plain predict | with excitation capture | capture / predict | ResNet-50 (no SE) | SE overhead | GFLOP/s | of 1-core peak | peak RSS | peak RSS / weights |');
    out('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) {
      if (r.error || r.backend !== r.requested) {
        out(`| ${r.requested} | not available here: ${(r.error ?? `fell back to ${r.backend}`).replace(/\|/g, '/').slice(0, 160)} | | | | | | | | | | |`);
        continue;
      }
      const gps = gflop / (r.predictMinMs / 1000);
      const both = (a: number, b: number) => `${ms(a)} / ${ms(b)}`;
      out(
        `| ${r.backend} | ${ms(r.loadMs)} | ${ms(r.firstRunMs)} | ${both(r.predictMs, r.predictMinMs)} | ${both(r.captureMs, r.captureMinMs)} | ${(r.captureMs / r.predictMs).toFixed(3)}x / ${(r.captureMinMs / r.predictMinMs).toFixed(3)}x | ${r.plainMs ? both(r.plainMs, r.plainMinMs) : ''} | ${r.plainMs ? `${((100 * (r.predictMinMs - r.plainMinMs)) / r.plainMinMs).toFixed(1)}%` : ''} | ${gps.toFixed(1)} | ${((100 * gps) / PEAK_GFLOPS_CORE).toFixed(0)}% | ${MB(r.peakRssBytes)} | ${(r.peakRssBytes / r.weightBytes).toFixed(2)}x (${((r.peakRssBytes - r.rssBeforeBytes) / r.weightBytes).toFixed(2)}x above the process at start) |`,
      );
    }
    out();
    out(`Paper (SENet, 2017 CPU): ResNet-50 ${PAPER.resnet50} ms, SE-ResNet-50 ${PAPER.seResnet50} ms (+${(((PAPER.seResnet50 - PAPER.resnet50) / PAPER.resnet50) * 100).toFixed(1)}%). Weights: ${MB(rows.find((r) => r.weightBytes)?.weightBytes ?? 0)}. ${gflop.toFixed(2)} GFLOP per image (2 x MACs); peak of this machine: about ${PEAK_GFLOPS_CORE} GFLOP/s per core, ${2 * PEAK_GFLOPS_CORE} for both (FMA loop).`);
    out();

    // 3. The threaded wasm build.
    const threaded = child('threadedWasm.ts', []);
    out(`### Multi-threaded wasm in Node: setThreadsCount(2) then setBackend('wasm') -> ${JSON.stringify(threaded)}`);
    out();

    // 4. A folder of images on one and two worker threads.
    const folder = join(work, 'images');
    mkdirSync(folder);
    const photos = ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg'];
    for (let k = 0; k < 3; k++) for (const p of photos) copyFileSync(join(IMAGES, p), join(folder, `${k}-${p}`));
    const folderRun = (workers: number) => {
      const t = performance.now();
      const r = spawnSync(process.execPath, [CLI, 'excite', seModel, folder, '--workers', String(workers), '--backend', 'wasm', '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
      if (r.status !== 0) throw new Error(`folder run failed: ${r.stderr}`);
      return performance.now() - t;
    };
    const one = folderRun(1);
    const two = folderRun(2);
    const n = photos.length * 3;
    out(`### A folder of ${n} photos through SE-ResNet-50 (CLI \`excite <model> <folder>\`, wasm, whole command incl. loading)`);
    out();
    out('| worker threads | wall time | images/s |');
    out('| --- | --- | --- |');
    out(`| 1 | ${ms(one)} | ${((n * 1000) / one).toFixed(2)} |`);
    out(`| 2 | ${ms(two)} | ${((n * 1000) / two).toFixed(2)} (x${(one / two).toFixed(2)}) |`);
    out();

    const md = join(ROOT, 'BENCHMARKS.md');
    const doc = readFileSync(md, 'utf8');
    const start = '<!-- bench:start -->';
    const end = '<!-- bench:end -->';
    const i = doc.indexOf(start);
    const j = doc.indexOf(end);
    if (i >= 0 && j > i) writeFileSync(md, `${doc.slice(0, i + start.length)}\n${lines.join('\n')}\n${doc.slice(j)}`);
    log(`\nwritten to ${md}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
