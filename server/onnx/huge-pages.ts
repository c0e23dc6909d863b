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
 * Huge pages alone kept memory freed after UNet VJP calls resident (see MMAP_THRESHOLD_TUNABLE), so tensors of
 * 4 MiB or more are mapped one by one and given back when freed.
 *
 * glibc reads GLIBC_TUNABLES once, when a process starts, so the setting goes into the environment of the
 * processes that compute: the worker's child (worker-supervisor.ts) and the benchmarks' children. It only has
 * an effect where the kernel's transparent huge pages are `madvise` or `always`
 * (/sys/kernel/mm/transparent_hugepage/enabled) and on glibc; elsewhere it is ignored.
 *
 * ORT_HUGE_PAGES: off (default) | on. Off by default: with huge pages the kernel may compact memory on a page fault
 * (THP defrag "madvise"), and on a busy machine with fragmented memory that stalled small computing processes —
 * the worker-process tests ran 670 s instead of 75 s beside the rest of the suite and failed. Turn it on for a
 * host that runs full-size models. A GLIBC_TUNABLES that already sets glibc.malloc.hugetlb is kept as given.
 * With DNO_WORKER_MODE=inprocess the server computes itself: start it with GLIBC_TUNABLES set instead.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { OnnxError } from "./errors";

export const HUGE_PAGES_TUNABLE = "glibc.malloc.hugetlb=1";

/**
 * With huge pages, memory freed inside malloc's heaps after a UNet VJP call stayed resident (about 3 GB with
 * the full SD-1.5 at 512 px, and the decoder's VJP call after it then peaked at 17.6 GB instead of 10.3 + the
 * weights): a fixed 4 MiB mmap threshold (glibc's default grows it up to 32 MiB) maps every tensor of 4 MiB or
 * more on its own, so it goes back to the kernel when freed. Measured in one process, decoder VJP → 2 UNet VJP
 * rows → decoder VJP at 512 px: peak 15.1 GB (17.6 GB with huge pages alone), as fast.
 */
export const MMAP_THRESHOLD_TUNABLE = "glibc.malloc.mmap_threshold=4194304";

const TUNABLES = [HUGE_PAGES_TUNABLE, MMAP_THRESHOLD_TUNABLE];

const settingSchema = z.enum(["on", "off"]).default("off");

type Env = Readonly<Record<string, string | undefined>>;

/** ORT_HUGE_PAGES, validated (a wrong value is named). */
export function hugePagesSetting(env: Env = process.env): "on" | "off" {
  const parsed = settingSchema.safeParse(env.ORT_HUGE_PAGES?.trim().toLowerCase() || undefined);
  if (!parsed.success) {
    throw new OnnxError(
      "ONNX_CONFIG_INVALID",
      `Invalid ORT_HUGE_PAGES “${env.ORT_HUGE_PAGES}”: use off (the default) or on.`,
    );
  }
  return parsed.data;
}

/** The tunable names GLIBC_TUNABLES already sets. */
function namesSet(tunables: string | undefined): Set<string> {
  return new Set(
    (tunables ?? "")
      .split(":")
      .map((entry) => entry.split("=")[0]?.trim() ?? "")
      .filter(Boolean),
  );
}

/**
 * The environment for a child process that runs ONNX models: `env` with glibc.malloc.hugetlb=1 and the
 * 4 MiB mmap threshold added to GLIBC_TUNABLES (other tunables kept), unless ORT_HUGE_PAGES=off, the platform
 * is not Linux, or GLIBC_TUNABLES already sets glibc.malloc.hugetlb (a tunable someone set is never changed).
 */
export function withHugePages<T extends Env>(env: T, platform: NodeJS.Platform = process.platform): T {
  const set = namesSet(env.GLIBC_TUNABLES);
  if (platform !== "linux" || hugePagesSetting(env) === "off" || set.has("glibc.malloc.hugetlb")) return env;
  const added = TUNABLES.filter((tunable) => !set.has(tunable.split("=")[0] ?? ""));
  const current = env.GLIBC_TUNABLES?.trim();
  return { ...env, GLIBC_TUNABLES: [...(current ? [current] : []), ...added].join(":") };
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
