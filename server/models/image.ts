/**
 * Image tensors ([batch, 3, H, W] in [−1, 1], as VAE decoders output them) to 8-bit RGB and PNG, with text
 * chunks so that a run can embed its workflow in the file (tEXt for Latin-1, iTXt for any UTF-8 text).
 */
import { crc32 } from "node:zlib";
import { PNG } from "pngjs";

export interface ImageTensor {
  readonly batch: number;
  readonly channels: 3;
  readonly height: number;
  readonly width: number;
  /** [batch, 3, height, width], values in [−1, 1]. */
  readonly data: Float32Array;
}

export interface Rgb8Image {
  readonly width: number;
  readonly height: number;
  /** Interleaved R, G, B bytes, row-major. */
  readonly data: Uint8Array;
}

/** One image of the batch to RGB bytes: (x + 1)/2, clamped, ×255, rounded (as diffusers' numpy_to_pil). */
export function imageToRgb8(image: ImageTensor, index = 0): Rgb8Image {
  if (!Number.isInteger(index) || index < 0 || index >= image.batch) {
    throw new RangeError(`Image index ${index} is outside the batch of ${image.batch}`);
  }
  const plane = image.height * image.width;
  const base = index * 3 * plane;
  const data = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) {
      const value = (image.data[base + c * plane + p]! + 1) / 2;
      data[p * 3 + c] = Math.round(Math.min(Math.max(value, 0), 1) * 255);
    }
  }
  return { width: image.width, height: image.height, data };
}

function chunk(type: string, body: Buffer): Buffer {
  const typeBytes = Buffer.from(type, "latin1");
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  typeBytes.copy(out, 4);
  body.copy(out, 8);
  out.writeUInt32BE(crc32(Buffer.concat([typeBytes, body])) >>> 0, 8 + body.length);
  return out;
}

function textChunk(keyword: string, text: string): Buffer {
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword)) {
    throw new RangeError(`PNG text keyword must be 1–79 printable Latin-1 characters, got "${keyword}"`);
  }
  // tEXt holds Latin-1 only; anything else goes in an uncompressed iTXt chunk as UTF-8.
  const latin1 = [...text].every((character) => {
    const code = character.codePointAt(0) ?? 0;
    return code > 0 && code <= 0xff;
  });
  if (latin1) {
    return chunk(
      "tEXt",
      Buffer.concat([Buffer.from(keyword, "latin1"), Buffer.from([0]), Buffer.from(text, "latin1")]),
    );
  }
  return chunk(
    "iTXt",
    Buffer.concat([Buffer.from(keyword, "latin1"), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, "utf8")]),
  );
}

/** Encodes RGB bytes as a PNG; `text` entries become tEXt/iTXt chunks placed before the image data. */
export function encodePng(image: Rgb8Image, text: Readonly<Record<string, string>> = {}): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  const pixels = image.width * image.height;
  for (let p = 0; p < pixels; p++) {
    png.data[p * 4] = image.data[p * 3]!;
    png.data[p * 4 + 1] = image.data[p * 3 + 1]!;
    png.data[p * 4 + 2] = image.data[p * 3 + 2]!;
    png.data[p * 4 + 3] = 255;
  }
  const encoded = PNG.sync.write(png, { colorType: 2 });
  const entries = Object.entries(text);
  if (entries.length === 0) return encoded;
  // Signature (8) + IHDR chunk (12 + 13): text chunks go right after IHDR.
  const afterHeader = 8 + 12 + 13;
  return Buffer.concat([
    encoded.subarray(0, afterHeader),
    ...entries.map(([keyword, value]) => textChunk(keyword, value)),
    encoded.subarray(afterHeader),
  ]);
}

/** Reads the tEXt and iTXt (uncompressed) entries of a PNG. */
export function readPngText(png: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let offset = 8;
  while (offset + 12 <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === "tEXt") {
      const nul = body.indexOf(0);
      out[body.toString("latin1", 0, nul)] = body.toString("latin1", nul + 1);
    } else if (type === "iTXt") {
      const nul = body.indexOf(0);
      const keyword = body.toString("latin1", 0, nul);
      const compressed = body[nul + 1] === 1;
      const languageEnd = body.indexOf(0, nul + 3);
      const translatedEnd = body.indexOf(0, languageEnd + 1);
      if (!compressed) out[keyword] = body.toString("utf8", translatedEnd + 1);
    }
    if (type === "IEND") break;
    offset += 12 + length;
  }
  return out;
}

/** Decodes a PNG to RGB bytes (tests and image inputs). */
export function decodePng(png: Buffer): Rgb8Image {
  const decoded = PNG.sync.read(png);
  const pixels = decoded.width * decoded.height;
  const data = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    data[p * 3] = decoded.data[p * 4]!;
    data[p * 3 + 1] = decoded.data[p * 4 + 1]!;
    data[p * 3 + 2] = decoded.data[p * 4 + 2]!;
  }
  return { width: decoded.width, height: decoded.height, data };
}
