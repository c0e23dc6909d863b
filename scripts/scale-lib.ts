/**
 * Shared by the full-size commands (scripts/bench-scale.ts, scripts/test-scale.ts): the full-size model
 * folders built by `npm run build:sd-arch -- --scale full`, folder views at a chosen latent size, the
 * peak RSS of a child process, and one measured configuration run in a fresh child process.
 *
 * Latent size: the public exports fix neither height nor width and ship no unet/config.json, so the loader
 * takes SD's default (64×64 latents = 512 px). To sample at 256 px through the normal loader, a view folder
 * (.cache/sd-arch-views/<folder>-<latent>) holds hard links of every file plus a unet/config.json with
 * "sample_size": no GB-sized copies, and the model files (hence session and VJP cache keys by content) are
 * the same files.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "@/server/db/repo-root";
import { hugePagesActive, withHugePages } from "@/server/onnx/huge-pages";

export const BUILD_COMMAND = "npm run build:sd-arch -- --scale full";

/**
 * ONNX Runtime bounds for the children: the app's defaults (ORT_LOAD_TIMEOUT_MS 180 s, ORT_RUN_TIMEOUT_MS
 * 600 s) are shorter than creating a full-size UNet's VJP session or one 512 px VJP call on a loaded 2-core
 * machine, which these commands exist to measure. Values set in the environment win.
 */
export function scaleChildEnv(): Record<string, string> {
  return {
    ORT_LOAD_TIMEOUT_MS: process.env.ORT_LOAD_TIMEOUT_MS ?? String(3 * 3600_000),
    ORT_RUN_TIMEOUT_MS: process.env.ORT_RUN_TIMEOUT_MS ?? String(3600_000),
  };
}

export interface ScaleFolder {
  /** Folder name under .cache/sd-arch. */
  readonly folder: string;
  readonly label: string;
}

export const SCALE_FOLDERS: readonly ScaleFolder[] = [
  { folder: "sd15", label: "SD-1.5 architecture, fp32" },
  { folder: "sd15-fp16", label: "SD-1.5 architecture, fp16" },
  { folder: "sd21", label: "SD-2.1 architecture (v-prediction), fp32" },
  { folder: "sd21-fp16", label: "SD-2.1 architecture (v-prediction), fp16" },
];

export function sdArchDir(): string {
  return path.join(repoRoot(), ".cache", "sd-arch");
}

export function viewsDir(): string {
  return path.join(repoRoot(), ".cache", "sd-arch-views");
}

/** Why a folder cannot be used yet (missing or still being built), or null when it looks complete. */
export function folderProblem(source: string): string | null {
  if (!existsSync(source)) return "not built";
  for (const part of [
    "model_index.json",
    "unet/model.onnx",
    "text_encoder/model.onnx",
    "vae_decoder/model.onnx",
  ]) {
    if (!existsSync(path.join(source, part))) return `incomplete (no ${part}; still being built?)`;
  }
  return null;
}

function sameFile(a: string, b: string): boolean {
  if (!existsSync(a) || !existsSync(b)) return false;
  const sa = statSync(a);
  const sb = statSync(b);
  return sa.ino === sb.ino && sa.dev === sb.dev;
}

function linkTree(source: string, target: string, skip: (relative: string) => boolean, relative = ""): void {
  mkdirSync(path.join(target, relative), { recursive: true });
  for (const entry of readdirSync(path.join(source, relative), { withFileTypes: true })) {
    const rel = path.join(relative, entry.name);
    if (skip(rel)) continue;
    if (entry.isDirectory()) {
      linkTree(source, target, skip, rel);
    } else if (entry.isFile()) {
      const from = path.join(source, rel);
      const to = path.join(target, rel);
      if (sameFile(from, to)) continue;
      rmSync(to, { force: true });
      linkSync(from, to);
    }
  }
}

/**
 * A view of `source` whose UNet config says `latent`×`latent` latents (8·latent px). Re-linked on each call,
 * so a rebuilt source folder is picked up; returns the view's folder name (the model id is user:<name>).
 */
export function latentView(source: string, latent: number): { dir: string; name: string } {
  const name = `${path.basename(source)}-${latent}`;
  const dir = path.join(viewsDir(), name);
  const unetConfig = path.join(source, "unet", "config.json");
  linkTree(source, dir, (rel) => rel === path.join("unet", "config.json"));
  const config: Record<string, unknown> = existsSync(unetConfig)
    ? (JSON.parse(readFileSync(unetConfig, "utf8")) as Record<string, unknown>)
    : {};
  writeFileSync(
    path.join(dir, "unet", "config.json"),
    `${JSON.stringify({ in_channels: 4, ...config, sample_size: latent }, null, 2)}\n`,
  );
  return { dir, name };
}

/** A `Key:  N kB` line of a /proc file, in kB (NaN when absent). */
function procKb(text: string, key: string): number {
  return Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? Number.NaN);
}

