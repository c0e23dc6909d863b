/** collectGarbage frees an unreachable large array at once, in a process started without --expose-gc. */
import { describe, expect, it } from "vitest";
import { collectGarbage } from "./collect-garbage";

/** A WeakRef (and each deref) keeps its target alive until the current job ends. */
const nextJob = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("collectGarbage", () => {
  it("collects an unreachable 64 MB array without --expose-gc", async () => {
    expect(process.execArgv).not.toContain("--expose-gc");
    const ref = ((): WeakRef<Float32Array> => new WeakRef(new Float32Array(16 * 1024 ** 2)))();
    await nextJob();
    const aliveBefore = ref.deref() !== undefined;
    await nextJob();
    collectGarbage();
    const aliveAfter = ref.deref() !== undefined;
    expect({ aliveBefore, aliveAfter }).toEqual({ aliveBefore: true, aliveAfter: false });
  });

  it("leaves gc unexposed to the program", () => {
    collectGarbage();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
