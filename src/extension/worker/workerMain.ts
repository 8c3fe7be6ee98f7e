/**
 * The worker thread: reads models, analyses them and runs them (TF.js) off the extension host's
 * main thread. One request at a time per id; `cancel` aborts the request's signal.
 */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { byteToCharOffset } from '../../hover/jsonHover.js';
import { analyze } from '../../analysis/report.js';
import { openModel } from '../../formats/index.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { excite, loadModel, setWasmDirectory } from '../../runtime/index.js';
import { CancelledError, ModelError, userMessage } from '../../util/errors.js';
import type { ExciteRequest, ExciteResult, FromWorker, InspectRequest, InspectResult, ToWorker } from './workerProtocol.js';

const port = parentPort;
if (!port) throw new Error('workerMain must run in a worker thread');
const controllers = new Map<number, AbortController>();
// the build copies the wasm binaries next to this bundle (dist/)
try {
  setWasmDirectory(dirname(fileURLToPath(import.meta.url)));
} catch {
  /* the runtime searches node_modules itself */
}

const send = (m: FromWorker) => port.postMessage(m);

async function inspect(r: InspectRequest): Promise<InspectResult> {
  const graph = await openModel(r.path);
  const report = analyze(graph, r.ratios);
  return { report, sources: /\.json$/i.test(r.path) ? nameSources(r.path, graph.nodes) : {} };
}

/**
 * Where each node's name is declared in a JSON model: the character offsets of the string after the
 * first `"name": "<node>"` (the layer/node level comes before nested configs and references).
 * Readers that record byte offsets (`node.source`) are used when present.
 */
function nameSources(path: string, nodes: { name: string; source?: { start: number; end: number } }[]): InspectResult['sources'] {
  const text = readFileSync(path, 'utf8');
  const first = new Map<string, { start: number; end: number }>();
  const re = /"name"\s*:\s*("(?:\\.|[^"\\])*")/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let name: string;
    try {
      name = JSON.parse(m[1]) as string;
    } catch {
      continue;
    }
    if (!first.has(name)) {
      const start = m.index + m[0].length - m[1].length;
      first.set(name, { start, end: start + m[1].length });
    }
  }
  const out: InspectResult['sources'] = {};
  for (const n of nodes) {
    const at = first.get(n.name);
    if (at) out[n.name] = at;
    else if (n.source) out[n.name] = { start: byteToCharOffset(text, n.source.start), end: byteToCharOffset(text, n.source.end) };
  }
  return out;
}

async function run(id: number, r: ExciteRequest, signal: AbortSignal): Promise<ExciteResult> {
  send({ id, progress: 'reading the model' });
  const graph = await openModel(r.modelPath);
  const report = analyze(graph, r.ratios);
  if (report.seBlocks.length === 0) throw new ModelError('no SE block found, so there is no excitation to show', r.modelPath);
  if (signal.aborted) throw new CancelledError();
  send({ id, progress: 'loading weights' });
  const loaded = await loadModel(graph, { backend: r.backend, signal });
  try {
    if (signal.aborted) throw new CancelledError();
    send({ id, progress: 'running' });
    const result = await excite(loaded, report, r.imagePath, { preprocess: r.preprocess as never, signal });
    if (signal.aborted) throw new CancelledError();
    return result as unknown as ExciteResult;
  } finally {
    loaded.dispose();
  }
}

port.on('message', (m: ToWorker) => {
  if ('cancel' in m) {
    controllers.get(m.id)?.abort();
    return;
  }
  const ctl = new AbortController();
  controllers.set(m.id, ctl);
  const job = m.request.kind === 'inspect' ? inspect(m.request) : run(m.id, m.request, ctl.signal);
  job.then(
    (result) => send({ id: m.id, ok: true, result }),
    (err) => send({ id: m.id, ok: false, message: ctl.signal.aborted ? 'cancelled' : userMessage(err), cancelled: ctl.signal.aborted || err instanceof CancelledError }),
  ).finally(() => controllers.delete(m.id));
});
