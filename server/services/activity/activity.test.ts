/**
 * The activity feed and run-finished notifications on a real SQLite database: the services that save, rename,
 * restore, delete, run and finish record readable lines with people's names; the feed is paged newest first
 * and needs view access; a finished run notifies the person who started it (never for the app's own runs).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { createCaller } from "../../api/root";
import { AppError } from "../../errors";
import { ANONYMOUS, SYSTEM, type ServiceContext, userActor } from "../context";
import { countUnreadNotifications } from "../notifications/count-unread-notifications";
import { describeNotification } from "../notifications/describe-notification";
import { listNotifications } from "../notifications/list-notifications";
import { markNotificationsRead } from "../notifications/mark-notifications-read";
import { finishRun } from "../runs/finish-run";
import { startRun } from "../runs/start-run";
import { createTestDatabase, createTestUser, type TestDatabase } from "../test-database";
import { restoreVersion } from "../versions/restore-version";
import { createWorkflow } from "../workflows/create-workflow";
import { deleteWorkflow } from "../workflows/delete-workflow";
import { renameWorkflow } from "../workflows/rename-workflow";
import { restoreWorkflow } from "../workflows/restore-workflow";
import { saveWorkflow } from "../workflows/save-workflow";
import { describeActivity } from "./describe-activity";
import { listActivity } from "./list-activity";

let database: TestDatabase;
let owner: ServiceContext;
let ana: ServiceContext;
let stranger: ServiceContext;
let workflowId: string;
let firstVersionId: string;

function example() {
  const found = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!found) throw new Error("the brighten example is missing");
  return structuredClone(found.document);
}

async function lines(ctx: ServiceContext = owner): Promise<string[]> {
  return (await listActivity(ctx, { workflowId, limit: 100 })).items.map((item) => item.line);
}

async function runningRun(ownerId: string | null, bestReward: number | null) {
  return database.db.run.create({
    data: {
      workflowId,
      workflowVersionId: firstVersionId,
      ownerId,
      status: "running",
      workerId: "worker-1",
      bestReward,
      config: "{}",
    },
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  owner = database.ctx;
  await database.db.user.update({ where: { id: owner.actor.userId as string }, data: { name: "Olga" } });
  const workflow = await createWorkflow(owner, { name: "Cats", document: example() });
  workflowId = workflow.id;
  firstVersionId = workflow.headVersion.id;
  const anaUser = await createTestUser(database.db, { name: "Ana", email: "ana@example.test" });
  await database.db.workflowShare.create({ data: { workflowId, userId: anaUser.id, role: "viewer" } });
  ana = { db: database.db, actor: userActor(anaUser.id, "user") };
  const strangerUser = await createTestUser(database.db, { name: "Stan", email: "stan@example.test" });
  stranger = { db: database.db, actor: userActor(strangerUser.id, "user") };
});
afterAll(async () => {
  await database.close();
});

describe("activity feed", () => {
  it("records saves, renames, restored versions, trash and restore with readable lines, newest first", async () => {
    const doc = example();
    doc.nodes[0]!.label = "Cat prompt";
    const saved = await saveWorkflow(owner, {
      workflowId,
      baseVersionId: firstVersionId,
      document: doc,
      message: "Renamed the prompt",
    });
    await renameWorkflow(owner, { workflowId, name: "Cats v2" });
    await restoreVersion(owner, { workflowId, versionId: firstVersionId, baseVersionId: saved.version.id });
    await deleteWorkflow(owner, { workflowId });
    await restoreWorkflow(owner, { workflowId });
    expect(await lines(ana)).toEqual([
      "Olga restored the workflow from the trash",
      "Olga moved the workflow to the trash",
      "Olga restored version 1 as version 3",
      "Olga renamed the workflow from “Cats” to “Cats v2”",
      "Olga saved version 2 — “Renamed the prompt”",
    ]);
  });

  it("records a finished run with its starter's name and best score, and notifies the starter only", async () => {
    const run = await runningRun(ana.actor.userId, 0.8234);
    await finishRun(
      { db: database.db, actor: SYSTEM },
      { runId: run.id, workerId: "worker-1", status: "succeeded" },
    );
    const [latest] = (await listActivity(owner, { workflowId, limit: 1 })).items;
    expect(latest).toMatchObject({
      kind: "run-finished",
      actor: null,
      line: "Ana’s run of version 1 finished — best score 0.8234",
      href: `/runs/${run.id}`,
    });
    const [notification] = await listNotifications(ana);
    expect(notification).toMatchObject({
      kind: "run-finished",
      line: "Your run of version 1 of “Cats v2” finished — best score 0.8234",
      href: `/runs/${run.id}`,
      read: false,
    });
    expect(await listNotifications(owner)).toEqual([]);
  });

  it("sends no notification for a run the app itself started (SYSTEM)", async () => {
    const before = await database.db.notification.count();
    const run = await runningRun(null, null);
    await finishRun(
      { db: database.db, actor: SYSTEM },
      { runId: run.id, workerId: "worker-1", status: "failed", error: "boom" },
    );
    expect(await database.db.notification.count()).toBe(before);
    expect((await lines())[0]).toBe("A run of version 1 failed");
  });

  it("pages newest first with a cursor", async () => {
    const all = await listActivity(owner, { workflowId, limit: 100 });
    const first = await listActivity(owner, { workflowId, limit: 3 });
    expect(first.items.map((item) => item.id)).toEqual(all.items.slice(0, 3).map((item) => item.id));
    const second = await listActivity(owner, { workflowId, limit: 3, cursor: first.nextCursor ?? undefined });
    expect(second.items.map((item) => item.id)).toEqual(all.items.slice(3, 6).map((item) => item.id));
    const rest = await listActivity(owner, {
      workflowId,
      limit: 100,
      cursor: second.nextCursor ?? undefined,
    });
    expect(rest.nextCursor).toBeNull();
    expect(first.items.length + second.items.length + rest.items.length).toBe(all.items.length);
  });

  it("records who started a run of which version", async () => {
    const head = await database.db.workflow.findUniqueOrThrow({ where: { id: workflowId } });
    const { run } = await startRun(owner, { workflowId, versionId: head.headVersionId as string });
    const [latest] = (await listActivity(ana, { workflowId, limit: 1 })).items;
    expect(latest).toMatchObject({ kind: "ran", line: "Olga ran version 3", href: `/runs/${run.id}` });
  });

  it("needs view access: a non-member gets NOT_FOUND, an anonymous visitor is asked to sign in", async () => {
    const refused = await listActivity(stranger, { workflowId }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe("NOT_FOUND");
    const caller = createCaller({ db: database.db, actor: ANONYMOUS });
    await expect(caller.activity.list({ workflowId })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("describeActivity", () => {
  it("words each kind with people's names", () => {
    const names = new Map([
      ["u-ben", "Ben"],
      ["u-ana", "Ana"],
    ]);
    expect(describeActivity("ran", { versionNumber: 4 }, "Ana")).toBe("Ana ran version 4");
    expect(describeActivity("commented", { target: "Guard › Strength (γ)" }, "Ben")).toBe(
      "Ben commented on Guard › Strength (γ)",
    );
    expect(describeActivity("commented", { target: "Guard", reply: true }, "Ben")).toBe(
      "Ben replied on Guard",
    );
    expect(describeActivity("accepted", { authorId: "u-ben", versionNumber: 5 }, "Ana", names)).toBe(
      "Ana accepted Ben’s proposal as version 5",
    );
    expect(describeActivity("shared", { userId: "u-ben", role: "reviewer" }, "Ana", names)).toBe(
      "Ana shared the workflow with Ben as reviewer",
    );
    expect(describeActivity("run-finished", { status: "cancelled", versionNumber: 2 }, null)).toBe(
      "A run of version 2 was cancelled",
    );
    expect(
      describeActivity("accepted", { authorName: "Ben", title: "Stronger guard", versionNumber: 3 }, "Ana"),
    ).toBe("Ana accepted Ben’s proposal “Stronger guard” as version 3");
    expect(
      describeActivity(
        "shared",
        { userId: "u-x", name: "Cy", role: "editor", previousRole: "viewer" },
        "Ana",
      ),
    ).toBe("Ana changed Cy’s access from viewer to editor");
    expect(
      describeActivity("shared", { userId: "u-ben", role: "viewer", viaLink: "link-1" }, "Ben", names),
    ).toBe("Ben joined through a share link as viewer");
    expect(describeActivity("unshared", { userId: "u-ben", left: true }, "Ben", names)).toBe(
      "Ben left the workflow",
    );
  });
});

describe("describeNotification", () => {
  it("words proposals, decisions and shares", () => {
    expect(
      describeNotification("proposal", { authorName: "Ben", title: "Stronger guard", workflowName: "Cats" })
        .line,
    ).toBe("Ben proposed “Stronger guard” in “Cats”");
    expect(
      describeNotification("proposal-decided", {
        actorName: "Olga",
        decision: "accepted",
        title: "Stronger guard",
        workflowName: "Cats",
        versionNumber: 3,
      }).line,
    ).toBe("Olga accepted your proposal “Stronger guard” in “Cats” as version 3");
    expect(describeNotification("shared", { workflowName: "Cats", role: "reviewer" }).line).toBe(
      "“Cats” was shared with you as reviewer",
    );
  });
});

describe("notifications", () => {
  it("lists, counts and marks only the signed-in person's own notifications", async () => {
    await database.db.notification.create({
      data: {
        userId: owner.actor.userId as string,
        kind: "mention",
        data: JSON.stringify({
          authorName: "Ana",
          target: "Guard",
          workflowName: "Cats",
          excerpt: "hi @Olga",
          href: "/workflows/x?comment=y",
        }),
      },
    });
    await database.db.notification.create({
      data: { userId: owner.actor.userId as string, kind: "reply", data: "{}" },
    });
    expect(await countUnreadNotifications(owner)).toBe(2);
    const mine = await listNotifications(owner);
    expect(mine[1]).toMatchObject({ line: "Ana mentioned you on Guard in “Cats”", excerpt: "hi @Olga" });
    // Someone else's ids match nothing.
    expect(await markNotificationsRead(ana, { ids: mine.map((item) => item.id) })).toEqual({ marked: 0 });
    expect(await countUnreadNotifications(owner)).toBe(2);
    expect(await markNotificationsRead(owner, { ids: [mine[0]!.id] })).toEqual({ marked: 1 });
    expect(await countUnreadNotifications(owner)).toBe(1);
    const caller = createCaller(owner);
    expect(await caller.notifications.markAllRead()).toEqual({ marked: 1 });
    expect(await caller.notifications.unreadCount()).toBe(0);
    const anonymous = createCaller({ db: database.db, actor: ANONYMOUS });
    await expect(anonymous.notifications.unreadCount()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
