/*
  Baseline JPEG encoder: a typed-array port of jpeg-js's lib/encoder.js (itself a port of Adobe's
  AS3 encoder), kept byte-for-byte identical to jpeg-js's output (tested), with the Huffman, category
  and quantisation tables built once per process / quality instead of on every call. jpeg-js rebuilds
  65,535 small arrays per encode, which made one 64×64 encode cost ~100 ms of CPU and garbage collection
  — too slow for a reward evaluated q + 1 times per iteration by the estimators.

  Copyright (c) 2008, Adobe Systems Incorporated. All rights reserved.
  Redistribution and use in source and binary forms, with or without modification, are permitted
  provided that the following conditions are met: redistributions of source code must retain the above
  copyright notice, this list of conditions and the following disclaimer; redistributions in binary form
  must reproduce the above copyright notice, this list of conditions and the following disclaimer in the
  documentation and/or other materials provided with the distribution; neither the name of Adobe Systems
  Incorporated nor the names of its contributors may be used to endorse or promote products derived
  from this software without specific prior written permission.
  THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED
  WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A
  PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE FOR
  ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
  LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
  INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR
  TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF
  ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
*/

const ZIGZAG = Uint8Array.from([
  0, 1, 5, 6, 14, 15, 27, 28, 2, 4, 7, 13, 16, 26, 29, 42, 3, 8, 12, 17, 25, 30, 41, 43, 9, 11, 18, 24, 31,
  40, 44, 53, 10, 19, 23, 32, 39, 45, 52, 54, 20, 22, 33, 38, 46, 51, 55, 60, 21, 34, 37, 47, 50, 56, 59, 61,
  35, 36, 48, 49, 57, 58, 62, 63,
]);

// Standard Huffman tables (ITU T.81 Annex K): code counts per length 1..16, then symbols.
const DC_LUMINANCE_COUNTS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_LUMINANCE_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_LUMINANCE_COUNTS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
const AC_LUMINANCE_VALUES = [
  0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71,
  0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72,
  0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37,
  0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
  0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83,
  0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3,
  0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
  0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
  0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
];
const DC_CHROMINANCE_COUNTS = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const DC_CHROMINANCE_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_CHROMINANCE_COUNTS = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
const AC_CHROMINANCE_VALUES = [
  0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22,
  0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1,
  0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36,
  0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
  0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
  0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a,
  0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba,
  0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
  0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
];

const Y_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const UV_QUANT = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];
// biome-ignore lint/suspicious/noApproximativeNumericConstant: jpeg-js's truncated cos(π/4), kept so the bytes match.
const C4 = 0.707106781;
const AAN_SCALE = [1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.5411961, 0.275899379];

/** Huffman table: code and code length per symbol (symbols 0..255). */
interface HuffmanTable {
  codes: Uint16Array;
  lengths: Uint8Array;
}

function huffmanTable(counts: readonly number[], values: readonly number[]): HuffmanTable {
  const codes = new Uint16Array(256);
  const lengths = new Uint8Array(256);
  let code = 0;
  let position = 0;
  for (let length = 1; length <= 16; length++) {
    for (let j = 0; j < counts[length - 1]!; j++) {
      const symbol = values[position++]!;
      codes[symbol] = code;
      lengths[symbol] = length;
      code++;
    }
    code *= 2;
  }
  return { codes, lengths };
}

const Y_DC = huffmanTable(DC_LUMINANCE_COUNTS, DC_LUMINANCE_VALUES);
const UV_DC = huffmanTable(DC_CHROMINANCE_COUNTS, DC_CHROMINANCE_VALUES);
const Y_AC = huffmanTable(AC_LUMINANCE_COUNTS, AC_LUMINANCE_VALUES);
const UV_AC = huffmanTable(AC_CHROMINANCE_COUNTS, AC_CHROMINANCE_VALUES);

