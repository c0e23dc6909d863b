import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { evaluateModel } from "../onnx/evaluate";
import { buildModel } from "./builder";
import { getVjpModel } from "./cache";
import { encodeModel } from "./proto";
import { cotangentInputName, gradientOutputName } from "./vjp";

const forward = encodeModel(
  buildModel({
    inputs: [{ name: "x", type: "float64", dims: [3] }],
    outputs: [{ name: "y", type: "float64" }],
    nodes: [{ opType: "Exp", inputs: ["x"], outputs: ["y"] }],
  }),
);

async function gradientOf(bytes: Uint8Array): Promise<number[]> {
  const out = await evaluateModel(bytes, {
    x: { type: "float64", dims: [3], data: [0, 0, 0] },
    [cotangentInputName("y")]: { type: "float64", dims: [3], data: [1, 2, 3] },
  });
  return Array.from(out[gradientOutputName("x")]!.data as Float64Array);
}

describe("VJP model cache", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "vjp-cache-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("builds once, then serves the same bytes", async () => {
    const first = await getVjpModel(forward, { wrt: ["x"], of: "y" }, { dir });
    expect(first.source).toBe("built");
    const second = await getVjpModel(forward, { wrt: ["x"], of: "y" }, { dir });
    expect(second.source).toBe("hit");
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    expect(await gradientOf(second.bytes)).toEqual([1, 2, 3]);
  });

  it("keys on the request: another `of`/option is another entry", async () => {
    const a = await getVjpModel(forward, { wrt: ["x"], of: "y" }, { dir });
    const b = await getVjpModel(forward, { wrt: ["x"], of: "y", exposeForward: true }, { dir });
    expect(b.source).toBe("built");
    expect(b.file).not.toBe(a.file);
  });

  it("rebuilds an entry whose bytes were corrupted (checksum mismatch)", async () => {
    const first = await getVjpModel(forward, { wrt: ["x"], of: "y" }, { dir });
    const bytes = await readFile(first.file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5]! + 1) % 256;
    await writeFile(first.file, bytes);
    const again = await getVjpModel(forward, { wrt: ["x"], of: "y" }, { dir });
    expect(again.source).toBe("built");
    expect(again.rejected).toBe("checksum mismatch");
    expect(await gradientOf(again.bytes)).toEqual([1, 2, 3]);
    expect((await getVjpModel(forward, { wrt: ["x"], of: "y" }, { dir })).source).toBe("hit");
  });

  it("rebuilds when the bytes and checksum agree but do not parse as a model", async () => {
    const first = await getVjpModel(forward, { wrt: ["x"], of: "y" }, { dir });
    const garbage = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]);
    await writeFile(first.file, garbage);
    const metaFile = first.file.replace(/\.onnx$/, ".json");
    const meta = JSON.parse(await readFile(metaFile, "utf8"));
    const { createHash } = await import("node:crypto");
    meta.sha256 = createHash("sha256").update(garbage).digest("hex");
    await writeFile(metaFile, JSON.stringify(meta));
    const again = await getVjpModel(forward, { wrt: ["x"], of: "y" }, { dir });
    expect(again.source).toBe("built");
    expect(again.rejected).toBe("bytes do not decode as an ONNX model");
  });

  it("rebuilds when the metadata is unreadable", async () => {
    const first = await getVjpModel(forward, { wrt: ["x"], of: "y" }, { dir });
    await writeFile(first.file.replace(/\.onnx$/, ".json"), "{ not json");
    const again = await getVjpModel(forward, { wrt: ["x"], of: "y" }, { dir });
    expect(again.rejected).toBe("metadata unreadable");
    expect(await gradientOf(again.bytes)).toEqual([1, 2, 3]);
  });
});
