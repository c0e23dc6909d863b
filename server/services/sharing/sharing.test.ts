/**
 * Sharing by email and by link on a real SQLite database: roles, unknown emails, links shown once and stored
 * as hashes, expiry, revocation, the no-downgrade rule, removed collaborators, and people guessing ids of
 * other people's workflows, shares and links (NOT_FOUND, nothing changes).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../../errors";
import { ANONYMOUS, type ServiceContext, userActor } from "../context";
import { createTestDatabase, createTestUser, type TestDatabase } from "../test-database";
import { createWorkflow } from "../workflows/create-workflow";
import { getWorkflow } from "../workflows/get-workflow";
import { acceptShareLink } from "./accept-share-link";
import { changeShareRole } from "./change-share-role";
import { createShareLink } from "./create-share-link";
import { listSharedWithMe } from "./list-shared-with-me";
import { listWorkflowAccess } from "./list-workflow-access";
import { removeAccess } from "./remove-access";
import { revokeShareLink } from "./revoke-share-link";
import { hashShareToken } from "./share-token";
import { shareWithUser } from "./share-with-user";

let database: TestDatabase;
let owner: ServiceContext;
let alice: ServiceContext;
let bob: ServiceContext;
let mallory: ServiceContext;
let workflowId: string;

async function person(name: string): Promise<ServiceContext> {
  const user = await createTestUser(database.db, { name, email: `${name.toLowerCase()}@sharing.test` });
  return { db: database.db, actor: userActor(user.id, "user") };
}

function id(ctx: ServiceContext): string {
  return ctx.actor.userId ?? "";
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** Everything sharing writes, to show a refusal changed nothing. */
async function sharingState() {
  return {
    shares: await database.db.workflowShare.findMany({ orderBy: { id: "asc" } }),
    links: await database.db.shareLink.findMany({ orderBy: { id: "asc" } }),
    activity: await database.db.activity.count(),
    notifications: await database.db.notification.count(),
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  owner = await person("Olivia");
  alice = await person("Alice");
  bob = await person("Bob");
  mallory = await person("Mallory");
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  workflowId = (await createWorkflow(owner, { name: "Guarded brightening" })).id;
});

describe("sharing by email", () => {
  it("shares with a known account, records the activity and notifies them; sharing again changes the role", async () => {
    const added = await shareWithUser(owner, { workflowId, email: " ALICE@sharing.test ", role: "reviewer" });
    expect(added).toMatchObject({
      outcome: "added",
      share: { userId: id(alice), role: "reviewer", name: "Alice" },
    });
    expect(await getWorkflow(alice, { workflowId })).toMatchObject({ id: workflowId });
    const notes = await database.db.notification.findMany({ where: { userId: id(alice), workflowId } });
    expect(notes).toMatchObject([{ kind: "shared" }]);
    expect(JSON.parse(notes[0]?.data ?? "{}")).toEqual({
      workflowName: "Guarded brightening",
      role: "reviewer",
    });
    const activity = await database.db.activity.findMany({ where: { workflowId, kind: "shared" } });
    expect(activity).toHaveLength(1);
    expect(activity[0]?.actorId).toBe(id(owner));

    expect(
      (await shareWithUser(owner, { workflowId, email: "alice@sharing.test", role: "reviewer" })).outcome,
    ).toBe("unchanged");
    expect(
      (await shareWithUser(owner, { workflowId, email: "alice@sharing.test", role: "editor" })).outcome,
    ).toBe("changed");
    const access = await listWorkflowAccess(owner, { workflowId });
    expect(access.owner).toMatchObject({ userId: id(owner), name: "Olivia" });
    expect(access.shares).toMatchObject([{ userId: id(alice), role: "editor" }]);
    expect(access).toMatchObject({ yourRole: "owner", canShare: true, links: [] });
  });

  it("an unknown email is refused with what to do, and nothing is created", async () => {
    const before = await sharingState();
    const error = await refusal(
      shareWithUser(owner, { workflowId, email: "nobody@sharing.test", role: "viewer" }),
    );
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toBe(
      "No account uses nobody@sharing.test. Ask them to sign up first (or ask an administrator to invite them), then share again.",
    );
    expect(await sharingState()).toEqual(before);
  });

  it("sharing with the owner is refused", async () => {
    const error = await refusal(
      shareWithUser(owner, { workflowId, email: "olivia@sharing.test", role: "viewer" }),
    );
    expect(error.message).toBe("Olivia owns “Guarded brightening”: they already have full access.");
  });

  it("only the owner may change access: an editor hears why, a stranger hears NOT_FOUND, nothing changes", async () => {
    await shareWithUser(owner, { workflowId, email: "alice@sharing.test", role: "editor" });
    const before = await sharingState();
    const forbidden = await refusal(
      shareWithUser(alice, { workflowId, email: "bob@sharing.test", role: "viewer" }),
    );
    expect(forbidden.code).toBe("FORBIDDEN");
    expect(forbidden.message).toBe(
      "Only the owner can change who has access to this workflow. You have editor access.",
    );
    const hidden = await refusal(
      shareWithUser(mallory, { workflowId, email: "mallory@sharing.test", role: "editor" }),
    );
    expect(hidden).toMatchObject({
      code: "NOT_FOUND",
      message: `Workflow “${workflowId}” does not exist, was deleted, or is no longer shared with you. Ask its owner if you need access.`,
    });
    const anonymous = await refusal(
      shareWithUser(
        { db: database.db, actor: ANONYMOUS },
        { workflowId, email: "bob@sharing.test", role: "viewer" },
      ),
    );
    expect(anonymous).toMatchObject({ code: "UNAUTHORIZED", message: "Sign in to continue." });
    expect(await sharingState()).toEqual(before);
  });

  it("a viewer sees who has access but not the links", async () => {
    await shareWithUser(owner, { workflowId, email: "bob@sharing.test", role: "viewer" });
    await createShareLink(owner, { workflowId, role: "viewer" });
    const access = await listWorkflowAccess(bob, { workflowId });
    expect(access).toMatchObject({ yourRole: "viewer", canShare: false, links: null });
    expect(access.shares.map((share) => share.userId)).toEqual([id(bob)]);
  });
});

