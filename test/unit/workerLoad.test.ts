// The extension's worker thread under load, driven through the real bundle (dist/worker.cjs, built by
// `npm run build`) and the real client: concurrent requests, cancellation, memory over many runs,
// bad input and faults. Measured numbers are printed with console.log.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WorkerClient, WorkerError, type CancelSignal, type WorkerClientOptions } from '../../src/extension/worker/client.js';
import type { ExciteRequest, ExciteResult, InspectRequest, InspectResult, MemoryResult } from '../../src/extension/worker/workerProtocol.js';
import { CancelledError } from '../../src/util/errors.js';
import { resnet50 } from '../support/architectures.js';
import { writeLayersModel } from '../support/tfjsWriter.js';

const WORKER = fileURLToPath(new URL('../../dist/worker.cjs', import.meta.url));
const KERAS = fileURLToPath(new URL('../../../shared/fixtures/keras/', import.meta.url));
const IMAGES = fileURLToPath(new URL('../../../shared/images/', import.meta.url));
const CIFAR = join(KERAS, 'cifar10_se_r8.keras');
const CIFAR_H5 = join(KERAS, 'cifar10_se_r8.h5');
const MOBILENET = join(KERAS, 'mobilenet_v3_small.keras');
const RATIOS = [2, 4, 8, 16, 32];

const inspectReq = (path: string): InspectRequest => ({ kind: 'inspect', path, ratios: RATIOS });
const exciteReq = (modelPath: string, image: string): ExciteRequest => ({ kind: 'excite', modelPath, imagePath: join(IMAGES, image), ratios: RATIOS, backend: 'wasm', preprocess: 'auto' });

/** A client as the extension makes one, plus a record of its log. execArgv []: the bundle needs no tsx loader. */
function client(options: WorkerClientOptions = {}, cancelGraceMs = 2000): { c: WorkerClient; logs: string[] } {
  const logs: string[] = [];
  const c = new WorkerClient(WORKER, (l) => logs.push(l), cancelGraceMs, { execArgv: [], ...options });
  return { c, logs };
}

class Token implements CancelSignal {
  isCancellationRequested = false;
  private readonly listeners = new Set<() => void>();
  onCancellationRequested(l: () => void) {
    this.listeners.add(l);
    return { dispose: () => void this.listeners.delete(l) };
  }
  cancel(): void {
    if (this.isCancellationRequested) return;
    this.isCancellationRequested = true;
    for (const l of [...this.listeners]) l();
  }
}

const memory = (c: WorkerClient, gc = false) => c.request({ kind: 'memory', gc });
const MB = (n: number) => `${(n / 2 ** 20).toFixed(2)} MB`;
const fmtMem = (m: MemoryResult) =>
  `tensors ${m.tensors.numTensors} (${m.tensors.numBytes} B), heapUsed ${MB(m.process.heapUsed)}, heapTotal ${MB(m.process.heapTotal)}, external ${MB(m.process.external)}, arrayBuffers ${MB(m.process.arrayBuffers)}, rss ${MB(m.process.rss)}${m.gc ? ' (after gc)' : ''}`;

/** Same excitation run: identical apart from timings, numbers equal to 1e-6. */
function assertSameRun(a: ExciteResult, b: ExciteResult, label: string): void {
  const close = (x: number, y: number, what: string) => assert.ok(Object.is(x, y) || Math.abs(x - y) <= 1e-6, `${label}: ${what}: ${x} vs ${y}`);
  assert.equal(a.backend, b.backend);
  assert.deepEqual(a.inputShape, b.inputShape);
  assert.deepEqual(a.output.shape, b.output.shape);
  assert.deepEqual(a.output.top5.map((t) => t.index), b.output.top5.map((t) => t.index), `${label}: top-5 classes`);
  a.output.top5.forEach((t, i) => close(t.value, b.output.top5[i].value, `top5[${i}]`));
  assert.deepEqual(a.blocks.map((x) => [x.name, x.gateLayer, x.channels, x.nonFinite]), b.blocks.map((x) => [x.name, x.gateLayer, x.channels, x.nonFinite]));
  a.blocks.forEach((blk, i) => {
    const other = b.blocks[i];
    assert.equal(blk.excitation.length, other.excitation.length);
    blk.excitation.forEach((v, j) => close(v, other.excitation[j], `block ${blk.name} channel ${j}`));
    for (const k of ['min', 'mean', 'max', 'std'] as const) close(blk.stats[k], other.stats[k], `block ${blk.name} ${k}`);
  });
}

