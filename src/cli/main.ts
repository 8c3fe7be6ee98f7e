/** `se-inspector inspect|excite|specificity|ablate`: the core from a terminal. */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { PRESETS } from '../image/presets.js';
import { analyze } from '../analysis/report.js';
import { openModel } from '../formats/index.js';
import { BACKEND_REQUESTS, isBackendRequest } from '../runtime/backendNames.js';
import { userMessage } from '../util/errors.js';
import { formatReport } from './format.js';
import { safeText, shortened } from '../util/terminal.js';

const BACKENDS = BACKEND_REQUESTS.join('|');
const USAGE = `usage:
  se-inspector inspect <model> [--json] [--layers] [--ratios 2,4,8,16,32] [--image-size N] [--input NAME=VALUE ...]
  se-inspector excite <model> <image> [--json] [--backend ${BACKENDS}] [--threads N] [--preprocess auto|raw|unit|symmetric|caffe|torch] [--input NAME=VALUE ...] [--labels FILE]
  se-inspector excite <model> <imageA> --compare <imageB> [--json] ...   (B minus A per SE block, blocks ranked by mean |B-A|)
  se-inspector excite <model> <folder> [--workers N] [--json] ...   (every PNG/JPEG of the folder, spread over N threads)
  se-inspector specificity <model> <folder> [--json] [--workers N] ...   (folder: one subfolder per class; per SE block: class means, score, saturation)
  se-inspector ablate <model> <folder> [--json] [--workers N] ...   (per SE block: its gate held at its mean; top-1 agreement, output change, cost)
  se-inspector bench <model> [--backend ${BACKENDS}] [--runs N] [--image I] [--threads N] [--plain] [--json]
      (loads once, one warm-up run, then N runs (default 10) capturing every SE gate; --plain captures none)
models: Keras .keras / .h5, Keras architecture JSON, tfjs model.json (layers or graph model)
backends: auto = onnx (onnxruntime-node) if it loads and converts the model, else tfjs-node, else wasm, else cpu
--input NAME=VALUE: a value for a non-image input of the model, filling its shape (e.g. --input downsample_ratio=0.5);
  inputs not given get zeros. inspect runs a TF.js graph model once at its input size where shape rules leave shapes unknown.`;

class UsageError extends Error {}

function ratiosOf(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const r = text.split(',').map((s) => Number(s.trim()));
  // r < 1 would widen the bottleneck past C; a denormal like 1e-320 makes widths infinite.
  if (r.length === 0 || r.some((x) => !Number.isFinite(x) || x < 1 || x > 4096)) throw new UsageError(`--ratios wants reduction ratios from 1 to 4096 like 2,4,8,16,32, got '${text}'`);
  return r;
}

/**
 * `--workers N`: at most one per core. Each worker thread holds its own copy of the model, so more
 * threads than cores add memory (64 took 5 GB on 2 cores) and no speed.
 */
function workersOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  const cores = availableParallelism();
  if (!(Number.isInteger(n) && n >= 1 && n <= cores)) throw new UsageError(`--workers wants a whole number from 1 to ${cores} (the cores here: each worker holds its own copy of the model), got '${text}'`);
  return n;
}