interface QuantisationTables {
  /** Quantisers in zigzag order, as written to the DQT segment. */
  y: Uint8Array;
  uv: Uint8Array;
  /** Per natural-order coefficient: 1 / (quantiser · AAN scale · 8). */
  yDivisors: Float64Array;
  uvDivisors: Float64Array;
}

const quantisationCache = new Map<number, QuantisationTables>();

function quantisationTables(quality: number): QuantisationTables {
  const clamped = quality <= 0 ? 1 : Math.min(100, quality);
  const cached = quantisationCache.get(clamped);
  if (cached) return cached;
  const scale = clamped < 50 ? Math.floor(5000 / clamped) : Math.floor(200 - clamped * 2);
  const y = new Uint8Array(64);
  const uv = new Uint8Array(64);
  for (let i = 0; i < 64; i++) {
    y[ZIGZAG[i]!] = Math.min(255, Math.max(1, Math.floor((Y_QUANT[i]! * scale + 50) / 100)));
    uv[ZIGZAG[i]!] = Math.min(255, Math.max(1, Math.floor((UV_QUANT[i]! * scale + 50) / 100)));
  }
  const yDivisors = new Float64Array(64);
  const uvDivisors = new Float64Array(64);
  let k = 0;
  for (let row = 0; row < 8; row++) {
    for (let col = 0; col < 8; col++) {
      // Same operation order as jpeg-js, so the doubles (and the output bytes) are identical.
      yDivisors[k] = 1.0 / (y[ZIGZAG[k]!]! * AAN_SCALE[row]! * AAN_SCALE[col]! * 8.0);
      uvDivisors[k] = 1.0 / (uv[ZIGZAG[k]!]! * AAN_SCALE[row]! * AAN_SCALE[col]! * 8.0);
      k++;
    }
  }
  const tables = { y, uv, yDivisors, uvDivisors };
  quantisationCache.set(clamped, tables);
  return tables;
}

/** Growable byte buffer with the JPEG bit writer (MSB first, 0xFF followed by a stuffed 0x00). */
class ByteWriter {
  bytes: Uint8Array;
  length = 0;
  private bitBuffer = 0;
  private bitCount = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(1024, capacity));
  }

  byte(value: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = value;
  }

  word(value: number): void {
    this.byte((value >> 8) & 0xff);
    this.byte(value & 0xff);
  }

  bits(value: number, count: number): void {
    for (let bit = count - 1; bit >= 0; bit--) {
      this.bitBuffer = (this.bitBuffer << 1) | ((value >> bit) & 1);
      this.bitCount++;
      if (this.bitCount === 8) {
        this.byte(this.bitBuffer);
        if (this.bitBuffer === 0xff) this.byte(0);
        this.bitBuffer = 0;
        this.bitCount = 0;
      }
    }
  }

  /** jpeg-js pads the last byte with 1-bits — a whole 0xFF byte when already aligned. */
  flushWithOnes(): void {
    const remaining = 8 - this.bitCount;
    this.bits((1 << remaining) - 1, remaining);
  }
}

function writeHeaders(out: ByteWriter, width: number, height: number, tables: QuantisationTables): void {
  out.word(0xffd8); // SOI
  out.word(0xffe0); // APP0 JFIF
  out.word(16);
  for (const b of [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0]) out.byte(b);
  out.word(1);
  out.word(1);
  out.byte(0);
  out.byte(0);
  out.word(0xffdb); // DQT
  out.word(132);
  out.byte(0);
  for (let i = 0; i < 64; i++) out.byte(tables.y[i]!);
  out.byte(1);
  for (let i = 0; i < 64; i++) out.byte(tables.uv[i]!);
  out.word(0xffc0); // SOF0
  out.word(17);
  out.byte(8);
  out.word(height);
  out.word(width);
  out.byte(3);
  for (const b of [1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]) out.byte(b);
  out.word(0xffc4); // DHT
  out.word(0x01a2);
  const table = (id: number, counts: readonly number[], values: readonly number[]): void => {
    out.byte(id);
    for (const c of counts) out.byte(c);
    for (const v of values) out.byte(v);
  };
  table(0, DC_LUMINANCE_COUNTS, DC_LUMINANCE_VALUES);
  table(0x10, AC_LUMINANCE_COUNTS, AC_LUMINANCE_VALUES);
  table(1, DC_CHROMINANCE_COUNTS, DC_CHROMINANCE_VALUES);
  table(0x11, AC_CHROMINANCE_COUNTS, AC_CHROMINANCE_VALUES);
  out.word(0xffda); // SOS
  out.word(12);
  for (const b of [3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0]) out.byte(b);
}