/** Peak and current resident memory of a process, MiB (VmHWM, VmRSS of /proc/<pid>/status). */
export function readRssMb(pid: number | "self"): { peak: number; current: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const peak = procKb(status, "VmHWM") / 1024;
    const current = procKb(status, "VmRSS") / 1024;
    return Number.isFinite(peak) ? { peak, current } : null;
  } catch {
    return null;
  }
}

/**
 * Resident file pages a process's RSS counts more than once, MiB: RssFile − Pss_File. A file mapped by several
 * sessions (the UNet's shared weights, server/onnx/memory-sharing.ts) is counted per mapping in RSS, though
 * memory holds it once. (PSS also shares out pages other processes map, such as node's own binary: tens of MB.)
 * NaN where /proc cannot tell.
 */
export function readRssCountedTwiceMb(pid: number | "self"): number {
  try {
    const file = procKb(readFileSync(`/proc/${pid}/status`, "utf8"), "RssFile");
    const pss = procKb(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"), "Pss_File");
    return (file - pss) / 1024;
  } catch {
    return Number.NaN;
  }
}

export const mb = (value: number) => Math.round(value);

export function loadAverage(): number[] {
  return os.loadavg().map((value) => Number(value.toFixed(2)));
}

export function stamp(): string {
  return new Date().toISOString().slice(11, 19);
}

export interface ChildOutcome<T> {
  /** The child's last `RESULT ` line, parsed; null when it ended without one. */
  readonly result: T | null;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Largest VmHWM seen while sampling /proc/<pid>/status (kept when the child dies, e.g. out of memory). */
  readonly sampledPeakMb: number;
  readonly wallMs: number;
  /** The child's last stderr lines (its progress and error message). */
  readonly tail: string[];
}

/**
 * Runs this repository's `tsx <script> args…` as a fresh child process, prints its stderr (progress) with a
 * prefix, samples its peak RSS every second and prints a heartbeat every `heartbeatS` seconds (the child's
 * JS thread is blocked inside ONNX Runtime during long calls, so it cannot report by itself).
 */
export function runChild<T>(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  prefix: string,
  heartbeatS = 60,
): Promise<ChildOutcome<T>> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: repoRoot(),
    // As the worker's child computes: with huge pages when ORT_HUGE_PAGES=on (huge-pages.ts).
    env: withHugePages({ ...process.env, ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let sampledPeakMb = 0;
  let currentMb = 0;
  let result: T | null = null;
  const tail: string[] = [];
  const sample = () => {
    if (child.pid === undefined) return;
    const rss = readRssMb(child.pid);
    if (rss) {
      sampledPeakMb = Math.max(sampledPeakMb, rss.peak);
      currentMb = rss.current;
    }
  };
  const sampler = setInterval(sample, 1000);
  const heartbeat = setInterval(() => {
    const minutes = ((performance.now() - started) / 60000).toFixed(1);
    process.stderr.write(
      `${stamp()} ${prefix} … still running (${minutes} min; RSS ${mb(currentMb)} MiB, peak ${mb(sampledPeakMb)} MiB; load ${loadAverage().join(" ")})\n`,
    );
  }, heartbeatS * 1000);
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    sample();
    stdout += chunk.toString();
    let newline = stdout.indexOf("\n");
    while (newline >= 0) {
      const line = stdout.slice(0, newline);
      stdout = stdout.slice(newline + 1);
      if (line.startsWith("RESULT ")) result = JSON.parse(line.slice("RESULT ".length)) as T;
      else if (line.trim()) process.stderr.write(`${stamp()} ${prefix} ${line}\n`);
      newline = stdout.indexOf("\n");
    }
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    sample();
    stderr += chunk.toString();
    let newline = stderr.indexOf("\n");
    while (newline >= 0) {
      const line = stderr.slice(0, newline);
      stderr = stderr.slice(newline + 1);
      if (line.trim()) {
        process.stderr.write(`${stamp()} ${prefix} ${line}\n`);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
      newline = stderr.indexOf("\n");
    }
  });
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearInterval(sampler);
      clearInterval(heartbeat);
      resolve({ result, code, signal, sampledPeakMb, wallMs: performance.now() - started, tail });
    });
  });
}

/** Milliseconds of an async call. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/**
 * A benchmark that computes in its own process measures what the worker's child runs only with malloc's huge
 * pages when ORT_HUGE_PAGES=on, which glibc takes from the environment at process start (server/onnx/huge-pages.ts):
 * then, started without them, this process runs itself again with them and exits with that run's status.
 */
export function relaunchWithHugePages(): void {
  const env = withHugePages(process.env);
  if (env === process.env || hugePagesActive()) return;
  const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env,
    stdio: "inherit",
  });
  process.exit(again.status ?? 1);
}