describe("changing and removing access", () => {
  it("changes a role; removing access refuses the removed person's next call as for an unknown id", async () => {
    await shareWithUser(owner, { workflowId, email: "bob@sharing.test", role: "viewer" });
    expect(await changeShareRole(owner, { workflowId, userId: id(bob), role: "reviewer" })).toMatchObject({
      role: "reviewer",
    });
    expect((await listSharedWithMe(bob)).find((row) => row.id === workflowId)).toMatchObject({
      role: "reviewer",
      ownerName: "Olivia",
    });
    await removeAccess(owner, { workflowId, userId: id(bob) });
    const error = await refusal(getWorkflow(bob, { workflowId }));
    expect(error).toMatchObject({
      code: "NOT_FOUND",
      message: `Workflow “${workflowId}” does not exist, was deleted, or is no longer shared with you. Ask its owner if you need access.`,
    });
    expect((await listSharedWithMe(bob)).some((row) => row.id === workflowId)).toBe(false);
    const kinds = (await database.db.activity.findMany({ where: { workflowId } })).map((row) => row.kind);
    expect(kinds).toContain("unshared");
  });

  it("a person may remove their own access (leave), but not someone else's", async () => {
    await shareWithUser(owner, { workflowId, email: "alice@sharing.test", role: "editor" });
    await shareWithUser(owner, { workflowId, email: "bob@sharing.test", role: "viewer" });
    const forbidden = await refusal(removeAccess(alice, { workflowId, userId: id(bob) }));
    expect(forbidden.code).toBe("FORBIDDEN");
    await removeAccess(bob, { workflowId, userId: id(bob) });
    expect(await database.db.workflowShare.count({ where: { workflowId } })).toBe(1);
  });

  it("guessing other people's ids answers NOT_FOUND and changes nothing", async () => {
    await shareWithUser(owner, { workflowId, email: "alice@sharing.test", role: "viewer" });
    const { link } = await createShareLink(owner, { workflowId, role: "editor" });
    const mine = (await createWorkflow(mallory, { name: "Mallory's own" })).id;
    const before = await sharingState();
    for (const attempt of [
      changeShareRole(mallory, { workflowId, userId: id(alice), role: "editor" }),
      removeAccess(mallory, { workflowId, userId: id(alice) }),
      revokeShareLink(mallory, { workflowId, linkId: link.id }),
      createShareLink(mallory, { workflowId, role: "editor" }),
      listWorkflowAccess(mallory, { workflowId }),
      // Her own workflow's id with the other workflow's link: not a link of hers.
      revokeShareLink(mallory, { workflowId: mine, linkId: link.id }),
      changeShareRole(owner, { workflowId, userId: id(mallory), role: "editor" }),
    ]) {
      expect((await refusal(attempt)).code).toBe("NOT_FOUND");
    }
    expect(await sharingState()).toEqual(before);
  });
});

