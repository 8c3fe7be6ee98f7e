/**
 * Errors a user sees. Each names the file and says what is wrong with it in one line;
 * the CLI prints `message`, the extension shows it in the view. Anything else that escapes
 * is a bug and is reported as such.
 */
export class InspectorError extends Error {
  constructor(message: string, readonly file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = new.target.name;
  }
}

/** The file is not a readable model of the format it claims (or of any format). */
export class FormatError extends InspectorError {}

/** The model was read but cannot be analysed or run (unknown layers, bad shapes, ...). */
export class ModelError extends InspectorError {}

/** An image cannot be decoded or is unreasonable. */
export class ImageError extends InspectorError {}

/** Running the model failed (backend, weights, cancellation). */
export class RuntimeError extends InspectorError {}

/** The user cancelled a long task. */
export class CancelledError extends InspectorError {
  constructor() {
    super('cancelled');
  }
}

/** One line for a user: our own errors as they are, anything else marked as unexpected. */
export function userMessage(err: unknown): string {
  if (err instanceof InspectorError) return err.message;
  const text = err instanceof Error ? err.message : String(err);
  return `unexpected error: ${text.split('\n')[0]}`;
}
