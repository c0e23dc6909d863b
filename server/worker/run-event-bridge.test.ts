/**
 * Run events across processes over PostgreSQL LISTEN/NOTIFY (run-event-bridge.ts), against a real server and
 * a real second process (testing/bridge-peer.ts): its events reach this process's bus within a second, in
 * order, complete and once; an iteration too large for a notification arrives whole through the stored step;
 * after the listener's connection is terminated it reconnects and a progress stream fills the gap from the
 * stored steps; a cancel request published here reaches the other process. Needs DNO_TEST_POSTGRES_URL
 * (skipped otherwise); the payload encoding and the SQLite case are tested without it.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createThrowawayPostgres, type ThrowawayPostgres } from "../db/testing/throwaway-postgres";
import { exampleWorkflows } from "@/nodes";
import { createDbClient, type DbClient } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import { type ServiceContext, SYSTEM, userActor } from "../services/context";
import { listRunSteps } from "../services/runs/list-run-steps";
import type { StepMetrics } from "../services/runs/run-views";
import { startRun } from "../services/runs/start-run";
import { createTestUser } from "../services/test-database";
import { createWorkflow } from "../services/workflows/create-workflow";
import {
  encodeRunEventNotification,
  MAX_NOTIFY_BYTES,
  type RunEventBridge,
  type RunEventDelivery,
  startRunEventBridge,
  stopRunEventBridge,
} from "./run-event-bridge";
import { publishRunEvent, type RunEvent, subscribeRunEvents } from "./run-events";
import { type RunProgressEvent, watchRun } from "./watch-run";

const serverUrl = process.env.DNO_TEST_POSTGRES_URL;
const header = { o: "origin", s: 1, t: 0 };

function metrics(iteration: number, rewardCount = 1): StepMetrics {
  const rewards: Record<string, number> = {};
  for (let index = 0; index < rewardCount; index++) rewards[`reward-${index}`] = iteration + index / 1000;
  return { iteration, rewards, guards: {}, pr: 0.5, objective: iteration, gradNorm: 1, ms: { forward: 3 } };
}

describe("notification payloads", () => {
  it("sends an event that fits as itself", () => {
    const event: RunEvent = { type: "cancel-requested", runId: "run-1" };
    expect(JSON.parse(encodeRunEventNotification(event, header) ?? "")).toEqual({ ...header, e: event });
  });

  it("sends a pointer for an iteration too large, and a status without its long error", () => {
    const big: RunEvent = {
      type: "iteration",
      runId: "run-1",
      step: { iteration: 7, metrics: metrics(7, 600), imageArtifactId: "a1", elapsedMs: 10 },
      iterationsPlanned: 20,
      etaMs: 130,
    };
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_NOTIFY_BYTES);
    const payload = encodeRunEventNotification(big, header) ?? "";
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_NOTIFY_BYTES);
    expect(JSON.parse(payload)).toEqual({
      ...header,
      p: { type: "iteration", runId: "run-1", iteration: 7, iterationsPlanned: 20, etaMs: 130 },
    });
    const failed: RunEvent = {
      type: "status",
      runId: "run-1",
      status: "failed",
      error: "x".repeat(9000),
      errorNodeId: "n1",
    };
    expect(JSON.parse(encodeRunEventNotification(failed, header) ?? "")).toEqual({
      ...header,
      p: { type: "status", runId: "run-1", status: "failed", errorNodeId: "n1" },
    });
  });

  it("shortens a long log line (multi-byte text) to the limit", () => {
    const event: RunEvent = {
      type: "log",
      runId: "r",
      level: "info",
      message: 'é"'.repeat(5000),
      nodeId: null,
    };
    const payload = encodeRunEventNotification(event, header) ?? "";
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_NOTIFY_BYTES);
    expect(Buffer.byteLength(payload)).toBeGreaterThan(MAX_NOTIFY_BYTES - 8);
    const sent = JSON.parse(payload) as { e: { message: string } };
    expect(sent.e.message.endsWith("…")).toBe(true);
    expect(event.message.startsWith(sent.e.message.slice(0, -1))).toBe(true);
  });

  it("starts no bridge on SQLite (the in-process bus and the child's IPC suffice)", () => {
    expect(startRunEventBridge({ databaseUrl: "file:./data/never-opened.db" })).toBeNull();
  });
});

/** A second process on the bridge (testing/bridge-peer.ts). */
class Peer {
  private readonly child: ChildProcessWithoutNullStreams;
  readonly messages: Record<string, unknown>[] = [];
  private readonly waiters: (() => void)[] = [];