describe("share links", () => {
  it("shows the token once and stores only its hash; opening it grants the role", async () => {
    const created = await createShareLink(owner, { workflowId, role: "reviewer", expiresInDays: 7 });
    expect(created.path).toBe(`/share/${created.token}`);
    const row = await database.db.shareLink.findUniqueOrThrow({ where: { id: created.link.id } });
    expect(row.tokenHash).toBe(hashShareToken(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    expect(JSON.stringify(await listWorkflowAccess(owner, { workflowId }))).not.toContain(row.tokenHash);

    const accepted = await acceptShareLink(bob, { token: created.token });
    expect(accepted).toEqual({
      workflowId,
      workflowName: "Guarded brightening",
      role: "reviewer",
      changed: true,
    });
    expect((await listWorkflowAccess(owner, { workflowId })).shares).toMatchObject([
      { userId: id(bob), role: "reviewer" },
    ]);
    const ownerNotes = await database.db.notification.findMany({ where: { userId: id(owner), workflowId } });
    expect(ownerNotes.map((note) => note.kind)).toEqual(["shared"]);
  });

  it("an expired link is refused with its date and changes nothing", async () => {
    const created = await createShareLink(owner, {
      workflowId,
      role: "editor",
      expiresInDays: 2,
      now: new Date("2026-01-01T10:00:00Z"),
    });
    const before = await sharingState();
    const error = await refusal(
      acceptShareLink(bob, { token: created.token, now: new Date("2026-01-03T10:00:01Z") }),
    );
    expect(error).toMatchObject({
      code: "GONE",
      message: "This share link expired on 2026-01-03. Ask the workflow's owner for a new link.",
    });
    expect(await sharingState()).toEqual(before);
    // One second earlier it still worked.
    expect(
      (await acceptShareLink(bob, { token: created.token, now: new Date("2026-01-03T09:59:59Z") })).role,
    ).toBe("editor");
  });

  it("a revoked link is refused and changes nothing; revoking twice is harmless", async () => {
    const created = await createShareLink(owner, { workflowId, role: "viewer" });
    expect((await revokeShareLink(owner, { workflowId, linkId: created.link.id })).state).toBe("revoked");
    expect((await revokeShareLink(owner, { workflowId, linkId: created.link.id })).state).toBe("revoked");
    const before = await sharingState();
    const error = await refusal(acceptShareLink(alice, { token: created.token }));
    expect(error).toMatchObject({
      code: "GONE",
      message: "This share link was revoked by the workflow's owner. Ask them for a new link.",
    });
    expect(await sharingState()).toEqual(before);
    expect((await refusal(getWorkflow(alice, { workflowId }))).code).toBe("NOT_FOUND");
    expect(
      (await database.db.activity.findMany({ where: { workflowId, kind: "link-revoked" } })).length,
    ).toBe(1);
  });

  it("never lowers access: an editor opening a viewer link stays editor; a viewer opening an editor link rises", async () => {
    await shareWithUser(owner, { workflowId, email: "alice@sharing.test", role: "editor" });
    await shareWithUser(owner, { workflowId, email: "bob@sharing.test", role: "viewer" });
    const viewerLink = await createShareLink(owner, { workflowId, role: "viewer" });
    const editorLink = await createShareLink(owner, { workflowId, role: "editor" });
    expect(await acceptShareLink(alice, { token: viewerLink.token })).toMatchObject({
      role: "editor",
      changed: false,
    });
    expect(await acceptShareLink(owner, { token: viewerLink.token })).toMatchObject({
      role: "owner",
      changed: false,
    });
    expect(await acceptShareLink(bob, { token: editorLink.token })).toMatchObject({
      role: "editor",
      changed: true,
    });
    const roles = await database.db.workflowShare.findMany({
      where: { workflowId },
      orderBy: { userId: "asc" },
    });
    expect(roles.map((share) => [share.userId, share.role])).toEqual([
      [id(alice), "editor"],
      [id(bob), "editor"],
    ]);
  });

  it("unknown or malformed tokens and anonymous visitors are refused", async () => {
    const before = await sharingState();
    const unknown = await refusal(acceptShareLink(bob, { token: "A".repeat(43) }));
    expect(unknown).toMatchObject({ code: "NOT_FOUND" });
    expect(unknown.message).toMatch(/^This share link does not work/);
    expect((await refusal(acceptShareLink(bob, { token: "../../etc" }))).code).toBe("NOT_FOUND");
    const created = await createShareLink(owner, { workflowId, role: "viewer" });
    const anonymous = await refusal(
      acceptShareLink({ db: database.db, actor: ANONYMOUS }, { token: created.token }),
    );
    expect(anonymous.code).toBe("UNAUTHORIZED");
    expect((await sharingState()).shares).toEqual(before.shares);
  });

  it("refuses expiries outside 1..365 days", async () => {
    expect(
      (await refusal(createShareLink(owner, { workflowId, role: "viewer", expiresInDays: 0 }))).code,
    ).toBe("VALIDATION");
    expect(
      (await refusal(createShareLink(owner, { workflowId, role: "viewer", expiresInDays: 400 }))).code,
    ).toBe("VALIDATION");
  });
});
