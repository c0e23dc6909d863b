/**
 * The early request-body check the proxy (proxy.ts) makes from the headers alone, before any byte of the
 * body is read: a declared Content-Length over MAX_BODY_BYTES is refused with 413. A body sent without a
 * length (chunked) is refused with 411, because the proxy cannot see its size and Next would pass a body
 * cut at its clone limit to the route instead of failing. Pure functions; tests call them.
 */

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface BodyRefusal {
  status: 400 | 411 | 413;
  message: string;
}

/** "4 MiB (4194304 bytes)": a size as people read it, with the exact number to compare with. */
export function formatBytes(bytes: number): string {
  const units = [
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
  ] as const;
  for (const [unit, size] of units) {
    if (bytes >= size) {
      const value = bytes / size;
      const shown = Number.isInteger(value) ? String(value) : value.toFixed(1);
      return `${shown} ${unit} (${bytes} bytes)`;
    }
  }
  return `${bytes} bytes`;
}

export function tooLargeMessage(limit: number): string {
  return `The request body is larger than the server's limit of ${formatBytes(limit)}. Send less data, or raise MAX_BODY_BYTES on the server.`;
}

/**
 * Null when the headers allow the request through; otherwise the status and message to answer with.
 * `transferEncoding` is the Transfer-Encoding header (a body without Content-Length comes chunked).
 */
export function checkDeclaredBodySize(
  headers: { contentLength: string | null; transferEncoding: string | null },
  limit: number,
): BodyRefusal | null {
  const { contentLength, transferEncoding } = headers;
  if (contentLength !== null) {
    if (!/^\s*\d+\s*$/.test(contentLength)) {
      return { status: 400, message: "The Content-Length header is not a whole number of bytes." };
    }
    return Number(contentLength) > limit ? { status: 413, message: tooLargeMessage(limit) } : null;
  }
  if (transferEncoding !== null && transferEncoding.trim() !== "") {
    return {
      status: 411,
      message: `Send the request with a Content-Length header (at most ${formatBytes(limit)}); bodies of unknown length are not accepted.`,
    };
  }
  return null;
}
