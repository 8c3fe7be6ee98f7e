/**
 * The worker thread: reads models, analyses them and runs them (TF.js) off the extension host's
 * main thread. One request at a time per id; `cancel` aborts the request's signal.
 */
import { parentPort } from 'node:worker_threads';
import { analyze } from '../../analysis/report.js';
import { openModel } from '../../formats/index.js';
import { excite, loadModel } from '../../runtime/excite.js';
import { CancelledError, ModelError, userMessage } from '../../util/errors.js';
import type { ExciteRequest, ExciteResult, FromWorker, InspectRequest, InspectResult, ToWorker } from './workerProtocol.js';

const port = parentPort;
if (!port) throw new Error('workerMain must run in a worker thread');
const controllers = new Map<number, AbortController>();

const send = (m: FromWorker) => port.postMessage(m);

async function inspect(r: InspectRequest): Promise<InspectResult> {
  const graph = await openModel(r.path);
  const report = analyze(graph, r.ratios);
  const sources: InspectResult['sources'] = {};
  for (const n of graph.nodes) if (n.source) sources[n.name] = n.source;
  return { report, sources };
}

async function run(id: number, r: ExciteRequest, signal: AbortSignal): Promise<ExciteResult> {
  send({ id, progress: 'reading the model' });
  const graph = await openModel(r.modelPath);
  const report = analyze(graph, r.ratios);
  if (report.seBlocks.length === 0) throw new ModelError('no SE block found, so there is no excitation to show', r.modelPath);
  if (signal.aborted) throw new CancelledError();
  send({ id, progress: 'loading weights' });
  const loaded = await loadModel(graph, { backend: r.backend });
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
