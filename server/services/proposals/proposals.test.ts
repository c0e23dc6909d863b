import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import type { ServiceContext } from "../context";
import { userActor } from "../context";
import { diffVersions } from "../diff/diff-versions";
import { cancelRun } from "../runs/cancel-run";
import { readRunConfig } from "../runs/run-views";
import { startRun } from "../runs/start-run";
import { createTestDatabase, createTestUser, type TestDatabase } from "../test-database";
import { listVersions } from "../versions/list-versions";
import { createWorkflow } from "../workflows/create-workflow";
import { saveWorkflow } from "../workflows/save-workflow";
import { acceptProposal } from "./accept-proposal";
import { createProposal } from "./create-proposal";
import { declineProposal } from "./decline-proposal";
import { getProposal } from "./get-proposal";
import { listProposals } from "./list-proposals";
import { runProposal } from "./run-proposal";
import { updateProposal } from "./update-proposal";
import { withdrawProposal } from "./withdraw-proposal";

let database: TestDatabase;
let owner: ServiceContext;
let editor: ServiceContext;
let reviewer: ServiceContext;
let viewer: ServiceContext;
let stranger: ServiceContext;

beforeAll(async () => {
  database = await createTestDatabase();
  owner = database.ctx;
  const make = async (name: string) => {
    const user = await createTestUser(database.db, { name, email: `${name.toLowerCase()}@example.test` });
    return { db: database.db, actor: userActor(user.id, "user") };
  };
  editor = await make("Edda");
  reviewer = await make("Ben");
  viewer = await make("Vera");
  stranger = await make("Stan");
});
afterAll(async () => {
  await database.close();
});

function example(): GraphDocument {
  const found = exampleWorkflows.find((workflow) => workflow.slug === "brighten-with-a-guard");
  if (!found) throw new Error("example missing");
  return structuredClone(found.document);
}

function withParam(document: GraphDocument, nodeId: string, param: string, value: unknown): GraphDocument {
  const next = structuredClone(document);
  const node = next.nodes.find((candidate) => candidate.id === nodeId);
  if (!node) throw new Error(`no node ${nodeId}`);
  node.params[param] = value;
  return next;
}

/** A workflow owned by the test owner, shared with the editor, reviewer and viewer. */
async function sharedWorkflow() {
  const workflow = await createWorkflow(owner, { name: "Review me", document: example() });
  for (const [ctx, role] of [
    [editor, "editor"],
    [reviewer, "reviewer"],
    [viewer, "viewer"],
  ] as const) {
    await database.db.workflowShare.create({
      data: { workflowId: workflow.id, userId: ctx.actor.userId ?? "", role },
    });
  }
  return workflow;
}

async function versionCount(workflowId: string) {
  return database.db.workflowVersion.count({ where: { workflowId } });
}