/** In-place AAN forward DCT of an 8×8 block, then quantisation with round-half-away-from-zero. */
function forwardDctQuantise(data: Float64Array, divisors: Float64Array, out: Int32Array): void {
  for (let offset = 0; offset < 64; offset += 8) dct8(data, offset, 1);
  for (let offset = 0; offset < 8; offset++) dct8(data, offset, 8);
  for (let i = 0; i < 64; i++) {
    const v = data[i]! * divisors[i]!;
    out[i] = v > 0.0 ? (v + 0.5) | 0 : (v - 0.5) | 0;
  }
}

function dct8(data: Float64Array, offset: number, stride: number): void {
  const i0 = offset;
  const i1 = offset + stride;
  const i2 = offset + 2 * stride;
  const i3 = offset + 3 * stride;
  const i4 = offset + 4 * stride;
  const i5 = offset + 5 * stride;
  const i6 = offset + 6 * stride;
  const i7 = offset + 7 * stride;
  const d0 = data[i0]!;
  const d1 = data[i1]!;
  const d2 = data[i2]!;
  const d3 = data[i3]!;
  const d4 = data[i4]!;
  const d5 = data[i5]!;
  const d6 = data[i6]!;
  const d7 = data[i7]!;
  const tmp0 = d0 + d7;
  const tmp7 = d0 - d7;
  const tmp1 = d1 + d6;
  const tmp6 = d1 - d6;
  const tmp2 = d2 + d5;
  const tmp5 = d2 - d5;
  const tmp3 = d3 + d4;
  const tmp4 = d3 - d4;
  let tmp10 = tmp0 + tmp3;
  const tmp13 = tmp0 - tmp3;
  let tmp11 = tmp1 + tmp2;
  let tmp12 = tmp1 - tmp2;
  data[i0] = tmp10 + tmp11;
  data[i4] = tmp10 - tmp11;
  const z1 = (tmp12 + tmp13) * C4;
  data[i2] = tmp13 + z1;
  data[i6] = tmp13 - z1;
  tmp10 = tmp4 + tmp5;
  tmp11 = tmp5 + tmp6;
  tmp12 = tmp6 + tmp7;
  const z5 = (tmp10 - tmp12) * 0.382683433;
  const z2 = 0.5411961 * tmp10 + z5;
  const z4 = 1.306562965 * tmp12 + z5;
  const z3 = tmp11 * C4;
  const z11 = tmp7 + z3;
  const z13 = tmp7 - z3;
  data[i5] = z13 + z2;
  data[i3] = z13 - z2;
  data[i1] = z11 + z4;
  data[i7] = z11 - z4;
}

/** Huffman-codes one quantised block (natural order in `coefficients`); returns its DC value. */
function encodeBlock(
  out: ByteWriter,
  coefficients: Int32Array,
  zigzagged: Int32Array,
  previousDc: number,
  dcTable: HuffmanTable,
  acTable: HuffmanTable,
): number {
  for (let j = 0; j < 64; j++) zigzagged[ZIGZAG[j]!] = coefficients[j]!;
  const dc = zigzagged[0]!;
  writeValue(out, dc - previousDc, dcTable, 0);
  let end = 63;
  while (end > 0 && zigzagged[end] === 0) end--;
  if (end === 0) {
    out.bits(acTable.codes[0x00]!, acTable.lengths[0x00]!);
    return dc;
  }
  let i = 1;
  while (i <= end) {
    const start = i;
    while (zigzagged[i] === 0 && i <= end) i++;
    let zeroes = i - start;
    if (zeroes >= 16) {
      for (let marker = 1; marker <= zeroes >> 4; marker++)
        out.bits(acTable.codes[0xf0]!, acTable.lengths[0xf0]!);
      zeroes &= 0xf;
    }
    writeValue(out, zigzagged[i]!, acTable, zeroes << 4);
    i++;
  }
  if (end !== 63) out.bits(acTable.codes[0x00]!, acTable.lengths[0x00]!);
  return dc;
}

