/** A checkpoint is resumed from only while it still matches what the run wrote: damaged or missing → GONE. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { testDatabaseWithDataDir } from "../test-database-with-data-dir";
import { createWorkflow } from "../workflows/create-workflow";
import { artifactRoot } from "./artifact-store";
import { claimNextRun } from "./claim-next-run";
import { readCheckpoint } from "./read-checkpoint";
import { recordRunStep } from "./record-run-step";
import { startRun } from "./start-run";

const fixture = testDatabaseWithDataDir("dno-checkpoint-");

async function checkpointed(bytes: Uint8Array): Promise<{ artifactId: string; file: string }> {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const workflow = await createWorkflow(fixture.database.ctx, {
    name: "Checkpoints",
    document: example.document,
  });
  await startRun(fixture.database.ctx, {
    workflowId: workflow.id,
    versionId: workflow.headVersion.id,
    checkpointEvery: 1,
  });
  const claimed = await claimNextRun(fixture.database.ctx, { workerId: "w", device: "cpu" });
  if (!claimed) throw new Error("nothing to claim");
  const recorded = await recordRunStep(fixture.database.ctx, {
    runId: claimed.id,
    workerId: "w",
    metrics: { iteration: 0, rewards: {}, guards: {}, pr: null, objective: 0, gradNorm: 0, ms: {} },
    elapsedMs: 1,
    image: null,
    checkpoint: bytes,
  });
  const artifactId = recorded.checkpointArtifactId ?? "";
  const artifact = await fixture.database.db.artifact.findUniqueOrThrow({ where: { id: artifactId } });
  return { artifactId, file: path.join(artifactRoot(), artifact.storageKey) };
}

describe("readCheckpoint", () => {
  it("returns intact bytes, refuses damaged and missing ones with a sentence", async () => {
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => i);
    const intact = await checkpointed(bytes);
    expect(Array.from(await readCheckpoint(fixture.database.ctx, { artifactId: intact.artifactId }))).toEqual(
      Array.from(bytes),
    );

    const damaged = await checkpointed(bytes);
    const changed = Uint8Array.from(bytes);
    changed[10] = 99;
    fs.writeFileSync(damaged.file, changed);
    await expect(
      readCheckpoint(fixture.database.ctx, { artifactId: damaged.artifactId }),
    ).rejects.toMatchObject({
      code: "GONE",
      message:
        "The run's checkpoint file is damaged, so the run cannot continue from it. Start the workflow again.",
    });

    const missing = await checkpointed(bytes);
    fs.rmSync(missing.file);
    await expect(
      readCheckpoint(fixture.database.ctx, { artifactId: missing.artifactId }),
    ).rejects.toMatchObject({
      code: "GONE",
      message:
        "The run's checkpoint file is missing from the data folder, so the run cannot continue from it. Start the workflow again.",
    });
  });
});
