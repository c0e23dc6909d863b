/**
 * Headless use of a DNO Studio server: run a saved workflow's current version through the tRPC HTTP API
 * with a personal API token (`Authorization: Bearer dno_…`), then follow the run until it ends. The same
 * calls work from curl (see the README's "Headless use"). `scripts/dno.ts --server … --token …` uses this.
 */
export type Fetch = (request: Request) => Promise<Response>;

export interface RemoteRunOptions {
  server: string;
  token: string;
  workflowId: string;
  /** Follow the run until it ends (default true); false returns once it is queued. */
  wait?: boolean;
  pollMs?: number;
  fetch?: Fetch;
  onStatus?: (line: string) => void;
}

export interface RemoteRunResult {
  runId: string;
  status: string;
  workflowName: string;
  iterationsDone: number;
  bestReward: number | null;
  error: string | null;
}

export class RemoteError extends Error {
  override name = "RemoteError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const FINISHED = new Set(["succeeded", "failed", "cancelled", "interrupted"]);

interface TrpcEnvelope<T> {
  result?: { data?: { json?: T } };
  error?: { json?: { message?: string } };
}

async function call<T>(
  options: RemoteRunOptions,
  procedure: string,
  input: unknown,
  kind: "query" | "mutation",
): Promise<T> {
  const base = options.server.replace(/\/+$/, "");
  const headers = { authorization: `Bearer ${options.token}`, "content-type": "application/json" };
  const body = JSON.stringify({ json: input });
  const request =
    kind === "query"
      ? new Request(`${base}/api/trpc/${procedure}?input=${encodeURIComponent(body)}`, { headers })
      : new Request(`${base}/api/trpc/${procedure}`, { method: "POST", headers, body });
  const response = await (options.fetch ?? fetch)(request);
  const text = await response.text();
  let envelope: TrpcEnvelope<T>;
  try {
    envelope = JSON.parse(text) as TrpcEnvelope<T>;
  } catch {
    throw new RemoteError(
      `${base} answered ${procedure} with HTTP ${response.status}, not the DNO Studio API.`,
      response.status,
    );
  }
  if (!response.ok || envelope.result?.data === undefined) {
    const message = envelope.error?.json?.message ?? `HTTP ${response.status}`;
    const hint = response.status === 401 ? " Check the token (Settings › Personal API tokens)." : "";
    throw new RemoteError(`${procedure}: ${message}${hint}`, response.status);
  }
  return envelope.result.data.json as T;
}

export async function runSavedWorkflowRemotely(options: RemoteRunOptions): Promise<RemoteRunResult> {
  const workflow = await call<{ name: string; headVersion: { id: string; number: number } }>(
    options,
    "workflow.get",
    { workflowId: options.workflowId },
    "query",
  );
  options.onStatus?.(`Starting “${workflow.name}” version ${workflow.headVersion.number}…`);
  const { run: started } = await call<{ run: { id: string; status: string } }>(
    options,
    "run.start",
    { workflowId: options.workflowId, versionId: workflow.headVersion.id },
    "mutation",
  );
  let run: RemoteRunResult = {
    runId: started.id,
    status: started.status,
    workflowName: workflow.name,
    iterationsDone: 0,
    bestReward: null,
    error: null,
  };
  options.onStatus?.(`Run ${run.runId}: ${run.status}`);
  let lastLine = "";
  while (options.wait !== false && !FINISHED.has(run.status)) {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2000));
    const detail = await call<{
      status: string;
      iterationsDone: number;
      bestReward: number | null;
      error: string | null;
    }>(options, "run.get", { runId: run.runId }, "query");
    run = {
      ...run,
      status: detail.status,
      iterationsDone: detail.iterationsDone,
      bestReward: detail.bestReward,
      error: detail.error,
    };
    const line = `Run ${run.runId}: ${run.status}, ${run.iterationsDone} iterations done`;
    if (line !== lastLine) options.onStatus?.(line);
    lastLine = line;
  }
  return run;
}
