/**
 * Run events across processes on PostgreSQL: every event published in this process (progress, logs,
 * statuses, cancel requests) is sent with NOTIFY on one channel, and the other processes' notifications are
 * emitted on this process's bus (run-events.ts) once: this process's own are skipped by origin, repeats by
 * a per-origin sequence number. One dedicated `pg` connection per process does both LISTEN and NOTIFY, so
 * this process's events leave in the order they were published.
 *
 * PostgreSQL refuses payloads of 8000 bytes or more: an iteration too large to send travels as a pointer
 * (run id + iteration) that receivers read back from the stored step; a status with a long error as its
 * status alone (the error is read from the run row); a long log line is shortened.
 *
 * A dropped connection is reopened with backoff; events published meanwhile wait in a bounded outbox. What
 * other processes sent while this one was not listening is lost to the bus, and progress subscribers fetch
 * it from the stored steps (watch-run.ts catches up on a gap in the iterations and polls while silent).
 * SQLite (embedded mode) needs none of this: the bus and the worker child's IPC are enough.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { z } from "zod";
import { type DbClient, getDb } from "../db/client";
import { type DatabaseProvider, resolveDatabaseTarget } from "../db/database-url";
import { databaseUrl } from "../env";
import { type ServiceContext, SYSTEM } from "../services/context";
import { listRunSteps } from "../services/runs/list-run-steps";
import { emitRemoteRunEvent, type RunEvent, setRunEventForwarder } from "./run-events";

export const RUN_EVENT_CHANNEL = "dno_run_events";
/** PostgreSQL's limit is "shorter than 8000 bytes" (in the server encoding; we send UTF-8 JSON). */
export const MAX_NOTIFY_BYTES = 7999;
/** Events kept while disconnected; beyond this the oldest are dropped (subscribers catch up from the rows). */
const MAX_OUTBOX = 10_000;
/** Notifications per statement (≤ 8 KB each; PostgreSQL's queue holds gigabytes). */
const MAX_BATCH = 200;

type IterationEvent = Extract<RunEvent, { type: "iteration" }>;

/** What a notification carries instead of an event that does not fit. */
type RunEventPointer =
  | {
      type: "iteration";
      runId: string;
      iteration: number;
      iterationsPlanned: number;
      etaMs: number | null;
    }
  | { type: "status"; runId: string; status: string; errorNodeId: string | null };

/** o: the sending bridge, s: its sequence number (from 1), t: when it was published (ms since the epoch). */
type Envelope = { o: string; s: number; t: number } & ({ e: RunEvent } | { p: RunEventPointer });

// Notifications come from our own processes, but a malformed one must not take the listener down.
const envelopeSchema = z.object({
  o: z.string().min(1).max(100),
  s: z.number().int().min(1),
  t: z.number(),
  e: z
    .looseObject({
      type: z.enum(["status", "iteration", "log", "cancel-requested"]),
      runId: z.string().min(1),
    })
    .optional(),
  p: z.looseObject({ type: z.enum(["iteration", "status"]), runId: z.string().min(1) }).optional(),
});

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/**
 * The notification payload for an event (JSON), within `maxBytes`: the event itself when it fits, else a
 * pointer or a shortened log line; null when not even that fits (an absurd run id).
 */
export function encodeRunEventNotification(
  event: RunEvent,
  header: { o: string; s: number; t: number },
  maxBytes: number = MAX_NOTIFY_BYTES,
): string | null {
  const whole = JSON.stringify({ ...header, e: event } satisfies Envelope);
  if (byteLength(whole) <= maxBytes) return whole;
  let smaller: string;
  if (event.type === "iteration") {
    const p: RunEventPointer = {
      type: "iteration",
      runId: event.runId,
      iteration: event.step.iteration,
      iterationsPlanned: event.iterationsPlanned,
      etaMs: event.etaMs,
    };
    smaller = JSON.stringify({ ...header, p } satisfies Envelope);
  } else if (event.type === "status") {
    const p: RunEventPointer = {
      type: "status",
      runId: event.runId,
      status: event.status,
      errorNodeId: event.errorNodeId,
    };
    smaller = JSON.stringify({ ...header, p } satisfies Envelope);
  } else if (event.type === "log") {
    // Log lines are stored with the run (the run page reads them there); the live copy may be shortened.
    const shortened = (length: number) =>
      JSON.stringify({ ...header, e: { ...event, message: `${event.message.slice(0, length)}…` } });
    let low = 0;
    let high = event.message.length;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (byteLength(shortened(middle)) <= maxBytes) low = middle;
      else high = middle - 1;
    }
    smaller = shortened(low);
  } else {
    smaller = whole;
  }
  return byteLength(smaller) <= maxBytes ? smaller : null;
}