/** `--input NAME=VALUE` flags, by name. */
function inputValuesOf(flags: string[] | undefined): Record<string, number> {
  // no prototype: a model input may be named `constructor`
  const out: Record<string, number> = Object.create(null);
  for (const f of flags ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(f);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(v)) throw new UsageError(`--input wants NAME=NUMBER, like downsample_ratio=0.5, got '${f}'`);
    if (Object.hasOwn(out, m[1])) throw new UsageError(`--input ${m[1]} is given twice`);
    out[m[1]] = v;
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      layers: { type: 'boolean', default: false },
      ratios: { type: 'string' },
      'image-size': { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      preprocess: { type: 'string', default: 'auto' },
      workers: { type: 'string' },
      input: { type: 'string', multiple: true },
      labels: { type: 'string' },
      threads: { type: 'string' },
      runs: { type: 'string' },
      image: { type: 'string' },
      plain: { type: 'boolean', default: false },
      compare: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const imageSize = values['image-size'] === undefined ? undefined : Number(values['image-size']);
  if (imageSize !== undefined && !(Number.isInteger(imageSize) && imageSize > 0 && imageSize <= 8192)) throw new UsageError('--image-size wants a whole number of pixels');
  const inputs = inputValuesOf(values.input);
  // Every flag is checked before any model is read: a usage error is exit 2, at once.
  const ratios = ratiosOf(values.ratios);
  if (!isBackendRequest(values.backend)) throw new UsageError(`--backend wants one of ${BACKENDS}, got '${values.backend}'`);
  if (values.preprocess !== 'auto' && !(PRESETS as readonly string[]).includes(values.preprocess!)) throw new UsageError(`--preprocess wants one of auto, ${PRESETS.join(', ')}, got '${values.preprocess}'`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) throw new UsageError('--threads wants a whole number from 1 to 256');
  const workers = workersOf(values.workers);
  if (command === 'inspect') {
    if (args.length !== 1) throw new UsageError('inspect takes one model file');
    let graph = await openModel(args[0], { assumedImageSize: imageSize });
    if (graph.format === 'tfjs-graph' && graph.loadGraphModel && graph.nodes.some((n) => n.outputShape === null)) {
      // Shapes no rule knows, measured by one run on TF.js; the runtime loads only then.
      const { completeShapesByExecution } = await import('../runtime/executionShapes.js');
      graph = await completeShapesByExecution(graph, { backend: values.backend as never, inputs });
    } else if (Object.keys(inputs).length) throw new UsageError('inspect uses --input only to run a TF.js graph model whose shapes rules leave unknown');
    const report = analyze(graph, ratios);
    console.log(values.json ? JSON.stringify(report, null, 1) : formatReport(report, { layers: values.layers }));
    // The report is printed either way; scripts learn from the exit code that it is partial.
    if (report.seBlocks.length === 0) {
      console.error(`se-inspector: ${safeText(args[0])}: no SE block found (cost report printed above)`);
      return 3;
    }
    if (!report.totals.complete) {
      console.error(`se-inspector: ${safeText(`${args[0]}: cost incomplete: ${graph.warnings[0] ?? 'some layers have unknown shapes'}`)}`);
      return 3;
    }
    return 0;
  }
  if (command === 'bench') {
    if (args.length !== 1) throw new UsageError('bench takes one model file');
    const runs = values.runs === undefined ? 10 : Number(values.runs);
    if (!(Number.isInteger(runs) && runs >= 1 && runs <= 10000)) throw new UsageError('--runs wants a whole number from 1 to 10000');
    const { runBench } = await import('./benchCommand.js');
    return runBench(args[0], { json: values.json, backend: values.backend, runs, image: values.image, preprocess: values.preprocess!, threads, plain: values.plain!, imageSize });
  }
  if (command === 'excite') {
    if (args.length !== 2) throw new UsageError('excite takes a model file and an image file');
    const options = { json: values.json, backend: values.backend, preprocess: values.preprocess!, imageSize, inputs, labels: values.labels, threads };
    if (values.compare !== undefined) {
      const { runExciteCompare } = await import('./exciteCompare.js');
      return runExciteCompare(args[0], args[1], values.compare, options);
    }
    if (isFolder(args[1])) {
      const { runExciteFolder } = await import('./exciteCommand.js');
      return runExciteFolder(new URL(import.meta.url), args[0], args[1], { ...options, workers });
    }
    // The runtime (TensorFlow.js and its wasm) loads only for runs, so `inspect` starts fast.
    const { runExcite } = await import('./exciteCommand.js');
    return runExcite(args[0], args[1], options);
  }
  if (command === 'specificity' || command === 'ablate') {
    if (args.length !== 2) throw new UsageError(`${command} takes a model file and a folder with one subfolder of images per class`);
    const options = { json: values.json, backend: values.backend!, preprocess: values.preprocess!, imageSize, workers };
    const entry = new URL(import.meta.url);
    if (command === 'specificity') return (await import('./specificityCommand.js')).runSpecificity(entry, args[0], args[1], options);
    return (await import('./ablateCommand.js')).runAblate(entry, args[0], args[1], options);
  }
  throw new UsageError(`unknown command '${command}'`);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

if ((workerData as { role?: string } | undefined)?.role === 'se-inspector-excite-worker') {
  // This module is also the entry of the threads of `excite <model> <folder>`.
  void import('./exciteFolder.js').then((m) => m.runFolderWorker());
} else
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      console.error(`se-inspector: ${safeText(err.message)}\n${USAGE}`);
      process.exitCode = 2;
    } else {
      // One error, one line: a name with a newline or an escape sequence cannot forge a second one.
      console.error(`se-inspector: ${safeText(shortened(userMessage(err)))}`);
      if (process.env.SE_INSPECTOR_DEBUG) console.error(err);
      process.exitCode = 1;
    }
  },
);
