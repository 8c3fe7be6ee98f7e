/**
 * Perceptual colormaps (matplotlib's viridis, magma, inferno as 6th-degree polynomial fits by
 * Matt Zucker, max error < 1/255 of the tables) and gray. t in [0, 1] → [r, g, b] 0..255.
 */
import type { Colormap } from '../../src/protocol/messages.js';

type Poly = [number, number, number][];
const POLY: Record<Exclude<Colormap, 'gray'>, Poly> = {
  viridis: [
    [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
    [0.1050930431085774, 1.404613529898575, 1.384590162594685],
    [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
    [-4.634230498983486, -5.799100973351585, -19.33244095627987],
    [6.228269936347081, 14.17993336680509, 56.69055260068105],
    [4.776384997670288, -13.74514537774601, -65.35303263337234],
    [-5.435455855934631, 4.645852612178535, 26.3124352495832],
  ],
  magma: [
    [-0.002136485053939582, -0.000749655052795221, -0.005386127855323933],
    [0.2516605407371642, 0.6775232436837668, 2.494026599312351],
    [8.353717279216625, -3.577719514958484, 0.3144679030132573],
    [-27.66873308576866, 14.26473078096533, -13.64921318813922],
    [52.17613981234068, -27.94360607168351, 12.94416944238394],
    [-50.76852536473588, 29.04658282127291, 4.23415299384598],
    [18.65570506591883, -11.48977351997711, -5.601961508734096],
  ],
  inferno: [
    [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184],
    [0.1065134194856116, 0.5639564367884091, 3.932712388889277],
    [11.60249308247187, -3.972853965665698, -15.9423941062914],
    [-41.70399613139459, 17.43639888205313, 44.35414519872813],
    [77.162935699427, -33.40235894210092, -81.80730925738993],
    [-71.31942824499214, 32.62606426397723, 73.20951985803202],
    [25.13112622477341, -12.24266895238567, -23.07032500287172],
  ],
};

export function colorAt(map: Colormap, t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  if (map === 'gray') {
    const v = Math.round(x * 255);
    return [v, v, v];
  }
  const c = POLY[map];
  const out: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    let v = c[6][k];
    for (let i = 5; i >= 0; i--) v = v * x + c[i][k];
    out[k] = Math.round(255 * Math.min(1, Math.max(0, v)));
  }
  return out;
}

/** 256 entries, for fast drawing. */
export function lut(map: Colormap): string[] {
  return Array.from({ length: 256 }, (_, i) => {
    const [r, g, b] = colorAt(map, i / 255);
    return `rgb(${r},${g},${b})`;
  });
}

/**
 * A diverging colormap for differences, centred on 0: ColorBrewer's RdBu (11 classes) reversed,
 * blue for negative, near-white at 0, red for positive. t in [-1, 1] → [r, g, b] 0..255.
 */
const RDBU: [number, number, number][] = [
  [5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247],
  [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31],
];

export function divergingAt(t: number): [number, number, number] {
  const x = ((Math.min(1, Math.max(-1, t)) + 1) / 2) * (RDBU.length - 1);
  const i = Math.min(RDBU.length - 2, Math.floor(x));
  const f = x - i;
  const a = RDBU[i];
  const b = RDBU[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/** 257 entries for -1..1 (entry 128 is 0), for fast drawing. */
export function divergingLut(): string[] {
  return Array.from({ length: 257 }, (_, i) => {
    const [r, g, b] = divergingAt(i / 128 - 1);
    return `rgb(${r},${g},${b})`;
  });
}