/** Writes the Huffman code of (run, category) and then the value's category bits. */
function writeValue(out: ByteWriter, value: number, table: HuffmanTable, run: number): void {
  const magnitude = value < 0 ? -value : value;
  const category = magnitude === 0 ? 0 : 32 - Math.clz32(magnitude);
  const symbol = run + category;
  out.bits(table.codes[symbol]!, table.lengths[symbol]!);
  if (category > 0) out.bits(value > 0 ? value : value + (1 << category) - 1, category);
}

/**
 * Encodes planar 8-bit RGB (R plane, then G, then B; length 3·width·height) as a baseline JPEG with
 * 4:4:4 sampling — the same bytes jpeg-js's `encode` writes for the same pixels and quality.
 */
export function encodeJpeg(planarRgb: Uint8Array, width: number, height: number, quality = 50): Uint8Array {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > 65535 ||
    height > 65535
  ) {
    throw new RangeError(
      `encodeJpeg: width and height must be integers in [1, 65535], got ${width}×${height}.`,
    );
  }
  const pixels = width * height;
  if (planarRgb.length !== 3 * pixels) {
    throw new RangeError(
      `encodeJpeg: expected ${3 * pixels} bytes of planar RGB for ${width}×${height}, got ${planarRgb.length}.`,
    );
  }
  const tables = quantisationTables(quality);
  const out = new ByteWriter(pixels);
  writeHeaders(out, width, height, tables);
  const yBlock = new Float64Array(64);
  const uBlock = new Float64Array(64);
  const vBlock = new Float64Array(64);
  const quantised = new Int32Array(64);
  const zigzagged = new Int32Array(64);
  let dcY = 0;
  let dcU = 0;
  let dcV = 0;
  for (let y = 0; y < height; y += 8) {
    for (let x = 0; x < width; x += 8) {
      for (let pos = 0; pos < 64; pos++) {
        // Blocks past the image edge repeat the last row / column.
        const row = Math.min(y + (pos >> 3), height - 1);
        const col = Math.min(x + (pos & 7), width - 1);
        const p = row * width + col;
        const r = planarRgb[p]!;
        const g = planarRgb[pixels + p]!;
        const b = planarRgb[2 * pixels + p]!;
        // jpeg-js's fixed-point RGB → YCbCr (16 fractional bits).
        yBlock[pos] = ((19595 * r + 38470 * g + (7471 * b + 0x8000)) >> 16) - 128;
        uBlock[pos] = ((-11059 * r + -21709 * g + (32768 * b + 0x807fff)) >> 16) - 128;
        vBlock[pos] = ((32768 * r + 0x807fff + -27439 * g + -5329 * b) >> 16) - 128;
      }
      forwardDctQuantise(yBlock, tables.yDivisors, quantised);
      dcY = encodeBlock(out, quantised, zigzagged, dcY, Y_DC, Y_AC);
      forwardDctQuantise(uBlock, tables.uvDivisors, quantised);
      dcU = encodeBlock(out, quantised, zigzagged, dcU, UV_DC, UV_AC);
      forwardDctQuantise(vBlock, tables.uvDivisors, quantised);
      dcV = encodeBlock(out, quantised, zigzagged, dcV, UV_DC, UV_AC);
    }
  }
  out.flushWithOnes();
  out.word(0xffd9); // EOI
  return out.bytes.subarray(0, out.length);
}