describe('worker under load', { concurrency: false }, () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'se-worker-load-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('10 inspections and 2 excitation runs started at once give what they give one at a time', async () => {
    const { c, logs } = client();
    try {
      const models = [CIFAR, CIFAR_H5, MOBILENET];
      const inspections = Array.from({ length: 10 }, (_, i) => inspectReq(models[i % 3]));
      const runs = [exciteReq(CIFAR, 'chelsea.png'), exciteReq(MOBILENET, 'astronaut.png')];

      let t0 = performance.now();
      const seqInspect: InspectResult[] = [];
      for (const r of inspections) seqInspect.push(await c.request(r));
      const seqRuns: ExciteResult[] = [];
      for (const r of runs) seqRuns.push(await c.request(r));
      const seqMs = performance.now() - t0;

      t0 = performance.now();
      // interleaved, all posted before any answer
      const all = await Promise.all([...inspections.slice(0, 5).map((r) => c.request(r)), c.request(runs[0]), ...inspections.slice(5).map((r) => c.request(r)), c.request(runs[1])]);
      const parMs = performance.now() - t0;
      const parInspect = [...all.slice(0, 5), ...all.slice(6, 11)] as typeof seqInspect;
      const parRuns = [all[5], all[11]] as ExciteResult[];
      console.log(`one at a time: ${seqMs.toFixed(0)} ms (first request includes the worker's start); all at once: ${parMs.toFixed(0)} ms`);

      parInspect.forEach((r, i) => assert.deepEqual(r, seqInspect[i], `inspection ${i} (${inspections[i].path})`));
      assert.ok(parInspect[0].report.seBlocks.length > 0);
      parRuns.forEach((r, i) => assertSameRun(r, seqRuns[i], `run ${i}`));
      assert.equal(parRuns[0].blocks.length, 9, 'cifar10_se_r8 has 9 SE blocks');
      assert.ok(parRuns[1].blocks.length > 0);
      const m = await memory(c);
      assert.equal(m.keptModel, MOBILENET, 'the last model run stays loaded for the next image');
      assert.ok(m.tensors.numTensors > 0, 'its weights are the tensors left');
      assert.equal(m.busy, 0);
      assert.deepEqual(await c.request({ kind: 'unload' }), { unloaded: MOBILENET });
      const empty = await memory(c);
      assert.equal(empty.tensors.numTensors, 0, 'no tensor left once the kept model is unloaded');
      assert.equal(empty.keptModel, null);
      assert.deepEqual(logs, []);
    } finally {
      c.dispose();
    }
  });

  test('cancel stops a run within 1 s, rejects with CancelledError, frees its tensors; the worker keeps serving', async () => {
    // mobilenet_v3_small's forward pass takes ~60 ms here: too short to tell "stopped" from "finished".
    // SE-ResNet-50 at 448x448 runs for seconds, so a run that ignored the cancel would take far longer than 1 s.
    let t0 = performance.now();
    const resnet = await writeLayersModel(join(tmp, 'se_resnet50'), resnet50({ r: 16, imageSize: 448 }));
    console.log(`wrote SE-ResNet-50 (r=16, 448x448) as a tfjs layers model in ${(performance.now() - t0).toFixed(0)} ms`);
    const { c, logs } = client();
    try {
      const before = await memory(c, true);
      // a full run first: how long it takes, and the worker's baseline after one
      const phases: Record<string, number> = {};
      t0 = performance.now();
      const full = await c.request(exciteReq(resnet, 'astronaut.png'), { onProgress: (p) => (phases[p] = performance.now() - t0) });
      const fullMs = performance.now() - t0;
      const runPhase = fullMs - phases.running;
      console.log(`SE-ResNet-50 on astronaut, uncancelled: ${fullMs.toFixed(0)} ms (progress at ${JSON.stringify(Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Math.round(v)])))}; runtime: load ${full.timings.load.toFixed(0)} ms, run ${full.timings.run.toFixed(0)} ms)`);
      assert.equal(full.blocks.length, 16);
      const base = await memory(c, true);
      console.log(`worker memory before any run: ${fmtMem(before)}`);
      console.log(`worker memory after a full run: ${fmtMem(base)}`);

      /** Starts a run, cancels it `delay` ms after progress `at`, and measures. */
      const cancelled = async (model: string, image: string, at: string, delay: number) => {
        const token = new Token();
        const progress: string[] = [];
        let cancelAt = 0;
        const started = performance.now();
        const p = c.request(exciteReq(model, image), {
          token,
          onProgress: (text) => {
            progress.push(`${text}${cancelAt ? ' (after cancel)' : ''}`);
            if (text === at)
              setTimeout(() => {
                cancelAt = performance.now();
                token.cancel();
              }, delay);
          },
        });
        const outcome = await p.then(
          (r) => ({ ok: true as const, r }),
          (e: unknown) => ({ ok: false as const, e }),
        );
        const settled = performance.now();
        const mem = await memory(c, true);
        return { outcome, latency: cancelAt ? settled - cancelAt : NaN, cancelAfter: cancelAt - started, progress, mem };
      };

      for (const [at, delay] of [['loading weights', 0], ['running', 0], ['running', 300], ['running', 1000]] as const) {
        // the model stays loaded after a run: drop it, so that this run loads it again
        if (at === 'loading weights') await c.request({ kind: 'unload' });
        const r = await cancelled(resnet, 'astronaut.png', at, delay);
        console.log(`cancel SE-ResNet-50 ${delay} ms after '${at}' (${r.cancelAfter.toFixed(0)} ms into the request): ${r.outcome.ok ? 'resolved' : 'rejected'} ${r.latency.toFixed(0)} ms after the cancel; progress ${JSON.stringify(r.progress)}; memory after: ${fmtMem(r.mem)}`);
        assert.equal(r.outcome.ok, false, `the run was not cancelled (cancel ${delay} ms after '${at}')`);
        assert.ok(!r.outcome.ok && r.outcome.e instanceof CancelledError, `rejects with CancelledError, got ${!r.outcome.ok && String(r.outcome.e)}`);
        assert.ok(r.latency < 1000, `stopped ${r.latency.toFixed(0)} ms after the cancel (limit 1000)`);
        // stopped, not finished and then reported as cancelled (whatever the machine's speed)
        if (at === 'running' && delay === 0) assert.ok(r.latency < runPhase / 2, `stopped ${r.latency.toFixed(0)} ms after the cancel; the whole forward pass takes ${runPhase.toFixed(0)} ms`);
        assert.equal(r.mem.threadId, base.threadId, 'the worker stopped by itself (was not terminated)');
        // A load cancelled before it ends keeps nothing. The load itself does not stop midway: a cancel
        // seen only once it is done stops the run, and the model stays loaded. Either way nothing else is left.
        if (at === 'loading weights' && r.mem.keptModel === null) assert.equal(r.mem.tensors.numTensors, 0, 'a cancelled load leaves no tensor');
        else assert.deepEqual([r.mem.tensors, r.mem.keptModel], [base.tensors, resnet], 'tensors back to the value before the run');
        assert.equal(r.mem.busy, 0);
      }

      // mobilenet_v3_small: either outcome is allowed (the run may finish before the cancel
      // arrives), but the memory must be back and the worker serving.
      const mob = await cancelled(MOBILENET, 'astronaut.png', 'running', 0);
      console.log(`cancel mobilenet_v3_small on 'running': ${mob.outcome.ok ? 'the run finished before the cancel arrived' : `rejected ${mob.latency.toFixed(0)} ms after the cancel`}; memory after: ${fmtMem(mob.mem)}`);
      if (!mob.outcome.ok) assert.ok(mob.outcome.e instanceof CancelledError, String(mob.outcome.e));
      assert.equal(mob.mem.keptModel, MOBILENET);
      await c.request({ kind: 'unload' });
      assert.equal((await memory(c)).tensors.numTensors, 0, 'nothing but the kept model was left');

      // a run cancelled while it waits behind another is dropped at once, before the one ahead ends
      const aheadToken = new Token();
      const token = new Token();
      t0 = performance.now();
      const ahead = c.request(exciteReq(resnet, 'astronaut.png'), { token: aheadToken, onProgress: (p) => p === 'running' && setTimeout(() => token.cancel(), 100) });
      const queuedProgress: string[] = [];
      const queued = c.request(exciteReq(CIFAR, 'chelsea.png'), { token, onProgress: (p) => queuedProgress.push(p) });
      await assert.rejects(queued, CancelledError);
      const queuedMs = performance.now() - t0;
      aheadToken.cancel();
      await assert.rejects(ahead, CancelledError);
      console.log(`a queued run cancelled while the one ahead ran was rejected at ${queuedMs.toFixed(0)} ms (progress ${JSON.stringify(queuedProgress)}); the run ahead was then cancelled at ${(performance.now() - t0).toFixed(0)} ms`);
      assert.deepEqual(queuedProgress, ['waiting for the previous run'], 'the queued run never started');

      // and the next request is served by the same worker, with the same result as before
      assertSameRun(await c.request(exciteReq(resnet, 'astronaut.png')), full, 'run after the cancels');
      const end = await memory(c, true);
      assert.equal(end.threadId, base.threadId);
      assert.deepEqual(end.tensors, base.tensors);
      assert.deepEqual(logs, [], 'the client never had to terminate the worker');
    } finally {
      c.dispose();
    }
  });

  test('the next image on the same model runs without reloading it; a changed file or backend reloads', async () => {
    const { c, logs } = client();
    try {
      const progressOf = async (req: ExciteRequest) => {
        const progress: string[] = [];
        const result = await c.request(req, { onProgress: (p) => progress.push(p) });
        return { result, progress };
      };
      const model = join(tmp, 'copy.keras');
      writeFileSync(model, readFileSync(CIFAR));
      const first = await progressOf(exciteReq(model, 'chelsea.png'));
      assert.ok(first.progress.includes('loading weights'));
      assert.ok(first.result.timings.load > 0);
      const t0 = performance.now();
      const second = await progressOf(exciteReq(model, 'astronaut.png'));
      const secondMs = performance.now() - t0;
      assert.deepEqual(second.progress, ['reading the image', 'reading the model', 'running'], 'the second image did not reload the model');
      assert.equal(second.result.timings.load, 0);
      // the same numbers as a model loaded for that image alone
      const { c: fresh } = client();
      try {
        assertSameRun(second.result, await fresh.request(exciteReq(model, 'astronaut.png')), 'kept model vs a fresh worker');
      } finally {
        fresh.dispose();
      }
      console.log(`second image on a loaded model: ${secondMs.toFixed(0)} ms for the request (run ${second.result.timings.run.toFixed(0)} ms); first: load ${first.result.timings.load.toFixed(0)} ms`);
      // the file changes (new mtime): loaded again
      writeFileSync(model, readFileSync(CIFAR));
      utimesSync(model, new Date(), new Date(Date.now() + 5000));
      const reloaded = await progressOf(exciteReq(model, 'chelsea.png'));
      assert.ok(reloaded.progress.includes('loading weights'), 'a changed file is reloaded');
      const wasm = reloaded.result;
      // another backend: loaded again, and onnx gives wasm's gates
      const onnx = await progressOf({ ...exciteReq(model, 'chelsea.png'), backend: 'onnx' });
      assert.ok(onnx.progress.includes('loading weights'));
      assert.equal(onnx.result.backend, 'onnx');
      assert.match(onnx.result.backendReason, /onnx \(onnxruntime-node, CPU, \d+ threads?\)/);
      onnx.result.blocks.forEach((b, i) => b.excitation.forEach((v, j) => assert.ok(Math.abs(v - wasm.blocks[i].excitation[j]) <= 1e-4, `onnx vs wasm gate ${b.name}[${j}]: ${v} vs ${wasm.blocks[i].excitation[j]}`)));
      const again = await progressOf({ ...exciteReq(model, 'astronaut.png'), backend: 'onnx' });
      assert.ok(!again.progress.includes('loading weights'), 'the onnx session is reused too');
      assert.deepEqual(logs, []);
    } finally {
      c.dispose();
    }
  });

  test('50 runs of the same model do not grow memory', async () => {
    const { c, logs } = client();
    try {
      const N = 50;
      const tensors: number[] = [];
      let first: ExciteResult | undefined;
      let at10: MemoryResult | undefined;
      let at50: MemoryResult | undefined;
      const t0 = performance.now();
      for (let i = 1; i <= N; i++) {
        const r = await c.request(exciteReq(CIFAR, 'chelsea.png'));
        if (i === 1) first = r;
        else if (i % 10 === 0) assertSameRun(r, first!, `run ${i}`);
        const gc = i === 1 || i === 10 || i === N;
        const m = await memory(c, gc);
        tensors.push(m.tensors.numTensors);
        if (gc) console.log(`after run ${i}: ${fmtMem(m)}`);
        if (i === 10) at10 = m;
        if (i === N) at50 = m;
      }
      const ms = performance.now() - t0;
      assert.ok(at10 && at50 && at50.gc, 'the worker can collect garbage before measuring');
      const heap = at50.process.heapUsed - at10.process.heapUsed;
      const rss = at50.process.rss - at10.process.rss;
      const ext = at50.process.external - at10.process.external;
      console.log(`${N} runs of cifar10_se_r8 on chelsea in ${(ms / 1000).toFixed(1)} s; run 10 -> run ${N}: heapUsed ${heap >= 0 ? '+' : ''}${MB(heap)}, external ${ext >= 0 ? '+' : ''}${MB(ext)}, rss ${rss >= 0 ? '+' : ''}${MB(rss)}; tensors after each run: ${[...new Set(tensors)].join(', ')}`);
      assert.deepEqual(new Set(tensors), new Set([tensors[0]]), 'numTensors is the same after every run');
      assert.equal(at50.tensors.numBytes, at10.tensors.numBytes);
      // Bounds. One run of this model holds ~8 MB of weights (8.2 MB file, 2.0 M float32
      // parameters) and a ~0.4 MB decoded image: keeping either per run would add 16 to 320 MB
      // over 40 runs. heapUsed is measured after a full GC of the worker's heap, so a 4 MB bound
      // still leaves room for the JIT's code and caches yet catches a leak of 100 KB per run.
      // rss is the whole process (both threads, the wasm heaps, the allocator's free lists) and
      // noisier: 64 MB catches a leak of the weights (320 MB) or of a 2 MB buffer per run.
      assert.ok(heap < 4 * 2 ** 20, `heapUsed grew by ${MB(heap)} between run 10 and run ${N}`);
      // external holds the wasm heaps, which grow in steps and never shrink: reloading the 8 MB of
      // weights each run can fragment them into one more step (18.6 MB seen once). A leak of the
      // weights would be 320 MB, so 64 MB still catches it without failing on a step.
      assert.ok(ext < 64 * 2 ** 20, `external memory grew by ${MB(ext)} between run 10 and run ${N}`);
      assert.ok(rss < 64 * 2 ** 20, `rss grew by ${MB(rss)} between run 10 and run ${N}`);
      assert.equal(at50.threadId, at10.threadId);
      assert.deepEqual(logs, []);
    } finally {
      c.dispose();
    }
  });

  test('bad input: one-line errors naming the file, and the worker keeps serving', async () => {
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'these are notes,\nnot a model\n');
    const textKeras = join(tmp, 'notes.keras');
    writeFileSync(textKeras, 'plain text with a .keras name\n');
    const missing = join(tmp, 'missing.keras');
    const { c, logs } = client();
    try {
      const { threadId } = await memory(c);
      const good = await c.request(inspectReq(CIFAR));
      const cases: [string, () => Promise<unknown>, string, RegExp][] = [
        ['missing model file', () => c.request(inspectReq(missing)), missing, /does not exist|cannot be read/],
        ['truncated.jpg as model', () => c.request(inspectReq(join(IMAGES, 'truncated.jpg'))), join(IMAGES, 'truncated.jpg'), /not a model/],
        ['text file as model', () => c.request(inspectReq(text)), text, /not a model/],
        ['text file named .keras', () => c.request(inspectReq(textKeras)), textKeras, /./],
        ['run: missing model file', () => c.request({ ...exciteReq(missing, 'chelsea.png') }), missing, /does not exist|cannot be read/],
        ['run: text file as model', () => c.request({ ...exciteReq(text, 'chelsea.png') }), text, /not a model/],
        ['run: truncated.jpg as image', () => c.request(exciteReq(CIFAR, 'truncated.jpg')), join(IMAGES, 'truncated.jpg'), /truncated/],
        ['run: missing image', () => c.request(exciteReq(CIFAR, 'missing.png')), join(IMAGES, 'missing.png'), /does not exist|cannot be read/],
        ['run: text file as image', () => c.request({ ...exciteReq(CIFAR, 'x'), imagePath: text }), text, /./],
      ];
      for (const [label, go, file, why] of cases) {
        const e = await go().then(
          () => assert.fail(`${label}: succeeded`),
          (e: unknown) => e,
        );
        assert.ok(e instanceof WorkerError, `${label}: ${String(e)}`);
        const msg = e.message;
        console.log(`${label}: ${msg}`);
        assert.doesNotMatch(msg, /[\r\n]/, `${label}: one line`);
        assert.ok(msg.length < 400, `${label}: short`);
        assert.ok(msg.includes(file), `${label}: names ${file}`);
        assert.match(msg, why, label);
        assert.doesNotMatch(msg, /unexpected error|at .*\(.*:\d+:\d+\)/, `${label}: a user error, no stack`);
        // the next file works, in the same worker
        assert.deepEqual(await c.request(inspectReq(CIFAR)), good, `${label}: the next inspection`);
      }
      const after = await memory(c, true);
      assert.equal(after.threadId, threadId, 'the worker never restarted');
      // a broken image is refused before its model is read: none of these runs loaded a model
      assert.equal(after.keptModel, null);
      await c.request({ kind: 'unload' });
      assert.equal((await memory(c, true)).tensors.numTensors, 0);
      assert.ok((await c.request(exciteReq(CIFAR, 'chelsea.png'))).blocks.length === 9, 'a run still works');
      // debug (fault injection) requests are refused unless the client enables them
      await assert.rejects(c.request({ kind: 'debug', fault: 'exit' }), /malformed request to the worker: debug requests are disabled/);
      assert.equal((await memory(c)).threadId, threadId);
      assert.deepEqual(logs, []);
    } finally {
      c.dispose();
    }
  });

  test('faults: exceptions are answered or logged, never fatal; a worker that exits fails its requests clearly', async () => {
    const { c, logs } = client({ debugRequests: true }, 300);
    try {
      const { threadId } = await memory(c);
      // both wasm modules (h5wasm, the TF.js backend) loaded first: their Emscripten glue must not turn faults into exits
      assert.equal((await c.request(exciteReq(CIFAR, 'chelsea.png'))).blocks.length, 9);
      // malformed requests and an exception while handling one: answered, the worker stays
      await assert.rejects(c.request({ kind: 'bogus' } as never), (e: Error) => e instanceof WorkerError && /malformed request to the worker: unknown kind "bogus"/.test(e.message));
      await assert.rejects(c.request({ kind: 'inspect', path: 42, ratios: RATIOS } as never), /malformed request to the worker: 'path' must be a non-empty string/);
      await assert.rejects(c.request({ kind: 'debug', fault: 'throw' }), (e: Error) => e instanceof WorkerError && /^unexpected error: injected fault/.test(e.message));
      // exceptions outside any request: reported to the log, the worker keeps serving
      await c.request({ kind: 'debug', fault: 'uncaught' });
      await c.request({ kind: 'debug', fault: 'unhandled' });
      for (const t0 = Date.now(); logs.length < 2 && Date.now() - t0 < 2000; ) await new Promise((r) => setTimeout(r, 20));
      assert.ok(logs.some((l) => /uncaught exception \(the worker keeps serving\): Error: injected fault/.test(l)), logs.join('\n'));
      assert.ok(logs.some((l) => /unhandled promise rejection \(the worker keeps serving\): Error: injected fault/.test(l)), logs.join('\n'));
      assert.equal((await c.request(exciteReq(CIFAR, 'chelsea.png'))).blocks.length, 9);
      assert.equal((await memory(c)).threadId, threadId, 'same worker after the exceptions');
      console.log(`logged, worker alive: ${logs.join(' | ')}`);

      // the worker exits while requests are pending: all of them are rejected, saying so
      // (posted before the worker reads any of them; it exits on the first)
      const pending = [c.request({ kind: 'debug', fault: 'exit', code: 3 }), c.request(exciteReq(CIFAR, 'chelsea.png')), c.request(inspectReq(MOBILENET))];
      const outcomes = await Promise.allSettled(pending);
      for (const o of outcomes) {
        assert.equal(o.status, 'rejected');
        const e = (o as PromiseRejectedResult).reason;
        assert.ok(e instanceof WorkerError, String(e));
        assert.match(e.message, /^the SE Inspector worker stopped unexpectedly \(exit code 3\) before answering; the next request starts a new one$/);
      }
      console.log(`worker exit: pending requests rejected with "${(outcomes[0] as PromiseRejectedResult).reason.message}"`);
      const next = await memory(c);
      assert.notEqual(next.threadId, threadId, 'a new worker');
      assert.equal((await c.request(exciteReq(CIFAR, 'chelsea.png'))).blocks.length, 9, 'the new worker serves');

      // a worker stuck in synchronous code ignores the cancel: the client rejects after the grace
      // period, terminates it, and fails the other requests it had with a clear message
      const token = new Token();
      const t0 = performance.now();
      const stuck = c.request({ kind: 'debug', fault: 'block', ms: 5000 }, { token });
      const behind = c.request({ kind: 'memory' });
      setTimeout(() => token.cancel(), 100);
      await assert.rejects(stuck, CancelledError);
      const stuckMs = performance.now() - t0;
      await assert.rejects(behind, /^WorkerError: the SE Inspector worker was restarted because a cancelled run did not stop within 300 ms; try again$/);
      console.log(`stuck worker: cancel at 100 ms, rejected at ${stuckMs.toFixed(0)} ms (grace 300 ms), worker terminated`);
      assert.ok(stuckMs < 1000);
      assert.ok(logs.some((l) => /did not stop within 300 ms of a cancel: terminated/.test(l)));
      const fresh = await memory(c);
      assert.notEqual(fresh.threadId, next.threadId);

      // dispose rejects what is pending
      const last = c.request(exciteReq(CIFAR, 'chelsea.png'));
      c.dispose();
      await assert.rejects(last, /the extension is shutting down/);
      await assert.rejects(c.request(inspectReq(CIFAR)), /the extension is shutting down/);
    } finally {
      c.dispose();
    }
  });

  test('a worker script that cannot start fails the request, it does not throw', async () => {
    const c = new WorkerClient('relative/worker.cjs');
    await assert.rejects(c.request(inspectReq(CIFAR)), (e: Error) => e instanceof WorkerError && /cannot start the SE Inspector worker/.test(e.message));
    const d = new WorkerClient(join(tmp, 'no-such-worker.cjs'), () => {}, 2000, { execArgv: [] });
    await assert.rejects(d.request(inspectReq(CIFAR)), (e: Error) => e instanceof WorkerError && /worker (crashed|stopped)/.test(e.message));
    d.dispose();
  });
});
