/**
 * The messages between the extension host and its webviews (model report editor, heatmap view).
 * Types only: the host and the webview both `import type` this file. The host validates every
 * message it receives (src/extension/validate.ts); unknown or malformed ones are ignored and logged.
 */
import type { InspectReport } from '../analysis/report.js';

/** The report types the views render, re-exported so the webviews import from here only. */
export type { InspectReport, LayerRow } from '../analysis/report.js';

export type Colormap = 'viridis' | 'magma' | 'inferno' | 'gray';

/** Which page a webview shows. */
export type ViewKind = 'report' | 'panel' | 'graph' | 'specificity';

/** One SE block's excitation for one image, ready to draw. `null` marks a NaN/Inf value (drawn as invalid). */
export interface ExcitationRow {
  name: string;
  gateLayer: string;
  channels: number;
  values: (number | null)[];
  stats: { min: number; mean: number; max: number; std: number };
  nonFinite: number;
}

/** One run of the model on one image. */
export interface ExcitationRun {
  /** When the run finished (ms since the epoch): tells a new run from one shown before. */
  id: number;
  modelName: string;
  modelPath: string;
  imagePath: string;
  imageName: string;
  backend: string;
  backendReason: string;
  preprocess: string;
  inputShape: (number | null)[];
  blocks: ExcitationRow[];
  /** The output's five largest values; `label` is the class name where one is known. */
  top5: { index: number; value: number; label?: string }[];
  /** Where the labels come from (a file, the model's metadata, ImageNet built in). */
  labelSource?: string;
  /** The image as the model saw it (resized to its input), a small PNG data URL. */
  thumbnail?: string;
  outputShape: (number | null)[];
  timings: { load: number; run: number };
}

/** The model's graph as the graph view draws it: nodes in topological order, edges by node index. */
export interface GraphData {
  modelName: string;
  nodes: { name: string; type: string; outputShape: (number | null)[] | null; params: number | null; macs: number | null; seBlock?: string }[];
  /** [from, to]: node `to` reads an output of node `from`. */
  edges: [number, number][];
  /** The SE blocks (report.seBlocks), each drawn as one node until expanded. */
  seBlocks: { name: string; layers: string[]; channels: number; squeezedWidth: number; ratio: number; gate: string; params: number; macs: number; scaledLayer: string; variant: string }[];
}

/** A run kept in a model's history (the excitations themselves stay on the host): enough to list it, pick it for a comparison and ask for it again. */
export interface RunSummary {
  id: string;
  imageName: string;
  imagePath: string;
  backend: string;
  /** When the run ended (ms since the epoch): the `id` of its ExcitationRun. */
  time: number;
  runMs: number;
  top1: { index: number; value: number; label?: string } | null;
  /** Mean gate value per SE block, network order. */
  means: (number | null)[];
}

/** Two runs of one model compared: B minus A per SE block (src/analysis/compare.ts). */
export interface Comparison {
  a: RunSummary;
  b: RunSummary;
  /** Network order. `difference` is null where A or B is NaN/Inf. */
  blocks: { name: string; index: number; channels: number; difference: (number | null)[]; a: (number | null)[]; b: (number | null)[]; meanAbsDifference: number; maxAbsDifference: number; nonFinite: number }[];
  /** Block indices from most to least different (mean |B - A|). */
  ranked: number[];
  /** Largest |B - A|: the half-width of the diverging scale. */
  maxAbs: number;
}

export namespace ToWebview {
  /** First answer to `ready`: what to show and how. */
  export interface Init {
    type: 'init';
    view: ViewKind;
    colormap: Colormap;
  }
  /** A model is being read or run. */
  export interface Busy {
    type: 'busy';
    message: string;
  }
  export interface Report {
    type: 'report';
    report: InspectReport;
    /** Whether the model is a text file whose layers can be revealed. */
    canReveal: boolean;
    /** The model's path as the user knows it (relative to the workspace). */
    displayPath: string;
  }
  /** Bring a layer or an SE block (its row and its layers' rows) into view. */
  export interface Highlight {
    type: 'highlight';
    name: string;
  }
  /** One line for the user; the view shows it instead of (or above) its content. */
  export interface Error {
    type: 'error';
    message: string;
    /** The model could not be read (runs report their errors in `excitation`). */
    scope: 'model';
  }
  export interface Excitation {
    type: 'excitation';
    run: ExcitationRun | null;
    /** Why the last run failed (the previous run, if any, stays shown). */
    error: string | null;
  }
  export interface SetColormap {
    type: 'colormap';
    colormap: Colormap;
  }
  /** The panel view: which model is in focus (null: none). */
  export interface Focus {
    type: 'focus';
    modelName: string | null;
    blockCount: number;
  }
  /** The graph view: the model's graph to lay out and draw. */
  export interface Graph {
    type: 'graph';
    graph: GraphData;
  }
  /** The model's recent runs and the comparison picked from them (null: fewer than two runs, or none picked). */
  export interface History {
    type: 'history';
    runs: RunSummary[];
    comparison: Comparison | null;
    /** Why the runs picked cannot be compared. */
    error: string | null;
  }
  export type Message = Init | Busy | Report | Highlight | Error | Excitation | SetColormap | Focus | Graph | History;
  export type Type = Message['type'];
}

