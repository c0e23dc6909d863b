/**
 * Comments, end to end through the services on a real SQLite database: threads pinned to nodes, parameters,
 * runs, iterations; replies; resolve/reopen; edit/delete own only; access by role; mentions and replies as
 * notifications; unread markers; bodies kept verbatim (they are drawn as text, see comment-body.test.tsx).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { AppError } from "../../errors";
import { createCaller } from "../../api/root";
import { ANONYMOUS, type ServiceContext, userActor } from "../context";
import { createTestDatabase, createTestUser, type TestDatabase } from "../test-database";
import { createProposal } from "../proposals/create-proposal";
import { createWorkflow } from "../workflows/create-workflow";
import { addComment } from "./add-comment";
import { countComments } from "./count-comments";
import { countUnreadComments } from "./count-unread-comments";
import { deleteComment } from "./delete-comment";
import { editComment } from "./edit-comment";
import { listComments } from "./list-comments";
import { markCommentsRead } from "./mark-comments-read";
import { resolveComment } from "./resolve-comment";

let database: TestDatabase;
let owner: ServiceContext;
let editor: ServiceContext;
let reviewer: ServiceContext;
let viewer: ServiceContext;
let stranger: ServiceContext;
let workflowId: string;
let runId: string;

async function person(name: string, email: string, role?: "owner" | "editor" | "reviewer" | "viewer") {
  const user = await createTestUser(database.db, { name, email });
  if (role && role !== "owner") {
    await database.db.workflowShare.create({ data: { workflowId, userId: user.id, role } });
  }
  return { db: database.db, actor: userActor(user.id, "user") } satisfies ServiceContext;
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

async function commentRows() {
  return database.db.comment.findMany({ orderBy: { id: "asc" } });
}

beforeAll(async () => {
  database = await createTestDatabase();
  owner = database.ctx;
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const workflow = await createWorkflow(owner, { name: "Cats", document: example.document });
  workflowId = workflow.id;
  editor = await person("Ed Itor", "ed@example.test", "editor");
  reviewer = await person("Ana Lopez", "ana@example.test", "reviewer");
  viewer = await person("Vic", "vic@example.test", "viewer");
  stranger = await person("Stan", "stan@example.test");
  const run = await database.db.run.create({
    data: {
      workflowId,
      workflowVersionId: workflow.headVersion.id,
      ownerId: owner.actor.userId,
      status: "succeeded",
      config: "{}",
    },
  });
  runId = run.id;
  await database.db.runStep.create({ data: { runId, iteration: 3, metrics: "{}", elapsedMs: 1 } });
});
afterAll(async () => {
  await database.close();
});

describe("threads and replies", () => {
  it("pins threads to a node, a parameter, a run and an iteration, named in the editor's words", async () => {
    const onNode = await addComment(reviewer, {
      workflowId,
      target: { kind: "node", nodeId: "guard-1" },
      body: "Is this guard too weak?",
    });
    const onParam = await addComment(reviewer, {
      workflowId,
      target: { kind: "param", nodeId: "guard-1", paramKey: "gamma" },
      body: "Try 5 here.",
    });
    await addComment(editor, { workflowId, target: { kind: "run", runId }, body: "Nice run." });
    await addComment(editor, {
      workflowId,
      target: { kind: "iteration", runId, iteration: 3 },
      body: "Reward hacking starts here.",
    });
    expect(onNode.target).toEqual({ kind: "node", nodeId: "guard-1" });
    expect(onParam.author.name).toBe("Ana Lopez");

    const threads = await listComments(viewer, { workflowId });
    const labels = threads.map((thread) => thread.targetLabel);
    expect(labels).toContain("Probability regularization");
    expect(labels).toContain("Probability regularization › Strength (γ)");
    expect(labels).toContain("the run of version 1");
    expect(labels).toContain("iteration 3 of the run of version 1");
    const onRun = await listComments(viewer, { workflowId, runId });
    expect(onRun.map((thread) => thread.body).sort()).toEqual(["Nice run.", "Reward hacking starts here."]);
  });

  it("refuses targets that are not part of the workflow, with a sentence", async () => {
    const missingNode = await refusal(
      addComment(reviewer, { workflowId, target: { kind: "node", nodeId: "nope" }, body: "x" }),
    );
    expect(missingNode.message).toMatch(/Node “nope” is not in the saved version of “Cats”/);
    const missingParam = await refusal(
      addComment(reviewer, {
        workflowId,
        target: { kind: "param", nodeId: "guard-1", paramKey: "volume" },
        body: "x",
      }),
    );
    expect(missingParam.message).toBe("Probability regularization has no parameter “volume”.");
    const missingIteration = await refusal(
      addComment(reviewer, { workflowId, target: { kind: "iteration", runId, iteration: 99 }, body: "x" }),
    );
    expect(missingIteration.message).toMatch(/has no iteration 99/);
    const blank = await refusal(
      addComment(reviewer, { workflowId, target: { kind: "workflow" }, body: "   " }),
    );
    expect(blank.code).toBe("VALIDATION");
    const long = await refusal(
      addComment(reviewer, { workflowId, target: { kind: "workflow" }, body: "a".repeat(4001) }),
    );
    expect(long.message).toMatch(/at most 4000 characters; this one has 4001/);
  });

  it("keeps replies in their thread; a reply to a reply joins the same thread", async () => {
    const root = await addComment(owner, {
      workflowId,
      target: { kind: "node", nodeId: "reward-1" },
      body: "Q?",
    });
    const first = await addComment(reviewer, { workflowId, parentId: root.id, body: "A." });
    const second = await addComment(editor, { workflowId, parentId: first.id, body: "B." });
    expect(second.parentId).toBe(root.id);
    expect(second.target).toEqual({ kind: "node", nodeId: "reward-1" });
    const [thread] = await listComments(viewer, { workflowId, nodeId: "reward-1" });
    expect(thread?.replies.map((reply) => reply.body)).toEqual(["A.", "B."]);
  });

  it("lets anyone with comment access resolve and reopen a thread; open threads count on the badges", async () => {
    const root = await addComment(owner, {
      workflowId,
      target: { kind: "node", nodeId: "sampler-1" },
      body: "Steps?",
    });
    const before = await countComments(viewer, { workflowId });
    expect(before.byNode["sampler-1"]).toBe(1);
    const resolved = await resolveComment(reviewer, { commentId: root.id, resolved: true });
    expect(resolved.resolved).toBe(true);
    expect(resolved.resolvedBy?.name).toBe("Ana Lopez");
    expect((await countComments(viewer, { workflowId })).byNode["sampler-1"]).toBeUndefined();
    const reopened = await resolveComment(editor, { commentId: root.id, resolved: false });
    expect(reopened.resolved).toBe(false);
    const counts = await countComments(viewer, { workflowId });
    expect(counts.byNode["sampler-1"]).toBe(1);
    expect(counts.byParam["guard-1:gamma"]).toBe(1);
    // The node's badge counts its parameters' threads too.
    expect(counts.byNode["guard-1"]).toBe(2);
    expect(counts.byIteration[`${runId}:3`]).toBe(1);
    expect(counts.byRun[runId]).toBe(2);
    await refusal(resolveComment(viewer, { commentId: root.id, resolved: true }));
  });
});

describe("proposals", () => {
  it("keeps a proposal's discussion on the proposal; a mention links to the proposal's page", async () => {
    const head = await database.db.workflow.findUniqueOrThrow({ where: { id: workflowId } });
    const proposal = await createProposal(reviewer, {
      workflowId,
      versionId: head.headVersionId as string,
      title: "Stronger guard",
    });
    await addComment(reviewer, {
      workflowId,
      target: { kind: "proposal", proposalId: proposal.id },
      body: "@Ed Itor what do you think?",
    });
    const threads = await listComments(viewer, { workflowId, proposalId: proposal.id });
    expect(threads.map((thread) => [thread.targetLabel, thread.body])).toEqual([
      ["a proposal", "@Ed Itor what do you think?"],
    ]);
    const mention = await database.db.notification.findFirstOrThrow({
      where: { userId: editor.actor.userId as string, kind: "mention" },
    });
    expect(JSON.parse(mention.data).href).toMatch(
      new RegExp(`^/workflows/${workflowId}/proposals/${proposal.id}\\?comment=`),
    );
    const other = await refusal(
      addComment(reviewer, { workflowId, target: { kind: "proposal", proposalId: "not-here" }, body: "x" }),
    );
    expect(other.code).toBe("NOT_FOUND");
  });
});

describe("edit and delete own only", () => {
  it("edits and deletes one's own comment; deleted shows as deleted and keeps its replies", async () => {
    const mine = await addComment(reviewer, { workflowId, target: { kind: "workflow" }, body: "Frist" });
    const reply = await addComment(owner, { workflowId, parentId: mine.id, body: "typo?" });
    const edited = await editComment(reviewer, { commentId: mine.id, body: "First" });
    expect(edited).toMatchObject({ body: "First", edited: true });
    const deleted = await deleteComment(reviewer, { commentId: mine.id });
    expect(deleted).toMatchObject({ deleted: true, body: "" });
    const thread = (await listComments(viewer, { workflowId })).find((candidate) => candidate.id === mine.id);
    expect(thread?.deleted).toBe(true);
    expect(thread?.replies.map((candidate) => candidate.id)).toEqual([reply.id]);
    // Replying to a deleted thread starts nothing.
    await refusal(addComment(owner, { workflowId, parentId: mine.id, body: "again" }));
  });

  it("refuses editing or deleting someone else's comment, even for the owner, and changes nothing", async () => {
    const theirs = await addComment(reviewer, { workflowId, target: { kind: "workflow" }, body: "Mine." });
    const before = await commentRows();
    const edit = await refusal(editComment(owner, { commentId: theirs.id, body: "Owner's now" }));
    expect(edit).toMatchObject({ code: "FORBIDDEN", message: "You can only edit your own comments." });
    const remove = await refusal(deleteComment(editor, { commentId: theirs.id }));
    expect(remove).toMatchObject({ code: "FORBIDDEN", message: "You can only delete your own comments." });
    expect(await commentRows()).toEqual(before);
  });
});

describe("access", () => {
  it("lets a viewer read but not comment, and says which role they need", async () => {
    const before = await commentRows();
    const refused = await refusal(
      addComment(viewer, { workflowId, target: { kind: "workflow" }, body: "Can I?" }),
    );
    expect(refused.code).toBe("FORBIDDEN");
    expect(refused.message).toMatch(/You need reviewer access to comment on this workflow/);
    expect(await commentRows()).toEqual(before);
    expect((await listComments(viewer, { workflowId })).length).toBeGreaterThan(0);
    expect((await countComments(viewer, { workflowId })).canComment).toBe(false);
    expect((await countComments(reviewer, { workflowId })).canComment).toBe(true);
  });

  it("answers a non-member NOT_FOUND for the workflow and for a comment id, exactly as for unknown ids", async () => {
    const [thread] = await listComments(viewer, { workflowId });
    const before = await commentRows();
    expect((await refusal(listComments(stranger, { workflowId }))).code).toBe("NOT_FOUND");
    expect((await refusal(countComments(stranger, { workflowId }))).code).toBe("NOT_FOUND");
    const add = await refusal(addComment(stranger, { workflowId, target: { kind: "workflow" }, body: "hi" }));
    expect(add.code).toBe("NOT_FOUND");
    const resolve = await refusal(resolveComment(stranger, { commentId: thread!.id, resolved: true }));
    const unknown = await refusal(resolveComment(stranger, { commentId: "no-such-comment", resolved: true }));
    expect(resolve.code).toBe("NOT_FOUND");
    expect(resolve.message).toBe(unknown.message.replace("no-such-comment", thread!.id));
    expect(await countUnreadComments(stranger, { workflowIds: [workflowId] })).toEqual({});
    expect(await commentRows()).toEqual(before);
  });

  it("asks anonymous visitors to sign in (through the tRPC procedures)", async () => {
    const caller = createCaller({ db: database.db, actor: ANONYMOUS });
    await expect(caller.comments.list({ workflowId })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(
      caller.comments.add({ workflowId, target: { kind: "workflow" }, body: "hi" }),
    ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("rejects an over-long body at the procedure's input, with a sentence", async () => {
    const caller = createCaller(reviewer);
    await expect(
      caller.comments.add({ workflowId, target: { kind: "workflow" }, body: "x".repeat(4001) }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/at most 4000 characters/),
    });
  });
});

describe("bodies are text", () => {
  it("stores HTML and script bodies verbatim (never sanitized into something else, never parsed)", async () => {
    const bodies = ["<script>alert('x')</script>", '<img src=x onerror="alert(1)">', "a & b < c"];
    for (const body of bodies) {
      await addComment(reviewer, { workflowId, target: { kind: "node", nodeId: "noise-1" }, body });
    }
    const threads = await listComments(owner, { workflowId, nodeId: "noise-1" });
    expect(threads.map((thread) => thread.body).sort()).toEqual([...bodies].sort());
  });
});

describe("notifications", () => {
  it("notifies people mentioned by name or email who can open the workflow, once, and not the author", async () => {
    await createTestUser(database.db, { name: "Outsider", email: "out@example.test" });
    await database.db.notification.deleteMany({});
    await addComment(editor, {
      workflowId,
      target: { kind: "param", nodeId: "guard-1", paramKey: "gamma" },
      body: "@Ana Lopez and @vic@example.test, see this. @Outsider @Ed Itor @Ana Lopez",
    });
    const created = await database.db.notification.findMany({ where: { kind: "mention" } });
    const recipients = created.map((row) => row.userId).sort();
    expect(recipients).toEqual([reviewer.actor.userId, viewer.actor.userId].sort());
    const data = JSON.parse(created[0]!.data) as Record<string, unknown>;
    expect(data).toMatchObject({
      workflowName: "Cats",
      target: "Probability regularization › Strength (γ)",
      authorName: "Ed Itor",
    });
    expect(String(data.href)).toMatch(new RegExp(`^/workflows/${workflowId}\\?comment=`));
  });

  it("notifies a thread's participants of a reply (not the replier)", async () => {
    const root = await addComment(reviewer, {
      workflowId,
      target: { kind: "node", nodeId: "prompt-1" },
      body: "?",
    });
    await addComment(editor, { workflowId, parentId: root.id, body: "!" });
    await database.db.notification.deleteMany({});
    await addComment(owner, { workflowId, parentId: root.id, body: "Agreed." });
    const replies = await database.db.notification.findMany({ where: { kind: "reply" } });
    expect(replies.map((row) => row.userId).sort()).toEqual(
      [reviewer.actor.userId, editor.actor.userId].sort(),
    );
  });
});

describe("unread markers", () => {
  it("counts others' comments since the person last opened the panel, per workflow; opening clears it", async () => {
    await markCommentsRead(viewer, { workflowId });
    expect((await countComments(viewer, { workflowId })).unread).toBe(0);
    expect(await countUnreadComments(viewer, { workflowIds: [workflowId] })).toEqual({});
    await addComment(reviewer, { workflowId, target: { kind: "workflow" }, body: "New 1" });
    const deleted = await addComment(reviewer, { workflowId, target: { kind: "workflow" }, body: "New 2" });
    await deleteComment(reviewer, { commentId: deleted.id });
    await addComment(owner, { workflowId, target: { kind: "workflow" }, body: "New 3" });
    expect((await countComments(viewer, { workflowId })).unread).toBe(2);
    expect(await countUnreadComments(viewer, { workflowIds: [workflowId] })).toEqual({ [workflowId]: 2 });
    // One's own comments are never unread.
    expect((await countComments(reviewer, { workflowId })).unread).toBeGreaterThan(0);
    await markCommentsRead(reviewer, { workflowId });
    await addComment(reviewer, { workflowId, target: { kind: "workflow" }, body: "Mine" });
    expect((await countComments(reviewer, { workflowId })).unread).toBe(0);
    await markCommentsRead(viewer, { workflowId });
    expect((await countComments(viewer, { workflowId })).unread).toBe(0);
  });
});
