/**
 * Reads the workflow a DNO Studio PNG carries (text chunk `dno-studio.workflow`, written by the artifact
 * download), in the browser or on the server. Only uncompressed tEXt/iTXt chunks are read; the text is the
 * same envelope as an exported workflow file, so importing it is importing a file.
 */
export const WORKFLOW_PNG_KEY = "dno-studio.workflow";
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

export function isPng(bytes: Uint8Array): boolean {
  return SIGNATURE.every((value, index) => bytes[index] === value);
}

export function readPngTextChunks(bytes: Uint8Array): Record<string, string> {
  if (!isPng(bytes)) throw new Error("This file is not a PNG image.");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder("latin1");
  const utf8 = new TextDecoder("utf-8");
  // No prototype: a chunk keyword such as "__proto__" stays an ordinary entry.
  const out = Object.create(null) as Record<string, string>;
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = latin1.decode(bytes.subarray(offset + 4, offset + 8));
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === "tEXt") {
      const nul = body.indexOf(0);
      if (nul > 0) out[latin1.decode(body.subarray(0, nul))] = latin1.decode(body.subarray(nul + 1));
    } else if (type === "iTXt") {
      const nul = body.indexOf(0);
      const compressed = body[nul + 1] === 1;
      const languageEnd = body.indexOf(0, nul + 3);
      const translatedEnd = body.indexOf(0, languageEnd + 1);
      if (nul > 0 && !compressed && translatedEnd > 0) {
        out[latin1.decode(body.subarray(0, nul))] = utf8.decode(body.subarray(translatedEnd + 1));
      }
    }
    if (type === "IEND") break;
    offset += 12 + length;
  }
  return out;
}

/** The workflow file text inside a PNG, or an error message saying why there is none. */
export function workflowTextFromPng(
  bytes: Uint8Array,
): { ok: true; text: string } | { ok: false; message: string } {
  let chunks: Record<string, string>;
  try {
    chunks = readPngTextChunks(bytes);
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  const text = chunks[WORKFLOW_PNG_KEY];
  if (!text) {
    return {
      ok: false,
      message:
        "This PNG carries no workflow. Download images from a run page (“Download PNG”) to keep their workflow.",
    };
  }
  return { ok: true, text };
}
