/**
 * What a script does against a DNO Studio server with a personal API token: tRPC calls over HTTP
 * (superjson, as the app's client sends them) and the `run.progress` server-sent-events stream.
 */
import superjson from "superjson";
import type { RunProgressEvent } from "../../worker/watch-run";

export interface ApiClient {
  query<T>(procedure: string, input: unknown): Promise<T>;
  mutate<T>(procedure: string, input: unknown): Promise<T>;
}

export function apiClient(baseUrl: string, token: string): ApiClient {
  const call = async <T>(procedure: string, input: unknown, method: "GET" | "POST"): Promise<T> => {
    const body = JSON.stringify(superjson.serialize(input));
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const response =
      method === "GET"
        ? await fetch(`${baseUrl}/api/trpc/${procedure}?input=${encodeURIComponent(body)}`, { headers })
        : await fetch(`${baseUrl}/api/trpc/${procedure}`, { method, headers, body });
    const text = await response.text();
    let envelope: { result?: { data?: unknown }; error?: { json?: { message?: string } } };
    try {
      envelope = JSON.parse(text);
    } catch {
      throw new Error(`${procedure}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok || envelope.result?.data === undefined)
      throw new Error(`${procedure}: ${envelope.error?.json?.message ?? `HTTP ${response.status}`}`);
    return superjson.deserialize(envelope.result.data as Parameters<typeof superjson.deserialize>[0]) as T;
  };
  return {
    query: (procedure, input) => call(procedure, input, "GET"),
    mutate: (procedure, input) => call(procedure, input, "POST"),
  };
}

export interface ReceivedProgressEvent {
  /** Date.now() when this process read it. */
  receivedAt: number;
  event: RunProgressEvent;
}

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

/**
 * Follows one run's progress stream until the run has finished (or `signal` aborts), calling `onEvent` for
 * every event as it arrives. Resolves with all events received.
 */
export async function followProgress(
  baseUrl: string,
  token: string,
  runId: string,
  options: { signal?: AbortSignal; onEvent?: (received: ReceivedProgressEvent) => void } = {},
): Promise<ReceivedProgressEvent[]> {
  const input = encodeURIComponent(JSON.stringify(superjson.serialize({ runId })));
  const response = await fetch(`${baseUrl}/api/trpc/run.progress?input=${input}`, {
    headers: { accept: "text/event-stream", authorization: `Bearer ${token}` },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!response.ok || !response.body) throw new Error(`run.progress answered HTTP ${response.status}`);
  const received: ReceivedProgressEvent[] = [];
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return received;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split("\n");
        // tRPC's own events (connected, ping, return) carry an event name; data events do not.
        if (lines.some((line) => line.startsWith("event:"))) continue;
        const data = lines
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (!data) continue;
        const event = superjson.deserialize(JSON.parse(data)) as RunProgressEvent;
        const entry = { receivedAt: Date.now(), event };
        received.push(entry);
        options.onEvent?.(entry);
        if (event.type === "status" && FINISHED.has(event.run.status)) return received;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