export namespace FromWebview {
  /** The webview's script is running and listening; the host answers with `init`. */
  export interface Ready {
    type: 'ready';
  }
  /** Show a layer (or SE block: its layers) in the model's JSON text. */
  export interface Reveal {
    type: 'reveal';
    layer: string;
  }
  /** Ask the host to pick an image (dialog or quick pick) and run the model on it. */
  export interface ChooseImage {
    type: 'chooseImage';
    how: 'dialog' | 'quickPick';
  }
  /** An image dropped on the view: a URI (from the explorer) or, from the OS, its bytes as base64. */
  export interface DropImage {
    type: 'dropImage';
    uri?: string;
    name?: string;
    base64?: string;
  }
  export interface ExportPng {
    type: 'exportPng';
    /** `data:image/png;base64,...` of the heatmap canvas. */
    dataUrl: string;
    /** Which heatmap: the last run's (default) or the comparison's. */
    subject?: 'comparison';
  }
  export interface ExportCsv {
    type: 'exportCsv';
    subject?: 'comparison';
  }
  /** Save the report: Markdown, or JSON as the CLI's `inspect --json` prints it. */
  export interface ExportReport {
    type: 'exportReport';
    format: 'markdown' | 'json';
  }
  /** Show an earlier run of the history again. */
  export interface ShowRun {
    type: 'showRun';
    /** A RunSummary id. */
    id: string;
  }
  /** Run the model on every image of a folder (chosen by dialog). */
  export interface RunFolder {
    type: 'runFolder';
  }
  /** The graph view: a node was clicked; show its row in the report (and in the JSON of a text model). */
  export interface GraphSelect {
    type: 'graphSelect';
    layer: string;
  }
  /** Compare two runs of the model's history (ids of RunSummary): B minus A. */
  export interface Compare {
    type: 'compare';
    a: string;
    b: string;
  }
  export type Message = Ready | Reveal | ChooseImage | DropImage | ExportPng | ExportCsv | ExportReport | ShowRun | RunFolder | GraphSelect | Compare;
  export type Type = Message['type'];
}

/** State the webview keeps across hide/show (vscode.getState/setState). */
export interface WebviewState {
  layerFilter?: string;
  layerSort?: { key: string; desc: boolean };
  sortChannels?: boolean;
  scrollY?: number;
  /** The newest run the page has scrolled to (a new one scrolls the heatmap into view). */
  seenRunId?: number;
  /** The block expanded under the heatmap (its gates as a sorted bar chart). */
  drillBlock?: string;
}

/** One SE block's row of the ablation table: its gate held at its mean over the folder. */
export interface AblationRow {
  name: string;
  /** Share of images whose top-1 class is unchanged (0..1). */
  agreement: number;
  meanAbsChange: number;
  params: number;
  macs: number;
  paramsShare: number;
  macsShare: number;
}

/** A class-specificity run on a folder (one subfolder per class), as the specificity view draws it. */
export interface SpecificityRun {
  modelName: string;
  modelPath: string;
  folder: string;
  classes: string[];
  /** Images per class, in class order. */
  counts: number[];
  images: number;
  /** Per SE block in model order: as `se-inspector specificity --json` prints them. */
  blocks: { name: string; channels: number; score: number; classMeans: Record<string, number[]>; saturation: { high: number; low: number }; spread: number; gateStd: number }[];
  /** Cheapest removals first (as `se-inspector ablate --json`). */
  ablation: AblationRow[];
  wallMs: number;
}

/** The specificity view's messages (its own page, so its own small protocol). */
export namespace SpecificityToWebview {
  export interface Show {
    type: 'specificity';
    run: SpecificityRun;
  }
  export type Message = Show;
}
export namespace SpecificityFromWebview {
  export interface Ready {
    type: 'ready';
  }
  /** Save a drawn chart: `data:image/png;base64,...` of its canvas. */
  export interface ExportPng {
    type: 'exportPng';
    dataUrl: string;
    /** What the image shows, for the file name (e.g. 'scores', a block name). */
    what: string;
  }
  export interface ExportCsv {
    type: 'exportCsv';
    table: 'classMeans' | 'scores' | 'ablation';
  }
  export type Message = Ready | ExportPng | ExportCsv;
}