  constructor(databaseUrl: string) {
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(__dirname, "testing", "bridge-peer.ts")],
      { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ["pipe", "pipe", "pipe"] },
    );
    this.child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    readline.createInterface({ input: this.child.stdout }).on("line", (line) => {
      try {
        this.messages.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        return;
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  async waitFor(
    predicate: (message: Record<string, unknown>) => boolean,
    timeoutMs = 20_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`The peer did not answer in time: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  send(command: Record<string, unknown>): void {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.send({ exit: true });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.skipIf(!serverUrl)("the run-event bridge across processes (PostgreSQL)", () => {
  let database: ThrowawayPostgres;
  let url: string;
  let db: DbClient;
  let ctx: ServiceContext;
  let bridge: RunEventBridge;
  let peer: Peer;
  const deliveries: RunEventDelivery[] = [];

  async function newRun(): Promise<string> {
    const example = exampleWorkflows[0];
    if (!example) throw new Error("no example");
    const workflow = await createWorkflow(ctx, {
      name: `Bridge ${randomUUID()}`,
      document: example.document,
    });
    const { run } = await startRun(ctx, { workflowId: workflow.id, versionId: workflow.headVersion.id });
    await db.run.update({ where: { id: run.id }, data: { status: "running", workerId: "peer" } });
    return run.id;
  }

  /** Stored the way a worker stores it (the bridge test is about events, not the step-writing rules). */
  async function storeStep(runId: string, iteration: number, rewardCount = 1): Promise<void> {
    await db.runStep.create({
      data: {
        runId,
        iteration,
        metrics: JSON.stringify(metrics(iteration, rewardCount)),
        elapsedMs: (iteration + 1) * 10,
      },
    });
  }

  beforeAll(async () => {
    database = await createThrowawayPostgres(serverUrl ?? "");
    url = database.url;
    db = createDbClient(url);
    await ensureDatabaseReady({ databaseUrl: url, db, seed: false });
    const owner = await createTestUser(db, { name: "Owner", email: "owner@bridge.test", role: "owner" });
    ctx = { db, actor: userActor(owner.id, "owner") };
    // A long first reconnect delay, so the reconnect test can publish while this process is not listening.
    const started = startRunEventBridge({ databaseUrl: url, db, reconnectMs: { initial: 1500, max: 1500 } });
    if (!started) throw new Error("no bridge on PostgreSQL");
    bridge = started;
    bridge.onDelivery((delivery) => deliveries.push(delivery));
    expect(await bridge.waitUntilConnected()).toBe(true);
    peer = new Peer(url);
  }, 90_000);

  afterAll(async () => {
    await peer?.stop();
    await stopRunEventBridge();
    await db?.$disconnect();
    await database?.drop();
  });

  function deliveredIterations(runId: string): number[] {
    return deliveries.flatMap((delivery) =>
      delivery.event.runId === runId && delivery.event.type === "iteration"
        ? [delivery.event.step.iteration]
        : [],
    );
  }

  /** Resolves once the peer has handled every command sent so far (it answers each in order). */
  async function peerCaughtUp(): Promise<void> {
    const before = peer.messages.length;
    peer.send({});
    await peer.waitFor((message) => "done" in message && peer.messages.indexOf(message) >= before, 60_000);
  }

  it("delivers another process's events within a second, in order, complete, once, never echoing its own", async () => {
    await peerCaughtUp();
    const runId = `log-run-${randomUUID()}`;
    const seen: RunEvent[] = [];
    const unsubscribe = subscribeRunEvents(runId, (event) => seen.push(event));
    const count = 200;
    for (let index = 0; index < count; index++) {
      peer.send({ publish: { type: "log", runId, level: "info", message: `line ${index}`, nodeId: null } });
    }
    await waitUntil(() => seen.length >= count, 10_000, "the peer's events");
    // Anything extra (a duplicate) would arrive right behind.
    await new Promise((resolve) => setTimeout(resolve, 300));
    unsubscribe();
    expect(seen.map((event) => (event.type === "log" ? event.message : event.type))).toEqual(
      Array.from({ length: count }, (_, index) => `line ${index}`),
    );
    const latencies = deliveries
      .filter((delivery) => delivery.event.runId === runId)
      .map((delivery) => delivery.emittedAt - delivery.sentAt);
    expect(latencies).toHaveLength(count);
    expect(Math.max(...latencies)).toBeLessThan(1000);

    // This process's own event is emitted here once (locally), not again when its notification returns.
    const own: RunEvent[] = [];
    const ownRun = `own-run-${randomUUID()}`;
    const stop = subscribeRunEvents(ownRun, (event) => own.push(event));
    publishRunEvent({ type: "log", runId: ownRun, level: "info", message: "mine", nodeId: null });
    // The peer publishes after it: once its event is here, ours has come back too (if it were to).
    peer.send({ publish: { type: "log", runId: ownRun, level: "info", message: "theirs", nodeId: null } });
    await waitUntil(() => own.length >= 2, 5000, "the peer's event");
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop();
    expect(own.map((event) => (event.type === "log" ? event.message : ""))).toEqual(["mine", "theirs"]);
  }, 60_000);

  it("sends an iteration too large for a notification by pointer; it arrives whole, in order", async () => {
    await peerCaughtUp();
    const runId = await newRun();
    await storeStep(runId, 0, 600);
    await storeStep(runId, 1);
    const seen: RunEvent[] = [];
    const unsubscribe = subscribeRunEvents(runId, (event) => seen.push(event));
    peer.send({ publishStep: { runId, iteration: 0, planned: 5 } });
    peer.send({ publishStep: { runId, iteration: 1, planned: 5 } });
    await waitUntil(() => seen.length >= 2, 10_000, "both iterations");
    unsubscribe();
    const { steps } = await listRunSteps({ db, actor: SYSTEM }, { runId });
    expect(JSON.stringify(steps[0]).length).toBeGreaterThan(MAX_NOTIFY_BYTES);
    expect(seen).toEqual([
      { type: "iteration", runId, step: steps[0], iterationsPlanned: 5, etaMs: null },
      { type: "iteration", runId, step: steps[1], iterationsPlanned: 5, etaMs: null },
    ]);
    const byPointer = deliveries.filter((delivery) => delivery.event.runId === runId).map((d) => d.byPointer);
    expect(byPointer).toEqual([true, false]);
  }, 60_000);

  it("carries a cancel request to the process holding the run within a second", async () => {
    await peerCaughtUp();
    const runId = `cancel-run-${randomUUID()}`;
    const sentAt = Date.now();
    publishRunEvent({ type: "cancel-requested", runId });
    const answer = await peer.waitFor((message) => message.cancel === runId, 5000);
    expect(Number(answer.at) - sentAt).toBeLessThan(1000);
  }, 30_000);

  it("reconnects after its connection is terminated; the progress stream fills the gap from the stored steps", async () => {
    await peerCaughtUp();
    const runId = await newRun();
    const streamed: RunProgressEvent[] = [];
    // No polling: only bridge events (and the catch-up a gap triggers) move this stream.
    const watching = (async () => {
      for await (const { event } of watchRun(ctx, { runId, pollMs: 60_000, recheckMs: 60_000 })) {
        streamed.push(event);
      }
    })();
    await waitUntil(() => streamed.length > 0, 5000, "the stream's first catch-up");
    await storeStep(runId, 0);
    peer.send({ publishStep: { runId, iteration: 0, planned: 6 } });
    await waitUntil(
      () => streamed.some((event) => event.type === "iteration") && deliveredIterations(runId).length === 1,
      5000,
      "iteration 0",
    );

    const connections = bridge.connectionCount;
    const pid = bridge.backendPid();
    expect(pid).not.toBeNull();
    await database.admin.query("SELECT pg_terminate_backend($1)", [pid]);
    await waitUntil(() => bridge.state !== "connected", 5000, "the bridge to notice");
    // Published while this process is not listening: lost to its bus, but stored.
    for (const iteration of [1, 2, 3]) {
      await storeStep(runId, iteration);
      peer.send({ publishStep: { runId, iteration, planned: 6 } });
    }
    await peerCaughtUp();
    expect(await bridge.waitUntilConnected(10_000)).toBe(true);
    expect(bridge.connectionCount).toBe(connections + 1);

    for (const iteration of [4, 5]) {
      await storeStep(runId, iteration);
      const before = Date.now();
      peer.send({ publishStep: { runId, iteration, planned: 6 } });
      await waitUntil(
        () => streamed.some((event) => event.type === "iteration" && event.step.iteration === iteration),
        1000,
        `iteration ${iteration} live`,
      );
      expect(Date.now() - before).toBeLessThan(1000);
    }
    await db.run.update({ where: { id: runId }, data: { status: "succeeded", finishedAt: new Date() } });
    peer.send({
      publish: { type: "status", runId, status: "succeeded", error: null, errorNodeId: null },
    });
    await watching;
    const iterations = streamed.flatMap((event) =>
      event.type === "iteration" ? [event.step.iteration] : [],
    );
    expect(iterations).toEqual([0, 1, 2, 3, 4, 5]);
    expect(streamed.at(-1)).toMatchObject({ type: "status", run: { status: "succeeded" } });
    // The bridge itself never saw 1–3: the stream got them from the database.
    expect(deliveredIterations(runId)).toEqual([0, 4, 5]);
  }, 60_000);

  it("lets a stopping process's last events leave before it exits", async () => {
    await peerCaughtUp();
    const runId = `last-words-${randomUUID()}`;
    const seen: RunEvent[] = [];
    const unsubscribe = subscribeRunEvents(runId, (event) => seen.push(event));
    for (let index = 0; index < 50; index++) {
      peer.send({ publish: { type: "log", runId, level: "info", message: `bye ${index}`, nodeId: null } });
    }
    await peer.stop();
    await waitUntil(() => seen.length >= 50, 5000, "the last events");
    unsubscribe();
    expect(seen).toHaveLength(50);
  }, 30_000);

  it("drops a connection that stops answering without closing, and listens again", async () => {
    // A TCP relay to the server whose current connections can be frozen (a partition: nothing in, nothing out).
    const target = new URL(url);
    const frozen = new Set<net.Socket>();
    const pairs: net.Socket[][] = [];
    const relay = net.createServer((incoming) => {
      const outgoing = net.connect(Number(target.port || 5432), target.hostname);
      pairs.push([incoming, outgoing]);
      const pipe = (from: net.Socket, to: net.Socket) =>
        from.on("data", (chunk) => {
          if (!frozen.has(from)) to.write(chunk);
        });
      pipe(incoming, outgoing);
      pipe(outgoing, incoming);
      for (const socket of [incoming, outgoing]) {
        socket.on("error", () => undefined);
        socket.on("close", () => {
          incoming.destroy();
          outgoing.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const relayed = new URL(url);
    relayed.host = `127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
    const sender = new pg.Client({ connectionString: url });
    await sender.connect();
    try {
      await stopRunEventBridge();
      const through = startRunEventBridge({
        databaseUrl: relayed.toString(),
        db,
        reconnectMs: { initial: 50, max: 200 },
        ping: { everyMs: 100, timeoutMs: 300 },
      });
      expect(await through?.waitUntilConnected()).toBe(true);
      const runId = `frozen-${randomUUID()}`;
      const seen: string[] = [];
      const unsubscribe = subscribeRunEvents(runId, (event) => {
        if (event.type === "log") seen.push(event.message);
      });
      const notify = (s: number, message: string) =>
        sender.query("SELECT pg_notify($1, $2)", [
          "dno_run_events",
          JSON.stringify({
            o: "elsewhere",
            s,
            t: Date.now(),
            e: { type: "log", runId, level: "info", message, nodeId: null },
          }),
        ]);
      await notify(1, "before");
      await waitUntil(() => seen.length === 1, 5000, "the first event");

      for (const pair of pairs) for (const socket of pair) frozen.add(socket);
      await waitUntil(() => through?.state !== "connected", 3000, "the frozen connection to be dropped");
      expect(await through?.waitUntilConnected(5000)).toBe(true);
      expect(through?.connectionCount).toBe(2);
      await notify(2, "after");
      await waitUntil(() => seen.length === 2, 5000, "an event on the new connection");
      unsubscribe();
      expect(seen).toEqual(["before", "after"]);
    } finally {
      await stopRunEventBridge();
      await sender.end();
      for (const pair of pairs) for (const socket of pair) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  }, 30_000);
});
