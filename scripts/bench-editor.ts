/**
 * `npm run bench:editor`: the editor with a 300-node workflow, in headless Chromium against the production
 * build.
 *
 * 1. `next build` (skip with --skip-build when .next is current), then `next start` on a free port with a
 *    fresh benchmark database (the app migrates and seeds it at start, as on a fresh machine).
 * 2. Creates a generated 300-node workflow (50 complete Prompt→…→Optimizer pipelines) through the tRPC API.
 * 3. Opens the editor several times and measures time to interactive: from navigation start until the
 *    editor shell is up and the canvas shows measured (visible) node cards.
 * 4. Drags nodes and pans the canvas for a few seconds while a requestAnimationFrame loop records frame
 *    times; prints percentiles.
 *
 * Every number is a median or a tail percentile over repetitions (nearest rank, scripts/stats.ts), never
 * the best one: fps_median from the median frame time, fps_p5 from the 95th-percentile frame time,
 * editor_load_ms the median of the loads and editor_load_p90_ms their 90th percentile.
 * The last output line is one JSON object:
 *   {"nodes":300,"fps_median":…,"fps_p5":…,"editor_load_ms":…,"editor_load_p90_ms":…,"loads":…}
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { chromium, type Page } from "playwright-core";
import superjson from "superjson";
import { createGraphNode, emptyGraphDocument } from "@/nodes/graph/create";
import type { GraphDocument, GraphEdge, GraphNode } from "@/nodes/graph/document";
import type { AppRouter } from "@/server/api/root";
import { percentile, summarize } from "./stats";

const ROOT = path.resolve(import.meta.dirname, "..");
const NODE_COUNT = 300;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Loads measured; the median is reported (the first load also pays for cold caches). */
const LOAD_RUNS = 5;

function log(message: string): void {
  console.log(`[bench:editor] ${message}`);
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** 50 pipelines of the six node types, wired, laid out as a grid (6 columns × 50 rows). */
export function generateWorkflow(nodeCount: number): GraphDocument {
  const types = ["prompt", "noise", "sampler", "reward", "guard", "optimizer"] as const;
  const document = emptyGraphDocument();
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const pipelines = Math.ceil(nodeCount / types.length);
  for (let row = 0; row < pipelines; row++) {
    const id = (type: string) => `${type}-${row + 1}`;
    for (const [column, type] of types.entries()) {
      if (nodes.length >= nodeCount) break;
      nodes.push(createGraphNode(type, { id: id(type), position: { x: column * 360, y: row * 620 } }));
    }
    const wire = (source: string, sourcePort: string, target: string, targetPort: string) => {
      if (!nodes.some((node) => node.id === source) || !nodes.some((node) => node.id === target)) return;
      edges.push({ id: `edge-${edges.length + 1}`, source, sourcePort, target, targetPort });
    };
    wire(id("prompt"), "conditioning", id("sampler"), "conditioning");
    wire(id("noise"), "noise", id("sampler"), "noise");
    wire(id("sampler"), "image", id("reward"), "image");
    wire(id("reward"), "reward", id("optimizer"), "rewards");
    wire(id("guard"), "guard", id("optimizer"), "guards");
  }
  return { ...document, nodes, edges };
}

async function waitForServer(url: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`next start exited early with code ${server.exitCode}.`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`The app did not answer at ${url} within ${timeoutMs / 1000} s.`);
}

// Browser-side code is passed as strings: tsx's transform would wrap functions in helpers (__name) that do
// not exist inside the page.

/** Editor shell up and every drawn node card measured (React Flow hides a node until it is measured). */
const EDITOR_INTERACTIVE = `(() => {
  if (!document.querySelector('[data-testid="editor"]')) return false;
  const nodes = document.querySelectorAll(".react-flow__node");
  if (nodes.length === 0) return false;
  for (const node of nodes) if (node.style.visibility === "hidden") return false;
  return performance.now();
})()`;

const START_FRAME_RECORDER = `(() => {
  const frames = [];
  window.__frames = frames;
  let last = performance.now();
  const tick = (now) => {
    frames.push(now - last);
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`;

const TAKE_FRAMES = "window.__frames.splice(0, window.__frames.length)";

/** Milliseconds from navigation start until the editor is interactive. */
async function measureLoad(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: "commit" });
  const handle = await page.waitForFunction(EDITOR_INTERACTIVE, undefined, {
    polling: "raf",
    timeout: 60_000,
  });
  return Number(await handle.jsonValue());
}

async function startFrameRecorder(page: Page): Promise<void> {
  await page.evaluate(START_FRAME_RECORDER);
}

async function readFrames(page: Page): Promise<number[]> {
  const frames: unknown = await page.evaluate(TAKE_FRAMES);
  return Array.isArray(frames) ? frames.filter((value): value is number => typeof value === "number") : [];
}