/** One delivered notification, for measuring latency (bench:cluster) and for tests. */
export interface RunEventDelivery {
  event: RunEvent;
  /** The sender's clock when it published the event. */
  sentAt: number;
  /** This process's clock when the notification arrived (before any pointer was resolved). */
  receivedAt: number;
  /** This process's clock when the event was emitted on the bus. */
  emittedAt: number;
  byPointer: boolean;
}

export type RunEventBridgeState = "connecting" | "connected" | "reconnecting" | "stopped";

export interface RunEventBridgeOptions {
  /** A postgresql:// URL (default DATABASE_URL). */
  databaseUrl?: string;
  /** Where pointers are resolved (default the app's client). */
  db?: DbClient;
  /** Reconnect delays: doubles from `initial` up to `max`, with ±20 % jitter. */
  reconnectMs?: { initial: number; max: number };
  /**
   * A connection that stops answering without closing (a network partition, a frozen server) is noticed by
   * a `SELECT 1` every `everyMs` that must answer within `timeoutMs` (default every 15 s, within 5 s).
   */
  ping?: { everyMs: number; timeoutMs: number };
  channel?: string;
}

export class RunEventBridge {
  /** Identifies this process's notifications (skipped when they come back). */
  readonly origin = randomUUID();
  private readonly url: string;
  private readonly ctx: ServiceContext;
  private readonly backoff: { initial: number; max: number };
  private readonly channel: string;
  private client: pg.Client | null = null;
  private currentState: RunEventBridgeState = "connecting";
  private sequence = 0;
  private readonly outbox: string[] = [];
  private dropped = 0;
  private sending = false;
  private readonly lastSequence = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private failures = 0;
  private readonly ping: { everyMs: number; timeoutMs: number };
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly connectedWaiters: (() => void)[] = [];
  private readonly deliveryListeners = new Set<(delivery: RunEventDelivery) => void>();
  private connections = 0;

  constructor(options: RunEventBridgeOptions & { databaseUrl: string }) {
    this.url = options.databaseUrl;
    this.ctx = { db: options.db ?? getDb(), actor: SYSTEM };
    this.backoff = options.reconnectMs ?? { initial: 250, max: 10_000 };
    this.ping = options.ping ?? { everyMs: 15_000, timeoutMs: 5000 };
    this.channel = options.channel ?? RUN_EVENT_CHANNEL;
    if (!/^[a-z_][a-z0-9_]*$/.test(this.channel)) throw new Error(`Bad channel name “${this.channel}”.`);
  }

  get state(): RunEventBridgeState {
    return this.currentState;
  }

  private isStopped(): boolean {
    return this.currentState === "stopped";
  }

  /** The listener's server process id while connected (tests terminate it to simulate a dropped link). */
  backendPid(): number | null {
    const client = this.client as (pg.Client & { processID?: number }) | null;
    return this.currentState === "connected" ? (client?.processID ?? null) : null;
  }

  /** How many times the listener connected (1 after the first connection; more after reconnects). */
  get connectionCount(): number {
    return this.connections;
  }

  start(): void {
    setRunEventForwarder((event) => this.forward(event));
    void this.connect();
    this.pingTimer = setInterval(() => void this.checkConnection(), this.ping.everyMs);
    this.pingTimer.unref();
  }

