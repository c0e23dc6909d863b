/**
 * The runs the chaos test and `npm run bench:cluster` submit, the accounts that submit them, and the two
 * views of a run's results that must agree bit for bit: what the cluster stored (RunStep rows + image
 * artifacts) and what the executor computes for the same document in this one process.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import type { DbClient } from "../../db/client";
import { createExecutorEnvironment } from "../../executor/environment";
import { encodePng } from "../../models/image";
import { createOnnxRuntime } from "../../onnx/runtime";
import { createApiToken } from "../../services/accounts/create-api-token";
import { userActor } from "../../services/context";
import { createTestUser } from "../../services/test-database";
import { createDnoExecutor } from "../../worker/dno-executor";
import type { IterationMetricsRecord } from "../../worker/executor-port";
import type { ApiClient } from "./api-client";

export interface ClusterAccount {
  userId: string;
  email: string;
  /** A personal API token (Bearer) for the web server's API. */
  token: string;
}

/** Accounts made the way the service tests make them, each with a personal API token. */
export async function createClusterAccounts(db: DbClient, count: number): Promise<ClusterAccount[]> {
  const accounts: ClusterAccount[] = [];
  for (let index = 1; index <= count; index++) {
    const user = await createTestUser(db, {
      name: `Cluster User ${index}`,
      email: `cluster-${index}@example.test`,
      role: index === 1 ? "owner" : "user",
    });
    const { token } = await createApiToken(
      { db, actor: userActor(user.id, index === 1 ? "owner" : "user") },
      { name: "cluster test" },
    );
    accounts.push({ userId: user.id, email: user.email, token });
  }
  return accounts;
}

/** The bundled tiny model's "Brighten with a guard" example, shortened, with its own noise seed. */
export function smallRunDocument(options: {
  seed: number;
  steps: number;
  iterations: number;
}): GraphDocument {
  const example = exampleWorkflows.find((entry) => entry.slug === "brighten-with-a-guard");
  if (!example) throw new Error("The example “Brighten with a guard” is missing.");
  const document = structuredClone(example.document);
  for (const node of document.nodes) {
    if (node.type === "noise") node.params = { ...node.params, seed: options.seed };
    if (node.type === "sampler") node.params = { ...node.params, steps: options.steps };
    if (node.type === "optimizer") node.params = { ...node.params, iterations: options.iterations };
  }
  return document;
}

/** Saves the document as a new workflow of the token's account and queues a run of it; the run's id. */
export async function submitRun(client: ApiClient, name: string, document: GraphDocument): Promise<string> {
  const workflow = await client.mutate<{ id: string; headVersion: { id: string } }>("workflow.create", {
    name,
    document,
  });
  const started = await client.mutate<{ run: { id: string } }>("run.start", {
    workflowId: workflow.id,
    versionId: workflow.headVersion.id,
  });
  return started.run.id;
}

/** One iteration's result, without its timings (which differ between any two executions). */
export interface StepFingerprint {
  iteration: number;
  metrics: Omit<IterationMetricsRecord, "ms">;
  imageSha256: string;
}

function withoutTimings(metrics: IterationMetricsRecord): Omit<IterationMetricsRecord, "ms"> {
  const { ms: _ms, ...rest } = metrics;
  // As stored: through JSON (the RunStep row keeps metrics as JSON text).
  return JSON.parse(JSON.stringify(rest));
}

/** What the cluster stored for a run, in iteration order (every RunStep row, duplicates included). */
export async function storedSteps(db: DbClient, runId: string): Promise<StepFingerprint[]> {
  const rows = await db.runStep.findMany({
    where: { runId },
    orderBy: { iteration: "asc" },
    include: { imageArtifact: { select: { sha256: true } } },
  });
  return rows.map((row) => ({
    iteration: row.iteration,
    metrics: withoutTimings(JSON.parse(row.metrics) as IterationMetricsRecord),
    imageSha256: row.imageArtifact?.sha256 ?? "(no image)",
  }));
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Executes documents one after another in THIS process with the worker's executor (one ONNX Runtime
 * thread, as the cluster's workers run), uninterrupted: the reference a cluster run must equal.
 */
export async function referenceRuns(documents: GraphDocument[]): Promise<StepFingerprint[][]> {
  const vjpCacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-cluster-reference-"));
  try {
    const environment = createExecutorEnvironment({
      onnx: await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 }),
      vjpCacheDir,
    });
    const executor = createDnoExecutor({ environment: () => environment });
    const results: StepFingerprint[][] = [];
    for (const [index, document] of documents.entries()) {
      const steps: StepFingerprint[] = [];
      await executor.execute({
        runId: `reference-${index}`,
        document,
        signal: new AbortController().signal,
        resume: null,
        async onIteration(report) {
          steps.push({
            iteration: report.metrics.iteration,
            metrics: withoutTimings(report.metrics),
            imageSha256: sha256(encodePng(report.image)),
          });
        },
      });
      results.push(steps);
    }
    return results;
  } finally {
    fs.rmSync(vjpCacheDir, { recursive: true, force: true });
  }
}