async function interact(page: Page, durationMs: number): Promise<void> {
  const canvas = await page.locator('[data-testid="canvas"]').boundingBox();
  if (!canvas) throw new Error("No canvas on the editor page.");
  const heads = page.locator(".react-flow__node .node-head");
  const headCount = await heads.count();
  const end = Date.now() + durationMs;
  let round = 0;
  while (Date.now() < end) {
    // Drag one visible node in a small circle…
    const head = heads.nth((round * 7) % Math.max(1, headCount));
    const box = await head.boundingBox();
    if (box && box.x > canvas.x && box.y > canvas.y) {
      const start = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      await page.mouse.move(start.x, start.y);
      await page.mouse.down();
      for (let step = 1; step <= 40; step++) {
        const angle = (step / 40) * Math.PI * 2;
        await page.mouse.move(start.x + 60 * Math.sin(angle), start.y + 40 * (1 - Math.cos(angle)));
        await page.waitForTimeout(12);
      }
      await page.mouse.up();
    }
    // …then pan the canvas by dragging empty space (the gap between two grid columns).
    const panStart = { x: canvas.x + canvas.width / 2, y: canvas.y + canvas.height - 30 };
    await page.mouse.move(panStart.x, panStart.y);
    await page.mouse.down();
    for (let step = 1; step <= 40; step++) {
      const angle = (step / 40) * Math.PI * 2;
      await page.mouse.move(panStart.x - 120 * Math.sin(angle), panStart.y - 60 * (1 - Math.cos(angle)));
      await page.waitForTimeout(12);
    }
    await page.mouse.up();
    round += 1;
  }
}

async function main(): Promise<void> {
  const skipBuild = process.argv.includes("--skip-build");
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  if (!skipBuild) {
    log("next build (a few minutes; pass --skip-build to reuse .next)…");
    const build = spawnSync("npx", ["next", "build"], { cwd: ROOT, stdio: "inherit", env });
    if (build.status !== 0) throw new Error("next build failed; run `npx next build` to see why.");
  } else if (!fs.existsSync(path.join(ROOT, ".next", "BUILD_ID"))) {
    throw new Error("--skip-build given but there is no production build in .next; run `npx next build`.");
  }

  const port = await freePort();
  const dbFile = path.join(ROOT, "data", "bench-editor.db");
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  for (const suffix of ["", "-journal", "-wal", "-shm"]) fs.rmSync(`${dbFile}${suffix}`, { force: true });
  const base = `http://127.0.0.1:${port}`;
  log(`next start on ${base} with a fresh database ${path.relative(ROOT, dbFile)}`);
  const server = spawn("npx", ["next", "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: ROOT,
    env: { ...env, DATABASE_URL: `file:${dbFile}`, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let serverOutput = "";
  server.stdout?.on("data", (chunk: Buffer) => {
    serverOutput += chunk.toString();
  });
  server.stderr?.on("data", (chunk: Buffer) => {
    serverOutput += chunk.toString();
  });
  const stopServer = () => {
    if (server.pid !== undefined && server.exitCode === null) {
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  };
  process.on("exit", stopServer);

  try {
    await waitForServer(`${base}/`, server, 120_000).catch((error: unknown) => {
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\n${serverOutput.slice(-2000)}`,
      );
    });
    const api = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${base}/api/trpc`, transformer: superjson })],
    });
    const document = generateWorkflow(NODE_COUNT);
    const created = await api.workflow.create.mutate({ name: `Benchmark ${NODE_COUNT} nodes`, document });
    log(`created workflow ${created.id}: ${document.nodes.length} nodes, ${document.edges.length} edges`);
    const url = `${base}/workflows/${created.id}`;

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    try {
      // The probes below are strings that Playwright evaluates with eval, which the app's CSP forbids; the
      // page's own scripts never need it (zod is told not to probe for eval), so lifting the CSP for the
      // probes does not change what is measured.
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
      const page = await context.newPage();
      // Warm the server's route (first render compiles nothing in production, but fills caches).
      await page.goto(`${base}/`);
      const loads: number[] = [];
      for (let run = 0; run < LOAD_RUNS; run++) {
        const fresh = await context.newPage();
        loads.push(await measureLoad(fresh, url));
        if (run < LOAD_RUNS - 1) await fresh.close();
        else {
          const rendered = await fresh.locator(".react-flow__node").count();
          log(`editor load ${loads.map((ms) => `${round(ms, 0)} ms`).join(", ")}; nodes drawn: ${rendered}`);
          await fresh.waitForTimeout(500);
          await startFrameRecorder(fresh);
          await fresh.waitForTimeout(300);
          await readFrames(fresh);
          await interact(fresh, 5_000);
          const frames = (await readFrames(fresh)).filter((delta) => delta > 0).sort((a, b) => a - b);
          const p50 = percentile(frames, 50);
          const p95 = percentile(frames, 95);
          log(
            `frames: ${frames.length}; frame time ms p50 ${round(p50)} p90 ${round(percentile(frames, 90))} ` +
              `p95 ${round(p95)} p99 ${round(percentile(frames, 99))} max ${round(frames[frames.length - 1] ?? 0)}`,
          );
          const load = summarize(loads);
          const result = {
            nodes: document.nodes.length,
            fps_median: round(1000 / p50),
            fps_p5: round(1000 / p95),
            editor_load_ms: Math.round(load.median),
            editor_load_p90_ms: Math.round(load.p90),
            loads: load.n,
          };
          console.log(JSON.stringify(result));
        }
      }
    } finally {
      await browser.close();
    }
  } finally {
    stopServer();
  }
}

main().catch((error: unknown) => {
  console.error(`[bench:editor] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
