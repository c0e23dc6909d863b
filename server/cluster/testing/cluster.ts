/**
 * A whole DNO Studio cluster on one machine, for the chaos test (e2e/cluster-chaos.spec.ts) and
 * `npm run bench:cluster`: a throwaway PostgreSQL database (created on DNO_TEST_POSTGRES_URL's server and
 * migrated), a local S3 server, one web server (the production build under `next start`, or the real tRPC
 * handler in a small Node server when there is no build) and N worker processes (`server/worker/main.ts`) that
 * share nothing but the database and the bucket: each process has its own DNO_DATA_DIR. Workers can be
 * killed (SIGKILL), stopped (SIGTERM) and started at any time; `stop()` tears everything down.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createThrowawayPostgres } from "../../db/testing/throwaway-postgres";
import { createDbClient, type DbClient } from "../../db/client";
import { repoRoot } from "../../db/repo-root";
import { ensureDatabaseReady } from "../../db/ready";
import { startS3Server, type TestS3Server } from "../../services/runs/testing/s3-server";

export interface ClusterOptions {
  /** PostgreSQL server URL whose user may create databases (DNO_TEST_POSTGRES_URL). */
  postgresServerUrl: string;
  /** Worker processes to start with the cluster. */
  workers: number;
  /** "next": `next start` of the production build (needs `next build`); "node": the tRPC handler only. */
  web?: "next" | "node";
  /** A killed worker's run is queued again this long after its last renewal. */
  leaseMs?: number;
  heartbeatMs?: number;
  /** Claims of one run before it fails (DNO_WORKER_MAX_ATTEMPTS; unset: the default). */
  maxAttempts?: number;
  /** Extra environment for every worker (e.g. ORT_THREADS). */
  workerEnv?: Record<string, string>;
  /** Where progress lines go (stderr of the bench, the test's log). */
  log?: (line: string) => void;
}

export interface ClusterProcess {
  /** "web", "worker-1", "worker-2", … (a replacement gets the next number). */
  name: string;
  pid: number;
  child: ChildProcess;
  dataDir: string;
  /** Resolves with the exit code (null after a signal) when the process has exited. */
  exited: Promise<number | null>;
  /** True once it said it started (a worker: it takes runs from then on). */
  ready: boolean;
  /** The last lines it printed (stdout and stderr), for failure messages. */
  tail(): string;
}

export interface Cluster {
  databaseUrl: string;
  webUrl: string;
  /** A client of the cluster's database, for setting up accounts and checking rows. */
  db: DbClient;
  /** Live worker processes (killed ones leave this list). */
  workers(): ClusterProcess[];
  /** Starts one more worker; resolves once it has said it started. */
  startWorker(): Promise<ClusterProcess>;
  /** Sends the signal; resolves when the process has exited. */
  signalWorker(worker: ClusterProcess, signal: "SIGKILL" | "SIGTERM"): Promise<number | null>;
  /**
   * Freezes (SIGSTOP) or thaws (SIGCONT) a worker without ending it: the benchmark takes an idle worker out
   * of the pool this way, so the other's throughput is measured warm.
   */
  pauseWorker(worker: ClusterProcess, paused: boolean): void;
  /** Every process started so far (for logs after a failure). */
  processes(): ClusterProcess[];
  stop(): Promise<void>;
}

/** The PostgreSQL server the cluster tests use, or null (they are skipped then). */
export function postgresServerUrl(): string | null {
  return process.env.DNO_TEST_POSTGRES_URL || null;
}

export function hasProductionBuild(): boolean {
  return fs.existsSync(path.join(repoRoot(), ".next", "BUILD_ID"));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port")),
      );
    });
  });
}

const TAIL_LINES = 40;

/** Spawns a Node process in its own process group (so a signal reaches everything it started). */
function spawnProcess(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  dataDir: string,
  logFile: string,
): ClusterProcess {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot(),
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const log = fs.createWriteStream(logFile);
  const collect = (chunk: Buffer) => {
    log.write(chunk);
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      log.end();
      resolve(code);
    });
  });
  if (child.pid === undefined) throw new Error(`Could not start ${name}.`);
  return { name, pid: child.pid, child, dataDir, exited, ready: false, tail: () => lines.join("\n") };
}

function signalGroup(processInfo: ClusterProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-processInfo.pid, signal);
  } catch {
    // Already gone.
  }
}

