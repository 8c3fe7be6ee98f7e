/** The names of the extension's commands (`seInspector.<name>`). Pure: a unit test checks them against package.json. */
export const COMMAND_TITLES = {
  inspectModel: 'Inspect SE model',
  chooseImage: 'Run model on image...',
  refresh: 'Refresh',
  revealLayer: 'Reveal layer in model JSON',
  runOnFolder: 'Run model on a folder of images...',
  exportReport: 'Export report...',
  classSpecificity: 'Class specificity...',
  eventLoopDelay: 'Event-loop delay (test)',
  openGraph: 'Show graph view',
} as const;

export type CommandName = keyof typeof COMMAND_TITLES;
export const COMMAND_PREFIX = 'seInspector.';
export const commandId = (name: CommandName) => `${COMMAND_PREFIX}${name}`;
