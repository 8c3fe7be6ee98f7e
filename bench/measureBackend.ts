/**
 * Capture against a plain run, one backend, in a process of its own:
 * node --import tsx bench/measureBackend.ts <model.json> <backend> <runs> <threads|0> [<plain model.json>]
 * Two loaded models alternate run by run (so both see the same machine state): one built to
 * return every SE gate (onnx: gates as extra outputs of its session), one loaded without any
 * capture. With a plain (no SE) model, its predict time too (the SE overhead). Prints one JSON line.
 */
import { analyze } from '../src/analysis/report.js';
import { openModel } from '../src/formats/index.js';
import { loadModel } from '../src/runtime/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const [path, backend, runsText, threadsText, plainPath] = process.argv.slice(2);
  const runs = Number(runsText);
  const threads = Number(threadsText) || undefined;
  const graph = await openModel(path);
  const report = analyze(graph);
  const gates = report.seBlocks.map((b) => b.gateLayer);
  let capturing;
  let plain;
  try {
    capturing = await loadModel(graph, { backend: backend as never, capture: gates, threads });
    plain = await loadModel(graph, { backend: backend as never, threads });
  } catch (e) {
    console.log(JSON.stringify({ backend, error: (e as Error).message }));
    return;
  }
  const shape = capturing.concreteInputShape();
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  const input = { data, shape };
  await capturing.run(input, { capture: gates });
  await plain.predict(input);
  const predictMs: number[] = [];
  const captureMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    predictMs.push((await plain.predict(input)).ms);
    captureMs.push((await capturing.run(input, { capture: gates })).ms);
  }
  capturing.dispose();
  plain.dispose();
  let plainMs: number | undefined;
  let plainMinMs: number | undefined;
  if (plainPath) {
    const noSe = await loadModel(await openModel(plainPath), { backend: backend as never, threads });
    await noSe.predict(input);
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) xs.push((await noSe.predict(input)).ms);
    plainMs = median(xs);
    plainMinMs = Math.min(...xs);
    noSe.dispose();
  }
  console.log(
    JSON.stringify({
      backend: capturing.backend.name,
      reason: capturing.backend.reason,
      threads: capturing.compute.threads,
      blocks: gates.length,
      predictMs: median(predictMs),
      captureMs: median(captureMs),
      predictMinMs: Math.min(...predictMs),
      captureMinMs: Math.min(...captureMs),
      plainMs,
      plainMinMs,
    }),
  );
}

main().catch((e) => {
  console.log(JSON.stringify({ error: String(e?.message ?? e) }));
});
