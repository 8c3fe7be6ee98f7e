/**
 * One backend, one model, in a process of its own (so peak memory is this run's):
 * node --import tsx bench/measureBackend.ts <model.json> <backend> <runs> [<plain model.json>]
 * Prints one JSON line.
 */
import { analyze } from '../src/analysis/report.js';
import { openModel } from '../src/formats/index.js';
import { initBackend, loadModel } from '../src/runtime/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const [path, backend, runsText, plainPath] = process.argv.slice(2);
  const runs = Number(runsText);
  const graph = await openModel(path);
  const report = analyze(graph);
  // Start the backend first: the memory at start then includes tfjs and its wasm, not the model.
  await initBackend(backend as never).catch(() => {});
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let model;
  try {
    model = await loadModel(graph, { backend: backend as never });
  } catch (e) {
    console.log(JSON.stringify({ backend, error: (e as Error).message }));
    return;
  }
  const loadMs = performance.now() - t0;
  const shape = model.concreteInputShape();
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  const input = { data, shape };
  const gates = report.seBlocks.map((b) => b.gateLayer);
  const t1 = performance.now();
  await model.predict(input);
  const firstRunMs = performance.now() - t1;
  const predictMs: number[] = [];
  const captureMs: number[] = [];
  // Alternate, so both see the same machine state.
  for (let i = 0; i < runs; i++) {
    predictMs.push((await model.predict(input)).ms);
    captureMs.push((await model.run(input, { capture: gates })).ms);
  }
  const weightBytes = model.weightBytes;
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  model.dispose();
  let plainMs: number | undefined;
  let plainMinMs: number | undefined;
  if (plainPath) {
    const plain = await loadModel(await openModel(plainPath), { backend: backend as never });
    await plain.predict(input);
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) xs.push((await plain.predict(input)).ms);
    plainMs = median(xs);
    plainMinMs = Math.min(...xs);
    plain.dispose();
  }
  console.log(
    JSON.stringify({
      backend: model.backend.name,
      reason: model.backend.reason,
      macs: report.totals.macs,
      blocks: gates.length,
      loadMs,
      firstRunMs,
      predictMs: median(predictMs),
      captureMs: median(captureMs),
      predictMinMs: Math.min(...predictMs),
      captureMinMs: Math.min(...captureMs),
      plainMs,
      plainMinMs,
      weightBytes,
      rssBeforeBytes: rssBefore,
      peakRssBytes,
    }),
  );
}

main().catch((e) => {
  console.log(JSON.stringify({ error: String(e?.message ?? e) }));
});