describe("proposals", () => {
  it("a reviewer proposes a stronger guard and runs it: no version is made, the run carries the proposal", async () => {
    const workflow = await sharedWorkflow();
    const proposal = await createProposal(reviewer, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
      title: "Stronger guard",
      document: withParam(example(), "guard-1", "gamma", 5),
    });
    expect(proposal).toMatchObject({
      status: "open",
      baseVersionNumber: 1,
      authorName: "Ben",
      title: "Stronger guard",
    });
    const run = await runProposal(reviewer, { proposalId: proposal.id });
    expect(run).toMatchObject({ proposalId: proposal.id, workflowVersionId: workflow.headVersion.id });
    expect(await versionCount(workflow.id)).toBe(1);
    const row = await database.db.run.findUniqueOrThrow({ where: { id: run.id } });
    const guard = readRunConfig(row).document.nodes.find((node) => node.id === "guard-1");
    expect(guard?.params.gamma).toBe(5);

    const detail = await getProposal(owner, { proposalId: proposal.id });
    expect(detail.diff.changes.map((change) => change.text)).toEqual([
      "Probability regularization › Strength (γ): 1 → 5",
    ]);
    expect(detail.runs.map((item) => item.id)).toEqual([run.id]);
    expect(detail.can).toEqual({ edit: false, run: true, decide: true, withdraw: false });
    expect((await getProposal(reviewer, { proposalId: proposal.id })).can).toEqual({
      edit: true,
      run: true,
      decide: false,
      withdraw: true,
    });

    const activity = await database.db.activity.findMany({
      where: { workflowId: workflow.id },
      orderBy: { createdAt: "asc" },
    });
    expect(activity.map((line) => line.kind)).toEqual(["proposed", "proposal-ran"]);
    const notified = await database.db.notification.findMany({
      where: { workflowId: workflow.id, kind: "proposal" },
    });
    expect(notified.map((item) => item.userId).sort()).toEqual(
      [owner.actor.userId, editor.actor.userId].sort(),
    );
  });

  it("a proposal from a run starts from what the run executed, with the review table's changes", async () => {
    const workflow = await sharedWorkflow();
    const { run } = await startRun(owner, { workflowId: workflow.id, versionId: workflow.headVersion.id });
    const proposal = await createProposal(reviewer, {
      runId: run.id,
      changes: [{ nodeId: "guard-1", param: "gamma", value: 3 }],
    });
    expect(proposal).toMatchObject({ baseVersionId: workflow.headVersion.id, title: "Changes to version 1" });
    const proposalRun = await runProposal(reviewer, { proposalId: proposal.id, revisesRunId: run.id });
    const detail = await getProposal(reviewer, { proposalId: proposal.id });
    expect(detail.baseRun?.id).toBe(run.id);
    expect(detail.runs[0]?.id).toBe(proposalRun.id);
    // The reviewer may stop their own proposal's run, not the owner's run.
    await expect(cancelRun(reviewer, { runId: run.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(cancelRun(viewer, { runId: proposalRun.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await cancelRun(reviewer, { runId: proposalRun.id })).toMatchObject({ status: "cancelled" });
  });

  it("a viewer cannot propose, a stranger cannot even see, a reviewer cannot accept or decline", async () => {
    const workflow = await sharedWorkflow();
    const input = { workflowId: workflow.id, versionId: workflow.headVersion.id, document: example() };
    await expect(createProposal(viewer, input)).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/reviewer access/),
    });
    await expect(createProposal(stranger, input)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const proposal = await createProposal(reviewer, {
      ...input,
      document: withParam(example(), "guard-1", "gamma", 2),
    });
    await expect(getProposal(stranger, { proposalId: proposal.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(runProposal(viewer, { proposalId: proposal.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(acceptProposal(reviewer, { proposalId: proposal.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/editor access/),
    });
    await expect(declineProposal(reviewer, { proposalId: proposal.id, comment: "no" })).rejects.toMatchObject(
      { code: "FORBIDDEN" },
    );
    // Only its author changes or withdraws it.
    await expect(
      updateProposal(editor, { proposalId: proposal.id, document: example() }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/Only Ben/) });
    await expect(withdrawProposal(owner, { proposalId: proposal.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await versionCount(workflow.id)).toBe(1);
  });

  it("the owner accepts: the next version credits the reviewer and records who accepted", async () => {
    const workflow = await sharedWorkflow();
    const proposal = await createProposal(reviewer, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
      title: "Stronger guard",
      document: withParam(example(), "guard-1", "gamma", 5),
    });
    const accepted = await acceptProposal(owner, { proposalId: proposal.id });
    expect(accepted.merged).toBe(false);
    expect(accepted.version).toMatchObject({
      number: 2,
      authorId: reviewer.actor.userId,
      acceptedById: owner.actor.userId,
      proposalId: proposal.id,
      message: "Accepted proposal “Stronger guard” by Ben",
    });
    expect(accepted.proposal).toMatchObject({
      status: "accepted",
      acceptedVersionNumber: 2,
      decidedByName: "Test Owner",
    });
    const versions = await listVersions(viewer, { workflowId: workflow.id });
    expect(versions[0]).toMatchObject({
      number: 2,
      isHead: true,
      authorName: "Ben",
      acceptedByName: "Test Owner",
    });
    const diff = await diffVersions(viewer, {
      workflowId: workflow.id,
      fromVersionId: workflow.headVersion.id,
      toVersionId: accepted.version.id,
    });
    expect(diff.changes.map((change) => change.text)).toEqual([
      "Probability regularization › Strength (γ): 1 → 5",
    ]);
    const decided = await database.db.notification.findMany({
      where: { userId: reviewer.actor.userId ?? "", kind: "proposal-decided", workflowId: workflow.id },
    });
    expect(decided).toHaveLength(1);
    // Decided proposals stay as they are.
    await expect(acceptProposal(owner, { proposalId: proposal.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/was accepted/),
    });
    await expect(runProposal(reviewer, { proposalId: proposal.id })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(await versionCount(workflow.id)).toBe(2);
  });

  it("an editor declines with a comment (required); the author is told why", async () => {
    const workflow = await sharedWorkflow();
    const proposal = await createProposal(reviewer, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
      document: withParam(example(), "guard-1", "gamma", 50),
    });
    await expect(declineProposal(editor, { proposalId: proposal.id, comment: "  " })).rejects.toMatchObject({
      code: "VALIDATION",
    });
    const declined = await declineProposal(editor, {
      proposalId: proposal.id,
      comment: "Too strong: flat images.",
    });
    expect(declined).toMatchObject({
      status: "declined",
      decisionComment: "Too strong: flat images.",
      decidedByName: "Edda",
    });
    const note = await database.db.notification.findFirstOrThrow({
      where: { userId: reviewer.actor.userId ?? "", kind: "proposal-decided", workflowId: workflow.id },
    });
    expect(JSON.parse(note.data)).toMatchObject({
      decision: "declined",
      comment: "Too strong: flat images.",
    });
    expect(await versionCount(workflow.id)).toBe(1);
    const listed = await listProposals(viewer, { workflowId: workflow.id });
    expect(listed.role).toBe("viewer");
    expect(listed.proposals.map((item) => item.status)).toEqual(["declined"]);
  });

  it("a head saved since the base: clean changes are replayed on it, clashing ones are refused", async () => {
    const workflow = await sharedWorkflow();
    const proposal = await createProposal(reviewer, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
      document: withParam(example(), "guard-1", "gamma", 5),
    });
    const clashing = await createProposal(reviewer, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
      document: withParam(example(), "optimizer-1", "iterations", 10),
    });
    const saved = await saveWorkflow(owner, {
      workflowId: workflow.id,
      baseVersionId: workflow.headVersion.id,
      document: withParam(example(), "optimizer-1", "iterations", 40),
      message: "More iterations",
    });
    const detail = await getProposal(owner, { proposalId: clashing.id });
    expect(detail.head).toMatchObject({ moved: true, number: 2 });
    expect(detail.head.conflicts[0]).toMatch(/Optimizer 1 › Iterations/);

    const accepted = await acceptProposal(owner, { proposalId: proposal.id });
    expect(accepted).toMatchObject({ merged: true, version: { number: 3 } });
    const head = await diffVersions(owner, {
      workflowId: workflow.id,
      fromVersionId: saved.version.id,
      toVersionId: accepted.version.id,
    });
    expect(head.changes.map((change) => change.text)).toEqual([
      "Probability regularization › Strength (γ): 1 → 5",
    ]);

    await expect(acceptProposal(owner, { proposalId: clashing.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/Ask Ben to update the proposal from version 3/),
    });
    expect(await versionCount(workflow.id)).toBe(3);
    expect((await getProposal(owner, { proposalId: clashing.id })).status).toBe("open");

    // The author brings the proposal onto the head; then it applies.
    await updateProposal(reviewer, {
      proposalId: clashing.id,
      baseVersionId: accepted.version.id,
      document: withParam(withParam(example(), "guard-1", "gamma", 5), "optimizer-1", "iterations", 10),
    });
    const second = await acceptProposal(editor, { proposalId: clashing.id });
    expect(second).toMatchObject({
      merged: false,
      version: { number: 4, acceptedById: editor.actor.userId },
    });
  });

  it("an invalid document is refused with issues located on the node, and nothing is stored", async () => {
    const workflow = await sharedWorkflow();
    const before = await database.db.proposal.count();
    await expect(
      createProposal(reviewer, {
        workflowId: workflow.id,
        versionId: workflow.headVersion.id,
        document: withParam(example(), "guard-1", "gamma", 5000),
      }),
    ).rejects.toMatchObject({
      code: "VALIDATION",
      message: expect.stringMatching(
        /Probability regularization › Strength \(γ\) must be between 0 and 1000/,
      ),
      details: { issues: [expect.objectContaining({ nodeId: "guard-1", param: "gamma" })] },
    });
    await expect(
      createProposal(reviewer, {
        workflowId: workflow.id,
        versionId: workflow.headVersion.id,
        changes: [{ nodeId: "sampler-1", param: "model", value: "no-such-model" }],
      }),
    ).rejects.toMatchObject({
      code: "VALIDATION",
      details: { issues: [expect.objectContaining({ nodeId: "sampler-1" })] },
    });
    expect(await database.db.proposal.count()).toBe(before);

    const proposal = await createProposal(reviewer, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
      document: withParam(example(), "guard-1", "gamma", 5),
    });
    await expect(
      updateProposal(reviewer, {
        proposalId: proposal.id,
        document: withParam(example(), "guard-1", "gamma", -1),
      }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
    const detail = await getProposal(reviewer, { proposalId: proposal.id });
    expect(detail.document.nodes.find((node) => node.id === "guard-1")?.params.gamma).toBe(5);
    await withdrawProposal(reviewer, { proposalId: proposal.id });
    expect((await getProposal(owner, { proposalId: proposal.id })).status).toBe("withdrawn");
  });
});
