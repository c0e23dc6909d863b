/**
 * Transparent huge pages for ONNX Runtime's tensors on the CPU (issue 15, METHOD.md §4 "Speed").
 *
 * CPU sessions run without ONNX Runtime's memory arena (memory-sharing.ts: an arena keeps each session's peak
 * for the life of the process), so every intermediate tensor of a call is a fresh malloc, and glibc maps each
 * one over its mmap threshold (≤ 32 MiB) separately and unmaps it when freed. The kernel then faults those
 * pages in one 4 KiB page at a time on first touch: a UNet VJP call, which keeps gigabytes of the forward's
 * intermediates for its backward, spent about half its time there. glibc's tunable `glibc.malloc.hugetlb=1`
 * (glibc ≥ 2.35) makes malloc ask for transparent huge pages (madvise MADV_HUGEPAGE) on its mappings and heap:
 * 2 MiB pages, 512 times fewer faults, and memory still given back when a tensor is freed. Measured on the
 * full-size SD-1.5 UNet at 256 px (one row, 2 threads, interleaved, 5 calls each): VJP call 3.8–4.2 s without,
 * 1.8–3.2 s with; forward call 0.84–1.15 s without, 0.76–0.94 s with; the process's peak 0.4–0.7 GB higher
 * (allocations rounded up to whole huge pages).
 *
 * glibc reads GLIBC_TUNABLES once, when a process starts, so the setting goes into the environment of the
 * processes that compute: the worker's child (worker-supervisor.ts) and the benchmarks' children. It only has
 * an effect where the kernel's transparent huge pages are `madvise` or `always`
 * (/sys/kernel/mm/transparent_hugepage/enabled) and on glibc; elsewhere it is ignored.
 *
 * ORT_HUGE_PAGES: on (default) | off. A GLIBC_TUNABLES that already sets glibc.malloc.hugetlb is kept as given.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { OnnxError } from "./errors";

export const HUGE_PAGES_TUNABLE = "glibc.malloc.hugetlb=1";

const settingSchema = z.enum(["on", "off"]).default("on");

type Env = Readonly<Record<string, string | undefined>>;

/** ORT_HUGE_PAGES, validated (a wrong value is named). */
export function hugePagesSetting(env: Env = process.env): "on" | "off" {
  const parsed = settingSchema.safeParse(env.ORT_HUGE_PAGES?.trim().toLowerCase() || undefined);
  if (!parsed.success) {
    throw new OnnxError(
      "ONNX_CONFIG_INVALID",
      `Invalid ORT_HUGE_PAGES “${env.ORT_HUGE_PAGES}”: use on (the default) or off.`,
    );
  }
  return parsed.data;
}

/** Whether GLIBC_TUNABLES already says something about glibc.malloc.hugetlb. */
function setsHugeTlb(tunables: string | undefined): boolean {
  return (tunables ?? "").split(":").some((entry) => entry.trim().startsWith("glibc.malloc.hugetlb="));
}

/**
 * The environment for a child process that runs ONNX models: `env` with glibc.malloc.hugetlb=1 added to
 * GLIBC_TUNABLES (other tunables kept), unless ORT_HUGE_PAGES=off, the platform is not Linux, or the
 * tunable is already set.
 */
export function withHugePages<T extends Env>(env: T, platform: NodeJS.Platform = process.platform): T {
  if (platform !== "linux" || hugePagesSetting(env) === "off" || setsHugeTlb(env.GLIBC_TUNABLES)) return env;
  const current = env.GLIBC_TUNABLES?.trim();
  return { ...env, GLIBC_TUNABLES: current ? `${current}:${HUGE_PAGES_TUNABLE}` : HUGE_PAGES_TUNABLE };
}

/** Whether this process started with malloc asking for huge pages (for benchmark output and run logs). */
export function hugePagesActive(env: Env = process.env): boolean {
  return (env.GLIBC_TUNABLES ?? "").split(":").some((entry) => entry.trim() === HUGE_PAGES_TUNABLE);
}

/** The kernel's transparent-huge-page mode (`always`, `madvise`, `never`), or undefined where unreadable. */
export function transparentHugePageMode(): string | undefined {
  try {
    const text = readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8");
    return /\[(\w+)\]/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}
