/** `se-inspector inspect|excite|specificity|ablate`: the core from a terminal. */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { workerData } from 'node:worker_threads';
import { analyze } from '../analysis/report.js';
import { openModel } from '../formats/index.js';
import { userMessage } from '../util/errors.js';
import { formatReport } from './format.js';
import { safeText } from '../util/terminal.js';

const USAGE = `usage:
  se-inspector inspect <model> [--json] [--layers] [--ratios 2,4,8,16,32] [--image-size N] [--input NAME=VALUE ...]
  se-inspector excite <model> <image> [--json] [--backend auto|tfjs-node|wasm|cpu] [--preprocess auto|raw|unit|symmetric|caffe|torch] [--input NAME=VALUE ...] [--labels FILE]
  se-inspector excite <model> <imageA> --compare <imageB> [--json] ...   (B minus A per SE block, blocks ranked by mean |B-A|)
  se-inspector excite <model> <folder> [--workers N] [--json] ...   (every PNG/JPEG of the folder, spread over N threads)
  se-inspector specificity <model> <folder> [--json] [--workers N] ...   (folder: one subfolder per class; per SE block: class means, score, saturation)
  se-inspector ablate <model> <folder> [--json] [--workers N] ...   (per SE block: its gate held at its mean; top-1 agreement, output change, cost)
models: Keras .keras / .h5, Keras architecture JSON, tfjs model.json (layers or graph model)
--input NAME=VALUE: a value for a non-image input of the model, filling its shape (e.g. --input downsample_ratio=0.5);
  inputs not given get zeros. inspect runs a TF.js graph model once at its input size where shape rules leave shapes unknown.`;

class UsageError extends Error {}

function ratiosOf(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const r = text.split(',').map((s) => Number(s.trim()));
  if (r.length === 0 || r.some((x) => !Number.isFinite(x) || x <= 0)) throw new UsageError(`--ratios wants positive numbers like 2,4,8,16,32, got '${text}'`);
  return r;
}

/** `--input NAME=VALUE` flags, by name. */
function inputValuesOf(flags: string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of flags ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(f);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(v)) throw new UsageError(`--input wants NAME=NUMBER, like downsample_ratio=0.5, got '${f}'`);
    if (m[1] in out) throw new UsageError(`--input ${m[1]} is given twice`);
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
  if (command === 'inspect') {
    if (args.length !== 1) throw new UsageError('inspect takes one model file');
    let graph = await openModel(args[0], { assumedImageSize: imageSize });
    if (graph.format === 'tfjs-graph' && graph.loadGraphModel && graph.nodes.some((n) => n.outputShape === null)) {
      // Shapes no rule knows, measured by one run on TF.js; the runtime loads only then.
      const { completeShapesByExecution } = await import('../runtime/executionShapes.js');
      graph = await completeShapesByExecution(graph, { backend: values.backend as never, inputs });
    } else if (Object.keys(inputs).length) throw new UsageError('inspect uses --input only to run a TF.js graph model whose shapes rules leave unknown');
    const report = analyze(graph, ratiosOf(values.ratios));
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
  if (command === 'excite') {
    if (args.length !== 2) throw new UsageError('excite takes a model file and an image file');
    const options = { json: values.json, backend: values.backend!, preprocess: values.preprocess!, imageSize, inputs, labels: values.labels };
    if (values.compare !== undefined) {
      const { runExciteCompare } = await import('./exciteCompare.js');
      return runExciteCompare(args[0], args[1], values.compare, options);
    }
    if (isFolder(args[1])) {
      const workers = values.workers === undefined ? undefined : Number(values.workers);
      if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 64)) throw new UsageError('--workers wants a whole number from 1 to 64');
      const { runExciteFolder } = await import('./exciteCommand.js');
      return runExciteFolder(new URL(import.meta.url), args[0], args[1], { ...options, workers });
    }
    // The runtime (TensorFlow.js and its wasm) loads only for runs, so `inspect` starts fast.
    const { runExcite } = await import('./exciteCommand.js');
    return runExcite(args[0], args[1], options);
  }
  if (command === 'specificity' || command === 'ablate') {
    if (args.length !== 2) throw new UsageError(`${command} takes a model file and a folder with one subfolder of images per class`);
    const workers = values.workers === undefined ? undefined : Number(values.workers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 64)) throw new UsageError('--workers wants a whole number from 1 to 64');
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
      console.error(`se-inspector: ${safeText(userMessage(err))}`);
      if (process.env.SE_INSPECTOR_DEBUG) console.error(err);
      process.exitCode = 1;
    }
  },
);
