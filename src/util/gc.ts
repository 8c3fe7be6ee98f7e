/**
 * A full garbage collection of this thread's heap, if V8 lets us (it does not expose `gc` unless
 * asked); false when it cannot. Used by the worker's memory reports and once per onnx load, between converting the
 * weights and creating the session: each weight read from the file and each rewritten kernel is
 * garbage by then (tens of MB that V8 collects late, as their memory is outside its heap), and
 * freeing it before onnxruntime allocates its own copy of the weights lowers the peak RSS of a
 * load by about that much (SE-ResNet-50: 320-350 MB -> see BENCHMARKS.md).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

export function collectGarbage(): boolean {
  if (gc === undefined) {
    try {
      const g = (globalThis as { gc?: () => void }).gc;
      if (typeof g === 'function') gc = g;
      else {
        // V8 flags are process-wide; this only makes `gc` available to contexts created from now on.
        setFlagsFromString('--expose-gc');
        gc = runInNewContext('gc') as () => void;
      }
    } catch {
      gc = null;
    }
  }
  if (!gc) return false;
  gc();
  return true;
}