  /** A connection that does not answer in time is dropped and reopened like a closed one. */
  private async checkConnection(): Promise<void> {
    const client = this.client;
    if (!client || this.currentState !== "connected") return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = await Promise.race([
      client.query("SELECT 1").then(
        () => true,
        () => true, // a failed query comes with the connection's own error
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.ping.timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!answered) {
      this.lost(client, new Error(`no answer within ${this.ping.timeoutMs} ms`));
    }
  }

  /**
   * Stops listening and sending. Events still queued (a stopping worker's last statuses) get up to
   * `drainMs` to leave first, including a reconnect in progress.
   */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.drainMs ?? 2000);
    while (this.outbox.length > 0 && !this.isStopped() && Date.now() < deadline) {
      void this.flush();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.currentState = "stopped";
    setRunEventForwarder(null);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    const client = this.client;
    this.client = null;
    for (const wake of this.connectedWaiters.splice(0)) wake();
    await client?.end().catch(() => undefined);
    await this.chain;
  }

  /** Resolves once connected (true), or false after `timeoutMs` or when stopped. */
  waitUntilConnected(timeoutMs = 10_000): Promise<boolean> {
    if (this.currentState === "connected") return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.connectedWaiters.push(() => {
        clearTimeout(timer);
        resolve(this.currentState === "connected");
      });
    });
  }

  /** Calls `listener` for each event from another process as it is emitted here. */
  onDelivery(listener: (delivery: RunEventDelivery) => void): () => void {
    this.deliveryListeners.add(listener);
    return () => this.deliveryListeners.delete(listener);
  }

  private forward(event: RunEvent): void {
    if (this.currentState === "stopped") return;
    this.sequence += 1;
    const payload = encodeRunEventNotification(event, { o: this.origin, s: this.sequence, t: Date.now() });
    if (payload === null) {
      console.warn(`Run events: an event of run ${event.runId} is too large to send to other processes.`);
      return;
    }
    this.outbox.push(payload);
    if (this.outbox.length > MAX_OUTBOX) {
      this.outbox.shift();
      if (this.dropped++ === 0) {
        console.warn("Run events: too many events waiting for the database; dropping the oldest.");
      }
    }
    void this.flush();
  }

  /**
   * Sends the outbox in order. Whatever queued up while the previous batch was on its way goes in one
   * statement (one transaction: its notifications arrive together, in array order); a commit costs
   * milliseconds, so one NOTIFY per event would fall behind a burst. What fails stays queued for the next
   * connection (sent again; receivers drop what did arrive, by sequence number).
   */
  private async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.outbox.length > 0 && this.currentState === "connected" && this.client) {
        const batch = this.outbox.slice(0, MAX_BATCH);
        const client = this.client;
        try {
          await client.query(
            "SELECT pg_notify($1, payload) FROM unnest($2::text[]) WITH ORDINALITY AS sent(payload, n) ORDER BY n",
            [this.channel, batch],
          );
          // The outbox only grows at its end meanwhile (or loses its oldest when overfull).
          const sent = this.outbox.indexOf(batch[batch.length - 1] ?? "");
          this.outbox.splice(0, sent + 1);
        } catch {
          // The connection's error handler reconnects; the next connection flushes.
          break;
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private async connect(): Promise<void> {
    if (this.currentState === "stopped") return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: "dno-run-events",
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // A server that accepts the socket but never answers must not hold the reconnect forever.
      connectionTimeoutMillis: Math.max(5000, this.ping.timeoutMs),
    });
    this.client = client;
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, null));
    client.on("notification", (message) => {
      if (message.channel === this.channel && message.payload) this.receive(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    // Stopped or replaced while connecting (the state may have changed during the awaits).
    if (this.client !== client || this.isStopped()) {
      await client.end().catch(() => undefined);
      return;
    }
    if (this.connections > 0) console.log("Run events: listening to the database again.");
    this.connections += 1;
    this.currentState = "connected";
    this.failures = 0;
    for (const wake of this.connectedWaiters.splice(0)) wake();
    void this.flush();
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = null;
    // A closed client may still report errors; they are expected now.
    client.on("error", () => undefined);
    client.end().catch(() => undefined);
    // A connection that stopped answering would keep its socket (and a NOTIFY in flight) forever: close it
    // hard, so that query fails and the outbox goes out on the next connection.
    (
      client as unknown as { connection?: { stream?: { destroy?: () => void } } }
    ).connection?.stream?.destroy?.();
    if (this.currentState === "stopped") return;
    const delay =
      Math.min(this.backoff.max, this.backoff.initial * 2 ** this.failures) * (0.8 + 0.4 * Math.random());
    if (this.failures === 0) {
      const reason = error instanceof Error ? error.message : "the connection closed";
      console.warn(
        `Run events: the database connection for live progress was lost (${reason}); reconnecting. Open run pages catch up from the stored iterations.`,
      );
    }
    this.failures += 1;
    this.currentState = "reconnecting";
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
  }

  private receive(payload: string): void {
    const receivedAt = Date.now();
    let parsed: z.infer<typeof envelopeSchema>;
    try {
      parsed = envelopeSchema.parse(JSON.parse(payload));
    } catch {
      return;
    }
    if (parsed.o === this.origin) return;
    if (parsed.s <= (this.lastSequence.get(parsed.o) ?? 0)) return;
    this.lastSequence.set(parsed.o, parsed.s);
    if (this.lastSequence.size > 10_000) {
      // Origins of processes long gone; the newest stay (Map keeps insertion order).
      const oldest = this.lastSequence.keys().next().value;
      if (oldest !== undefined) this.lastSequence.delete(oldest);
    }
    const envelope = parsed as unknown as Envelope;
    // In order: an event after a pointer waits until the pointer is resolved.
    this.chain = this.chain
      .then(() => this.deliver(envelope, receivedAt))
      .catch((error: unknown) => {
        console.error("Run events: delivering an event from another process failed:", error);
      });
  }

  private async deliver(envelope: Envelope, receivedAt: number): Promise<void> {
    const event = "e" in envelope ? envelope.e : await this.resolve(envelope.p);
    if (!event) return;
    emitRemoteRunEvent(event);
    if (this.deliveryListeners.size === 0) return;
    const delivery: RunEventDelivery = {
      event,
      sentAt: envelope.t,
      receivedAt,
      emittedAt: Date.now(),
      byPointer: !("e" in envelope),
    };
    for (const listener of this.deliveryListeners) listener(delivery);
  }

  /** The event a pointer stands for, from the stored rows; null when they are gone (a deleted run). */
  private async resolve(pointer: RunEventPointer): Promise<RunEvent | null> {
    try {
      if (pointer.type === "iteration") {
        const { steps } = await listRunSteps(this.ctx, {
          runId: pointer.runId,
          afterIteration: pointer.iteration - 1,
          limit: 1,
        });
        const step = steps[0];
        if (!step || step.iteration !== pointer.iteration) return null;
        const event: IterationEvent = {
          type: "iteration",
          runId: pointer.runId,
          step,
          iterationsPlanned: pointer.iterationsPlanned,
          etaMs: pointer.etaMs,
        };
        return event;
      }
      const { run } = await listRunSteps(this.ctx, {
        runId: pointer.runId,
        afterIteration: Number.MAX_SAFE_INTEGER,
        limit: 1,
      });
      return {
        type: "status",
        runId: pointer.runId,
        status: run.status,
        error: run.error,
        errorNodeId: pointer.errorNodeId,
      };
    } catch {
      // Subscribers catch up from the rows anyway (a gap or a status change triggers it).
      return null;
    }
  }
}

interface BridgeHolder {
  dnoRunEventBridge?: RunEventBridge;
}

/**
 * Starts this process's bridge once (web server: instrumentation.ts; worker processes: main.ts) when the
 * database is PostgreSQL; null on SQLite, where the in-process bus and the worker child's IPC suffice.
 */
export function startRunEventBridge(options: RunEventBridgeOptions = {}): RunEventBridge | null {
  const url = options.databaseUrl ?? databaseUrl();
  if (resolveDatabaseTarget(url).provider !== "postgresql") return null;
  const holder = globalThis as BridgeHolder;
  if (!holder.dnoRunEventBridge || holder.dnoRunEventBridge.state === "stopped") {
    const bridge = new RunEventBridge({ ...options, databaseUrl: url });
    holder.dnoRunEventBridge = bridge;
    bridge.start();
  }
  return holder.dnoRunEventBridge;
}

/** This process's bridge, or null when none was started (SQLite). */
export function runEventBridge(): RunEventBridge | null {
  const bridge = (globalThis as BridgeHolder).dnoRunEventBridge;
  return bridge && bridge.state !== "stopped" ? bridge : null;
}

/** Stops this process's bridge after its queued events left (at most `drainMs`, default 2 s). */
export async function stopRunEventBridge(options: { drainMs?: number } = {}): Promise<void> {
  const holder = globalThis as BridgeHolder;
  const bridge = holder.dnoRunEventBridge;
  holder.dnoRunEventBridge = undefined;
  await bridge?.stop(options);
}

/** The bridge's part of a health check: needed on PostgreSQL only ("not-used" on SQLite). */
export type RunEventBridgeCheck = "connected" | "connecting" | "reconnecting" | "not-started" | "not-used";

export function runEventBridgeCheck(provider: DatabaseProvider): RunEventBridgeCheck {
  if (provider !== "postgresql") return "not-used";
  const bridge = runEventBridge();
  if (!bridge) return "not-started";
  return bridge.state === "stopped" ? "not-started" : bridge.state;
}