async function waitUntil(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  processInfo: ClusterProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void processInfo.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw new Error(`${processInfo.name} exited (${exitCode}) before ${what}:\n${processInfo.tail()}`);
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${processInfo.name}: no ${what} within ${timeoutMs / 1000} s:\n${processInfo.tail()}`);
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => undefined);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dno-cluster-"));
  const database = await createThrowawayPostgres(options.postgresServerUrl, "dno_cluster");
  const all: ClusterProcess[] = [];
  const live = new Set<ClusterProcess>();
  let s3: TestS3Server | null = null;
  let db: DbClient | null = null;
  let workerNumber = 0;
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const processInfo of all) {
      signalGroup(processInfo, "SIGCONT");
      signalGroup(processInfo, "SIGKILL");
    }
    await Promise.all(all.map((processInfo) => processInfo.exited));
    await db?.$disconnect().catch(() => undefined);
    await s3?.stop().catch(() => undefined);
    await database.drop().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  };

  try {
    const databaseUrl = database.url;
    db = createDbClient(databaseUrl);
    await ensureDatabaseReady({ databaseUrl, db, seed: false });
    log(`cluster: database ${database.name} migrated`);

    s3 = await startS3Server({ bucket: "dno-cluster" });
    log(`cluster: S3 server at ${s3.endpoint}, bucket ${s3.bucket}`);

    // What every process shares: the database and the bucket. Nothing else (own data folder each).
    const baseEnv: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DNO_QUEUE: "pg-boss",
      ...s3.env,
      NEXT_TELEMETRY_DISABLED: "1",
    };
    delete baseEnv.DNO_TEST_POSTGRES_URL;

    const ownDataDir = (name: string) => {
      const dir = path.join(root, name);
      fs.mkdirSync(dir, { recursive: true });
      return dir;
    };

    // The web server: queues runs and serves progress; it runs no runs itself.
    const port = await freePort();
    const webUrl = `http://127.0.0.1:${port}`;
    const webKind = options.web ?? (hasProductionBuild() ? "next" : "node");
    const webDataDir = ownDataDir("web");
    const webEnv: NodeJS.ProcessEnv = {
      ...baseEnv,
      DNO_DATA_DIR: webDataDir,
      DNO_EMBEDDED_WORKER: "0",
      NODE_ENV: "production",
      PORT: String(port),
    };
    const web = spawnProcess(
      "web",
      webKind === "next"
        ? ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(port)]
        : ["--import", "tsx", "server/cluster/testing/web-server.ts"],
      webEnv,
      webDataDir,
      path.join(root, "web.log"),
    );
    all.push(web);
    await waitUntil(
      "answer on its port",
      async () => {
        try {
          const response = await fetch(`${webUrl}/api/trpc/workflow.list`);
          return response.status < 500;
        } catch {
          return false;
        }
      },
      120_000,
      web,
    );
    web.ready = true;
    log(`cluster: web server (${webKind}) at ${webUrl}`);

    const startWorker = async (): Promise<ClusterProcess> => {
      if (stopped) throw new Error("The cluster was stopped.");
      workerNumber++;
      const name = `worker-${workerNumber}`;
      const dataDir = ownDataDir(name);
      const worker = spawnProcess(
        name,
        ["--import", "tsx", "server/worker/main.ts"],
        {
          ...baseEnv,
          DNO_DATA_DIR: dataDir,
          DNO_WORKER_LEASE_MS: String(options.leaseMs ?? 3000),
          DNO_WORKER_HEARTBEAT_MS: String(options.heartbeatMs ?? 500),
          ORT_THREADS: "1",
          ...(options.maxAttempts ? { DNO_WORKER_MAX_ATTEMPTS: String(options.maxAttempts) } : {}),
          ...options.workerEnv,
        },
        dataDir,
        path.join(root, `${name}.log`),
      );
      all.push(worker);
      live.add(worker);
      void worker.exited.then(() => live.delete(worker));
      await waitUntil("start-up line", () => /worker .*started/i.test(worker.tail()), 120_000, worker);
      worker.ready = true;
      log(`cluster: ${name} (pid ${worker.pid}) started`);
      return worker;
    };

    await Promise.all(Array.from({ length: options.workers }, () => startWorker()));

    const client = db;
    return {
      databaseUrl,
      webUrl,
      db: client,
      workers: () => [...live],
      startWorker,
      async signalWorker(worker, signal) {
        signalGroup(worker, signal);
        const code = await worker.exited;
        log(`cluster: ${worker.name} ${signal === "SIGKILL" ? "killed" : "stopped"} (exit ${code})`);
        return code;
      },
      pauseWorker(worker, paused) {
        signalGroup(worker, paused ? "SIGSTOP" : "SIGCONT");
      },
      processes: () => [...all],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
