/**
 * Every backend a user can ask for, `auto` first and then in `auto`'s order: the one list the CLI,
 * the extension's setting (package.json's enum is checked against it) and the worker read. A module
 * of its own, importing nothing, so the CLI's `inspect` and the extension host can read it without
 * loading a runtime. `onnx` is onnxruntime-node (src/runtime/onnx); the others are TensorFlow.js backends.
 */
export const BACKEND_REQUESTS = ['auto', 'onnx', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendRequest = (typeof BACKEND_REQUESTS)[number];
/** The TensorFlow.js backends. */
export type BackendName = Exclude<BackendRequest, 'auto' | 'onnx'>;

export function isBackendRequest(v: unknown): v is BackendRequest {
  return (BACKEND_REQUESTS as readonly unknown[]).includes(v);
}
