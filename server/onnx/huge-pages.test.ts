/**
 * Huge pages for ONNX Runtime's tensors (huge-pages.ts): the environment a computing child gets, the setting's
 * validation, and that glibc really hands such a child transparent huge pages for a large tensor-sized buffer
 * (read from its own /proc/self/smaps_rollup) where the kernel's mode is `madvise`, and none without it.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  HUGE_PAGES_TUNABLE,
  hugePagesActive,
  MMAP_THRESHOLD_TUNABLE,
  hugePagesSetting,
  transparentHugePageMode,
  withHugePages,
} from "./huge-pages";

describe("withHugePages", () => {
  it("adds glibc.malloc.hugetlb=1 and a 4 MiB mmap threshold to GLIBC_TUNABLES on Linux, keeping other tunables", () => {
    expect(withHugePages({ PATH: "/bin", ORT_HUGE_PAGES: "on" }, "linux")).toEqual({
      PATH: "/bin",
      ORT_HUGE_PAGES: "on",
      GLIBC_TUNABLES: `${HUGE_PAGES_TUNABLE}:${MMAP_THRESHOLD_TUNABLE}`,
    });
    expect(
      withHugePages({ GLIBC_TUNABLES: "glibc.malloc.arena_max=2", ORT_HUGE_PAGES: "on" }, "linux")
        .GLIBC_TUNABLES,
    ).toBe("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=4194304");
    // An mmap threshold someone chose stays theirs.
    expect(
      withHugePages({ GLIBC_TUNABLES: "glibc.malloc.mmap_threshold=65536", ORT_HUGE_PAGES: "on" }, "linux")
        .GLIBC_TUNABLES,
    ).toBe("glibc.malloc.mmap_threshold=65536:glibc.malloc.hugetlb=1");
    expect(hugePagesActive(withHugePages({ ORT_HUGE_PAGES: "on" }, "linux"))).toBe(true);
    // Off by default.
    expect(withHugePages({ PATH: "/bin" }, "linux")).toEqual({ PATH: "/bin" });
  });

  it("keeps a hugetlb value someone set, and changes nothing when off or off Linux", () => {
    const own = { GLIBC_TUNABLES: "glibc.malloc.hugetlb=0", ORT_HUGE_PAGES: "on" };
    expect(withHugePages(own, "linux")).toBe(own);
    expect(withHugePages({ ORT_HUGE_PAGES: "OFF" }, "linux")).toEqual({ ORT_HUGE_PAGES: "OFF" });
    expect(withHugePages({ ORT_HUGE_PAGES: "on" }, "darwin")).toEqual({ ORT_HUGE_PAGES: "on" });
    expect(hugePagesActive({})).toBe(false);
    expect(hugePagesActive(own)).toBe(false);
  });

  it("names ORT_HUGE_PAGES when its value is wrong", () => {
    expect(hugePagesSetting({})).toBe("off");
    expect(() => hugePagesSetting({ ORT_HUGE_PAGES: "sometimes" })).toThrow(
      /ORT_HUGE_PAGES “sometimes”.*off.*on/,
    );
  });
});

/** Allocates and touches 256 MiB in a fresh Node process; returns its AnonHugePages in KiB. */
function childHugePagesKb(env: NodeJS.ProcessEnv): number {
  const script = [
    "const a = new Float32Array(64 * 1024 * 1024); a.fill(1);",
    "const text = require('fs').readFileSync('/proc/self/smaps_rollup', 'utf8');",
    "console.log(/AnonHugePages:\\s+(\\d+)/.exec(text)[1]);",
  ].join("");
  const result = spawnSync(process.execPath, ["-e", script], { env, encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return Number(result.stdout.trim());
}

const mode = transparentHugePageMode();

describe.skipIf(process.platform !== "linux" || mode === undefined || mode === "never")(
  "a child process with the setting",
  () => {
    it("gets huge pages for a large buffer (and none without it where the kernel's mode is madvise)", () => {
      // This process's environment without any GLIBC_TUNABLES of its own.
      const { GLIBC_TUNABLES: _own, ...inherited } = process.env;
      const base: NodeJS.ProcessEnv = { ...inherited, ORT_HUGE_PAGES: "on" };
      const withPages = childHugePagesKb(withHugePages(base, "linux"));
      // 256 MiB touched: most of it should come as 2 MiB pages (khugepaged is not needed: the fault maps them).
      expect(withPages).toBeGreaterThan(128 * 1024);
      if (mode === "madvise") expect(childHugePagesKb(base)).toBe(0);
    });
  },
);
