/**
 * Submits a run: the workflow version to execute (an existing one, or the editor's current document, which
 * is saved as the next version first), checked against the registry and the planner, frozen into the Run's
 * config together with the model hashes and seeds, and queued. The Run row IS the job: the worker claims it.
 */
import type { GraphDocument } from "@/nodes";
import { recordActivity } from "../activity/record-activity";
import { ownerIdFor } from "../authorization";
import type { ServiceContext } from "../context";
import { appendVersion } from "../workflows/append-version";
import { assertImageSizesDrawable } from "../workflows/check-image-sizes";
import { assertReferencesExist } from "../workflows/check-references";
import { readStoredDocument, readSubmittedDocument, sameDocument } from "../workflows/graph-document";
import { loadWorkflow } from "../workflows/load-workflow";
import { loadVersionOfWorkflow } from "../versions/load-version";
import { hashModels } from "./model-hashes";
import type { PriorityBand } from "./queue-order";
import { fairRankFor, priorityBandFor } from "./queue-placement";
import { assertRunnable } from "./run-plan-check";
import { type RunConfig, type RunSummary, toRunSummary } from "./run-views";

export type StartRunInput = {
  workflowId: string;
  revisesRunId?: string;
  /** Iterations between checkpoints (1 = every iteration). */
  checkpointEvery?: number;
  /** Queue band; "high" is for admins (queue-placement.ts). Default normal. */
  priority?: PriorityBand;
} & (
  | { versionId: string }
  | {
      /** The editor's unsaved document; saved as a new version on top of baseVersionId unless equal to it. */
      document: unknown;
      baseVersionId: string;
      message?: string;
    }
);

export interface StartRunResult {
  run: RunSummary;
  /** Set when the document was saved as a new version for this run. */
  savedVersionId: string | null;
}

export async function startRun(ctx: ServiceContext, input: StartRunInput): Promise<StartRunResult> {
  const workflow = await loadWorkflow(ctx, input.workflowId, "run");
  // Before anything is saved: a refused priority must not leave a version behind.
  priorityBandFor(ctx.actor, input.priority);
  let versionId: string;
  let document: GraphDocument;
  let savedVersionId: string | null = null;
  if ("versionId" in input) {
    const version = await loadVersionOfWorkflow(ctx, workflow.id, input.versionId);
    versionId = version.id;
    document = readStoredDocument(version.document, `version ${version.number} of “${workflow.name}”`);
    assertRunnable(document, `“${workflow.name}” version ${version.number} cannot run`);
    await assertReferencesExist(ctx, document, `“${workflow.name}” version ${version.number} cannot run`);
    assertImageSizesDrawable(document, `“${workflow.name}” version ${version.number} cannot run`);
  } else {
    document = readSubmittedDocument(input.document);
    // Check before saving: a workflow that cannot run must not leave a version behind.
    assertRunnable(document, `“${workflow.name}” cannot run`);
    await assertReferencesExist(ctx, document, `“${workflow.name}” cannot run`);
    assertImageSizesDrawable(document, `“${workflow.name}” cannot run`);
    const base = await loadVersionOfWorkflow(ctx, workflow.id, input.baseVersionId);
    const unchanged =
      workflow.headVersionId === base.id &&
      sameDocument(
        readStoredDocument(base.document, `version ${base.number} of “${workflow.name}”`),
        document,
      );
    if (unchanged) {
      versionId = base.id;
    } else {
      const saved = await appendVersion(ctx, {
        workflowId: workflow.id,
        baseVersionId: input.baseVersionId,
        document,
        message: input.message?.trim() || "Saved to run",
      });
      versionId = saved.version.id;
      savedVersionId = versionId;
    }
  }
  const run = await enqueueRun(ctx, {
    workflowId: workflow.id,
    what: `“${workflow.name}” cannot run`,
    versionId,
    document,
    revisesRunId: input.revisesRunId ?? null,
    proposalId: null,
    checkpointEvery: input.checkpointEvery ?? 1,
    ...(input.priority ? { priority: input.priority } : {}),
  });
  await recordActivity(ctx, {
    workflowId: workflow.id,
    kind: "ran",
    data: { runId: run.id, versionNumber: run.versionNumber, saved: savedVersionId !== null },
  });
  return { run, savedVersionId };
}

/**
 * Freezes a checked document into a queued Run of `versionId`. Shared with proposal runs, whose document is
 * the proposal's (not the version's) and which carry `proposalId`. The run joins the queue in the asked band
 * (normal unless said) at its owner's next round-robin turn (queue-placement.ts).
 */
export async function enqueueRun(
  ctx: ServiceContext,
  input: {
    workflowId: string;
    /** How a refusal starts: "“Brighten” cannot run". */
    what: string;
    versionId: string;
    document: GraphDocument;
    revisesRunId: string | null;
    proposalId: string | null;
    checkpointEvery: number;
    priority?: PriorityBand;
  },
): Promise<RunSummary> {
  const { document, versionId } = input;
  const priority = priorityBandFor(ctx.actor, input.priority);
  const plan = assertRunnable(document, input.what);
  // startRun checked before saving; proposals' documents are checked here.
  assertImageSizesDrawable(document, input.what);
  const version = await ctx.db.workflowVersion.findUniqueOrThrow({ where: { id: versionId } });
  const config: RunConfig = {
    document,
    versionNumber: version.number,
    optimizerNodeId: plan.optimizer.id,
    iterations: plan.optimizer.params.iterations,
    checkpointEvery: input.checkpointEvery,
    submittedAt: new Date().toISOString(),
  };
  const modelHashes = await hashModels([plan.sampler.params.model]);
  const ownerId = ownerIdFor(ctx.actor);
  const fairRank = await fairRankFor(ctx.db, { ownerId, priority });
  const run = await ctx.db.run.create({
    data: {
      workflowId: input.workflowId,
      workflowVersionId: versionId,
      ownerId,
      status: "queued",
      priority,
      fairRank,
      config: JSON.stringify(config),
      revisesRunId: input.revisesRunId,
      proposalId: input.proposalId,
      modelHashes: JSON.stringify(modelHashes),
      seeds: JSON.stringify(plan.seeds),
      iterationsPlanned: plan.optimizer.params.iterations,
    },
    include: { workflowVersion: { select: { number: true } } },
  });
  const bandWords = priority === 0 ? "" : `, ${input.priority} priority`;
  await ctx.db.runLogEntry.create({
    data: {
      runId: run.id,
      message: input.proposalId
        ? `Queued a proposal on version ${version.number} (${plan.optimizer.params.iterations} iterations${bandWords}).`
        : `Queued version ${version.number} (${plan.optimizer.params.iterations} iterations${bandWords}).`,
    },
  });
  return toRunSummary(run);
}
