/**
 * The tfjs wasm backend (4.22) has every kernel training needs except Conv2DBackpropFilter (the
 * gradient of a convolution with respect to its kernel), and tfjs-node cannot be installed here;
 * the cpu backend trains about ten times slower. This registers that one kernel for wasm, in plain
 * JavaScript over the tensors' memory: dW[kh, kw, ci, co] = sum over n, ho, wo of
 * x[n, ho*s + kh - pad, wo*s + kw - pad, ci] * dy[n, ho, wo, co]. Sequential loops, so the result
 * is the same on every run (the training is reproducible). NHWC, no dilation.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmBackendLike {
  readSync(dataId: unknown): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

export function registerWasmConvFilterGrad(): void {
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendLike;
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as { strides: number | [number, number]; pad: string; filterShape: [number, number, number, number]; dataFormat?: string; dilations?: number | [number, number] };
      const dil = typeof a.dilations === 'number' ? [a.dilations, a.dilations] : a.dilations ?? [1, 1];
      if ((a.dataFormat && a.dataFormat !== 'NHWC') || dil[0] !== 1 || dil[1] !== 1) throw new Error('Conv2DBackpropFilter (wasm, JS): only NHWC without dilation');
      const [N, H, W, Ci] = x.shape;
      const [, Ho, Wo, Co] = dy.shape;
      const [KH, KW] = a.filterShape;
      const [sh, sw] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
      let pt = 0;
      let pl = 0;
      if (a.pad === 'same') {
        pt = Math.max(0, Math.floor(((Ho - 1) * sh + KH - H) / 2));
        pl = Math.max(0, Math.floor(((Wo - 1) * sw + KW - W) / 2));
      } else if (a.pad !== 'valid') throw new Error(`Conv2DBackpropFilter (wasm, JS): padding '${a.pad}' not supported`);
      const xv = b.readSync(x.dataId);
      const dv = b.readSync(dy.dataId);
      const out = b.makeOutput([...a.filterShape], 'float32');
      const dw = b.typedArrayFromHeap(out);
      dw.fill(0);
      for (let n = 0; n < N; n++)
        for (let ho = 0; ho < Ho; ho++)
          for (let wo = 0; wo < Wo; wo++) {
            const dOff = ((n * Ho + ho) * Wo + wo) * Co;
            for (let kh = 0; kh < KH; kh++) {
              const hi = ho * sh + kh - pt;
              if (hi < 0 || hi >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const wi = wo * sw + kw - pl;
                if (wi < 0 || wi >= W) continue;
                const xOff = ((n * H + hi) * W + wi) * Ci;
                const base = (kh * KW + kw) * Ci;
                for (let ci = 0; ci < Ci; ci++) {
                  const v = xv[xOff + ci];
                  if (v === 0) continue; // after ReLU most inputs are 0
                  const o = (base + ci) * Co;
                  for (let co = 0; co < Co; co++) dw[o + co] += v * dv[dOff + co];
                }
              }
            }
          }
      return out;
    },
  });
}
