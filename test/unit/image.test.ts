/**
 * Images: decoding real photos, refusing bad files with one clear line, Pillow-exact bilinear
 * resizing (checked against the reference inputs Keras was fed), preprocessing presets.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { openModel } from '../../src/formats/index.js';
import { decodeImage, decodeImageFile, lumaOf, probeImage, resizeBilinear, resolvePreset, toModelInput, type RgbImage } from '../../src/image/index.js';
import { imageInput } from '../../src/runtime/excite.js';
import { KerasBuilder } from '../support/kerasBuilder.js';
import { writeLayersModel } from '../support/tfjsWriter.js';
import { ImageError } from '../../src/util/errors.js';
import { f32File } from '../support/arrays.js';

const IMAGES = new URL('../../../shared/images/', import.meta.url).pathname;
const KERAS = new URL('../../../shared/fixtures/keras/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'se-image-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array | string): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}


/** An ImageError whose one-line message names the file and matches `what`. */
function imageError(path: string, what: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ImageError, `expected ImageError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), 'one line');
    assert.ok(e.message.startsWith(`${path}: `), `names the file: ${e.message}`);
    assert.match(e.message, what);
    return true;
  };
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid-looking PNG header for a huge image, followed by a tiny IDAT and IEND. */
function hugePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND', new Uint8Array(0))]);
}

describe('decoding', () => {
  test('chelsea.png (451x300 RGB PNG)', () => {
    const img = decodeImageFile(`${IMAGES}chelsea.png`);
    assert.equal(img.format, 'png');
    assert.equal(img.width, 451);
    assert.equal(img.height, 300);
    assert.equal(img.data.length, 451 * 300 * 3);
    // the same pixels pngjs gives, alpha dropped
    const png = PNG.sync.read(readFileSync(`${IMAGES}chelsea.png`));
    for (const p of [0, 1234, 451 * 150 + 200, 451 * 300 - 1]) for (let c = 0; c < 3; c++) assert.equal(img.data[p * 3 + c], png.data[p * 4 + c]);
    // a photo of a ginger cat: red dominates green dominates blue on average
    const mean = [0, 1, 2].map((c) => img.data.reduce((a, v, i) => (i % 3 === c ? a + v : a), 0) / (451 * 300));
    assert.ok(mean[0] > mean[1] && mean[1] > mean[2], JSON.stringify(mean));
  });

  test('rocket.jpg (640x427 RGB JPEG)', () => {
    const img = decodeImageFile(`${IMAGES}rocket.jpg`);
    assert.equal(img.format, 'jpeg');
    assert.equal(img.width, 640);
    assert.equal(img.height, 427);
    assert.equal(img.data.length, 640 * 427 * 3);
    const values = new Set(img.data);
    assert.ok(values.size > 200, 'a real photo uses most 8-bit values');
  });

  test('RGBA and gray PNGs become RGB (alpha dropped, gray expanded)', () => {
    const rgba = new PNG({ width: 2, height: 1 });
    rgba.data.set([10, 20, 30, 0, 40, 50, 60, 255]);
    const p1 = write('rgba.png', PNG.sync.write(rgba));
    assert.deepEqual(Array.from(decodeImageFile(p1).data), [10, 20, 30, 40, 50, 60]);
    const gray = new PNG({ width: 2, height: 1, colorType: 0, inputColorType: 0, bitDepth: 8 } as never);
    gray.data.set([7, 7, 7, 255, 200, 200, 200, 255]);
    const p2 = write('gray.png', PNG.sync.write(gray, { colorType: 0 }));
    assert.deepEqual(Array.from(decodeImageFile(p2).data), [7, 7, 7, 200, 200, 200]);
    const gj = jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(8 * 8 * 4, 128) }, 90);
    const p3 = write('gray.jpg', gj.data);
    const d = decodeImageFile(p3);
    assert.equal(d.data.length, 8 * 8 * 3);
    assert.ok(Math.abs(d.data[0] - 128) <= 2);
  });
});

describe('bad images: one ImageError line naming the file', () => {
  test('truncated.jpg', () => {
    const p = `${IMAGES}truncated.jpg`;
    assert.throws(() => decodeImageFile(p), imageError(p, /truncated JPEG/));
  });

  test('a PNG with one damaged byte is called corrupt, naming the chunk, not truncated', () => {
    const png = Buffer.from(readFileSync(`${IMAGES}chelsea.png`));
    const idat = png.indexOf(Buffer.from('IDAT'));
    png[idat + 200] ^= 0x40;
    const p = write('damaged.png', png);
    assert.throws(() => decodeImageFile(p), imageError(p, new RegExp(`^${p}: is a corrupt PNG: chunk IDAT at byte ${idat - 4} fails its CRC-32 check$`)));
  });

  test('an arithmetic-coded JPEG (a valid file, written by jpegtran -arithmetic) is named as such, not called corrupt', () => {
    const p = join(tmp, 'arithmetic.jpg');
    execFileSync('jpegtran', ['-arithmetic', '-outfile', p, `${IMAGES}rocket.jpg`]);
    assert.throws(() => decodeImageFile(p), imageError(p, /^.*: is an arithmetic-coded JPEG \(SOF9\), which the decoder does not support; baseline and progressive JPEGs and PNGs are read$/));
  });

  test('a JPEG cut anywhere in its image data, or missing only its end marker', () => {
    const full = readFileSync(`${IMAGES}rocket.jpg`);
    for (const n of [Math.floor(full.length * 0.1), Math.floor(full.length * 0.6), full.length - 100, full.length - 2]) {
      const p = write(`cut${n}.jpg`, full.subarray(0, n));
      assert.throws(() => decodeImageFile(p), imageError(p, /truncated JPEG: the file ends at byte \d+ before the image is complete/));
    }
    // trailing bytes after the end marker are harmless (cameras write them)
    const p = write('trailing.jpg', Buffer.concat([full, Buffer.from('trailing junk')]));
    assert.equal(decodeImageFile(p).width, 640);
  });

  test('a PNG cut short', () => {
    const full = readFileSync(`${IMAGES}chelsea.png`);
    const p = write('cut.png', full.subarray(0, Math.floor(full.length / 2)));
    assert.throws(() => decodeImageFile(p), imageError(p, /truncated PNG/));
  });

  test('a PNG with corrupt image data', () => {
    const full = Buffer.from(readFileSync(`${IMAGES}chelsea.png`));
    for (let i = 30000; i < 30100; i++) full[i] ^= 0x5a; // inside an IDAT chunk
    const p = write('corrupt.png', full);
    assert.throws(() => decodeImageFile(p), imageError(p, /corrupt PNG/));
  });

  test('a text file, an empty file, a missing file, a folder, a GIF', () => {
    const txt = write('notes.png', 'these are not pixels\n');
    assert.throws(() => decodeImageFile(txt), imageError(txt, /is not an image \(PNG or JPEG expected\)/));
    const empty = write('empty.jpg', new Uint8Array(0));
    assert.throws(() => decodeImageFile(empty), imageError(empty, /is empty \(0 bytes\)/));
    const missing = join(tmp, 'nope.png');
    assert.throws(() => decodeImageFile(missing), imageError(missing, /does not exist/));
    assert.throws(() => decodeImageFile(tmp), imageError(tmp, /is not a file/));
    const gif = write('a.gif', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'));
    assert.throws(() => decodeImageFile(gif), imageError(gif, /GIF image; PNG and JPEG are supported/));
  });

  test('a PNG header claiming 20000x20000 is refused from the header, before decoding', () => {
    const bytes = hugePng(20000, 20000);
    const p = write('huge.png', bytes);
    const t0 = performance.now();
    assert.throws(() => decodeImageFile(p), imageError(p, /refused: 20000x20000 \(400\.0 MP\) is beyond the limit/));
    assert.ok(performance.now() - t0 < 50, 'no decoding happened');
    assert.throws(() => probeImage(bytes, 'x'), /refused/);
    // 8000 x 8000 is within 10000 per side but 64 MP is over the pixel limit
    const p2 = write('wide.png', hugePng(8000, 8000));
    assert.throws(() => decodeImageFile(p2), imageError(p2, /refused: 8000x8000 \(64\.0 MP\)/));
    // a JPEG frame header claiming 12000 x 100
    const jpg = Buffer.from(readFileSync(`${IMAGES}rocket.jpg`));
    const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
    assert.ok(sof > 0);
    jpg.writeUInt16BE(12000, sof + 7);
    const p3 = write('wide.jpg', jpg);
    assert.throws(() => decodeImageFile(p3), imageError(p3, /refused: 12000x427/));
  });

  test('bytes in memory are checked the same way', () => {
    assert.throws(() => decodeImage(new Uint8Array(0), 'mem'), /mem: is empty/);
    assert.throws(() => decodeImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), 'mem'), /mem: is a truncated JPEG/);
  });
});

describe('resizing like Pillow (Image.resize(size, Image.BILINEAR))', () => {
  const astronaut = decodeImageFile(`${IMAGES}astronaut.png`);

  test('astronaut.png resized to 32x32 and 224x224 equals the reference inputs Keras was fed, exactly', (t) => {
    for (const [name, size, scale] of [['cifar10_se_r8', 32, 255], ['mobilenet_v3_small', 224, 1]] as const) {
      const ref = f32File(`${KERAS}reference/${name}.input.f32`);
      const r = resizeBilinear(astronaut, size, size);
      assert.equal(r.data.length, ref.length);
      let maxd = 0;
      for (let i = 0; i < ref.length; i++) maxd = Math.max(maxd, Math.abs(r.data[i] - Math.round(ref[i] * scale)));
      t.diagnostic(`${name}: max |ours - reference| = ${maxd} (0..255 scale)`);
      assert.equal(maxd, 0);
      // and the whole model input, preset included
      const x = toModelInput(r, scale === 255 ? 'unit' : 'raw');
      assert.deepEqual(x, ref);
    }
  });

  test('plain (non-antialiased) bilinear is far from Pillow when shrinking 16x', () => {
    const ref = f32File(`${KERAS}reference/cifar10_se_r8.input.f32`);
    const r = resizeBilinear(astronaut, 32, 32, { antialias: false });
    let maxd = 0;
    for (let i = 0; i < ref.length; i++) maxd = Math.max(maxd, Math.abs(r.data[i] - ref[i] * 255));
    assert.ok(maxd > 50, `max diff ${maxd}`);
  });

  test('enlarging and one-axis resizes; constant images stay constant', () => {
    const flat: RgbImage = { width: 7, height: 5, data: new Uint8Array(7 * 5 * 3).fill(77) };
    for (const [w, h] of [[3, 2], [20, 11], [7, 9], [2, 5], [1, 1]]) {
      const r = resizeBilinear(flat, w, h);
      assert.equal(r.data.length, w * h * 3);
      assert.ok(r.data.every((v) => v === 77), `${w}x${h}`);
    }
    // 2 -> 4 pixels horizontally: Pillow's bilinear weights (3/4, 1/4) at the centers
    const two: RgbImage = { width: 2, height: 1, data: Uint8Array.from([0, 0, 0, 200, 100, 40]) };
    assert.deepEqual(Array.from(resizeBilinear(two, 4, 1).data), [0, 0, 0, 50, 25, 10, 150, 75, 30, 200, 100, 40]);
    assert.throws(() => resizeBilinear(two, 0, 3), RangeError);
  });
});

describe('preprocessing presets', () => {
  const px: RgbImage = { width: 2, height: 1, data: Uint8Array.from([0, 128, 255, 10, 20, 30]) };

  test('raw, unit, symmetric, caffe, torch', () => {
    assert.deepEqual(Array.from(toModelInput(px, 'raw')), [0, 128, 255, 10, 20, 30]);
    assert.deepEqual(toModelInput(px, 'unit'), Float32Array.from([0, 128, 255, 10, 20, 30], (v) => v / 255));
    const sym = toModelInput(px, 'symmetric');
    [0, 128, 255, 10, 20, 30].forEach((v, i) => assert.ok(Math.abs(sym[i] - (v / 127.5 - 1)) < 1e-6));
    assert.equal(sym[0], -1);
    assert.equal(sym[2], 1);
    const caffe = toModelInput(px, 'caffe');
    // BGR order, ImageNet means subtracted
    [255 - 103.939, 128 - 116.779, 0 - 123.68, 30 - 103.939, 20 - 116.779, 10 - 123.68].forEach((v, i) => assert.ok(Math.abs(caffe[i] - v) < 1e-4));
    const torch = toModelInput(px, 'torch');
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    [0, 128, 255, 10, 20, 30].forEach((v, i) => assert.ok(Math.abs(torch[i] - (v / 255 - mean[i % 3]) / std[i % 3]) < 1e-5));
  });

  test('auto: raw when the first layer rescales (MobileNetV3), unit otherwise (CIFAR-10 network)', async () => {
    const mobilenet = await openModel(`${KERAS}mobilenet_v3_small.keras`);
    const cifar = await openModel(`${KERAS}cifar10_se_r8.keras`);
    const m = resolvePreset('auto', mobilenet);
    assert.equal(m.preset, 'raw');
    assert.match(m.reason, /rescaling/);
    assert.equal(resolvePreset('auto', cifar).preset, 'unit');
    assert.equal(resolvePreset('caffe', cifar).preset, 'caffe');
    assert.throws(() => resolvePreset('bgr' as never, cifar), /unknown preprocessing preset 'bgr'/);
  });
});

describe('gray (one-channel) models', () => {
  test("luma as Pillow's convert('L'): ITU-R 601, gray pixels unchanged", () => {
    const img: RgbImage = { width: 4, height: 1, data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 77, 77, 77]) };
    // Pillow: Image.new('RGB', ...).convert('L') gives 76, 150, 29 for pure red, green, blue
    assert.deepEqual(Array.from(lumaOf(img)), [76, 150, 29, 77]);
    assert.deepEqual(Array.from(toModelInput(img, 'raw', 1)), [76, 150, 29, 77]);
    assert.deepEqual(toModelInput(img, 'unit', 1), Float32Array.from([76, 150, 29, 77], (v) => v / 255));
    assert.throws(() => toModelInput(img, 'caffe', 1), /per-channel RGB means.*raw, unit, symmetric/);
  });

  test('imageInput feeds a 28x28x1 model the luma of a colour image, and refuses 2 channels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'se-gray-'));
    try {
      const b = new KerasBuilder('gray');
      const x = b.input([null, 4, 4, 1]);
      const path = await writeLayersModel(join(dir, 'gray'), b.toJSON(b.add('Conv2D', { filters: 2, kernel_size: [1, 1], strides: [1, 1], padding: 'valid', use_bias: false, activation: 'linear' }, x)));
      const graph = await openModel(path);
      const rgb: RgbImage = { width: 4, height: 4, data: new Uint8Array(48).map((_, i) => (i % 3 === 0 ? 255 : 0)) }; // pure red
      const r = imageInput(graph, rgb, 'unit');
      assert.deepEqual(r.tensor.shape, [1, 4, 4, 1]);
      assert.ok(r.tensor.data.every((v) => Math.abs(v - 76 / 255) < 1e-7));
      assert.match(r.reason, /luma/);
      assert.throws(() => imageInput(graph, rgb, 'torch'), /gray\.json|model\.json.*per-channel/);

      const b2 = new KerasBuilder('two');
      const y = b2.input([null, 4, 4, 2]);
      const path2 = await writeLayersModel(join(dir, 'two'), b2.toJSON(b2.add('Conv2D', { filters: 2, kernel_size: [1, 1], strides: [1, 1], padding: 'valid', use_bias: false, activation: 'linear' }, y)));
      const two = await openModel(path2);
      assert.throws(() => imageInput(two, rgb), /takes 2 channels per pixel; image runs need 3 \(RGB\) or 1 \(gray\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
