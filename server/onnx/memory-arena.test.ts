/**
 * CPU sessions run without ONNX Runtime's memory arena (memory-sharing.ts, cpuArenaOptions): a session gives its
 * intermediates back when a call ends instead of holding its peak for the life of the process. Checked on a
 * one-node-deep graph whose only intermediate is 256 MiB (x [1, 1024] expanded to [65536, 1024], then summed):
 * after one call, resident memory is back near where it was; the same graph with the arena on keeps it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cpuArenaOptions } from "./memory-sharing";
import {
  createOnnxRuntime,
  nativeSessionFactory,
  releaseCachedSessions,
  type SessionFactory,
} from "./runtime";
import { buildTinyOnnx } from "./tiny-onnx";

const MiB = 1024 ** 2;
const dir = mkdtempSync(path.join(tmpdir(), "dno-arena-"));

afterAll(async () => {
  await releaseCachedSessions();
  rmSync(dir, { recursive: true, force: true });
});

/** y = sum(expand(x, [rows, 1024])): one intermediate of rows × 4 KiB. */
function expandSumModel(rows: number): string {
  const file = path.join(dir, `expand-${rows}.onnx`);
  writeFileSync(
    file,
    buildTinyOnnx({
      inputs: [{ name: "x", type: "float32", shape: [1, 1024] }],
      outputs: [{ name: "y", type: "float32", shape: [1, 1] }],
      initializers: [{ name: "shape", dims: [2], values: [rows, 1024], type: "int64" }],
      nodes: [
        { op: "Expand", inputs: ["x", "shape"], outputs: ["big"] },
        { op: "ReduceSum", inputs: ["big"], outputs: ["y"] },
      ],
    }),
  );
  return file;
}

function residentBytes(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) * 1024;
}

/** Resident growth over one call of a fresh 256 MiB-intermediate model, with the options the runtime chose. */
async function growthOfOneCall(rows: number, arena: "as chosen" | "forced on") {
  const seen: Parameters<SessionFactory>[1][] = [];
  const createSession: SessionFactory = (file, options) => {
    seen.push(options);
    return nativeSessionFactory(
      file,
      arena === "forced on" ? { ...options, enableCpuMemArena: true } : options,
    );
  };
  const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 }, { createSession });
  const model = await onnx.load(expandSumModel(rows));
  const x = new Float32Array(1024).fill(1);
  const before = residentBytes();
  const outputs = await model.run({ x: { type: "float32", data: x, dims: [1, 1024] } });
  const after = residentBytes();
  expect(outputs.y?.data[0]).toBe(rows * 1024);
  return { growth: after - before, options: seen[0] };
}

describe("the CPU memory arena", () => {
  it("is off for CPU sessions only", () => {
    expect(cpuArenaOptions("cpu")).toEqual({ enableCpuMemArena: false });
    expect(cpuArenaOptions("webgpu")).toEqual({});
    expect(cpuArenaOptions("cuda")).toEqual({});
  });

  it("a session gives a call's 256 MiB intermediate back; with the arena on it keeps it", async () => {
    const off = await growthOfOneCall(65_536, "as chosen");
    expect(off.options?.enableCpuMemArena).toBe(false);
    expect(off.growth).toBeLessThan(64 * MiB);
    // A different graph (one more row), so the process-wide session cache does not hand back the first.
    const on = await growthOfOneCall(65_537, "forced on");
    expect(on.growth).toBeGreaterThan(200 * MiB);
  }, 60_000);
});
