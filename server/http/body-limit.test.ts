import { describe, expect, it } from "vitest";
import { checkDeclaredBodySize, DEFAULT_MAX_BODY_BYTES, formatBytes } from "./body-limit";

const check = (contentLength: string | null, transferEncoding: string | null = null, limit = 1024) =>
  checkDeclaredBodySize({ contentLength, transferEncoding }, limit);

describe("checkDeclaredBodySize", () => {
  it("lets bodies up to the limit, and requests without a body, through", () => {
    expect(check("0")).toBeNull();
    expect(check("1024")).toBeNull();
    expect(check(null)).toBeNull();
  });

  it("refuses a declared length over the limit with 413, naming the limit and the variable", () => {
    expect(check("1025")).toEqual({
      status: 413,
      message:
        "The request body is larger than the server's limit of 1 KiB (1024 bytes). Send less data, or raise MAX_BODY_BYTES on the server.",
    });
    expect(check("314572800", null, DEFAULT_MAX_BODY_BYTES)?.message).toContain("4 MiB (4194304 bytes)");
  });

  it("refuses a body of unknown length (chunked) with 411 and a malformed length with 400", () => {
    expect(check(null, "chunked")?.status).toBe(411);
    expect(check(null, "chunked")?.message).toBe(
      "Send the request with a Content-Length header (at most 1 KiB (1024 bytes)); bodies of unknown length are not accepted.",
    );
    expect(check("12abc")?.status).toBe(400);
    expect(check("-1")?.status).toBe(400);
  });
});

describe("formatBytes", () => {
  it("uses the largest whole unit and keeps the exact count", () => {
    expect(formatBytes(512)).toBe("512 bytes");
    expect(formatBytes(1536)).toBe("1.5 KiB (1536 bytes)");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3 GiB (3221225472 bytes)");
  });
});
