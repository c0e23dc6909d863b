import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { ANONYMOUS, userActor } from "../context";
import { createTestDatabase, createTestUser, type TestDatabase } from "../test-database";
import { assignUnownedToOwner } from "./finish-new-account";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

describe("account procedures", () => {
  it("account.me is the signed-in person, null for an anonymous visitor", async () => {
    const me = await createCaller(database.ctx).account.me();
    expect(me).toMatchObject({ email: "owner@example.test", role: "owner" });
    expect(await createCaller({ db: database.db, actor: ANONYMOUS }).account.me()).toBeNull();
  });

  it("only the owner and admins manage people; the owner's role never changes", async () => {
    const member = await createTestUser(database.db, { name: "Member", email: "member@example.test" });
    const asMember = createCaller({ db: database.db, actor: userActor(member.id, "user") });
    await expect(asMember.account.listPeople()).rejects.toThrow(/Only the owner or an administrator/);
    await expect(asMember.account.setSignupOpen({ open: true })).rejects.toThrow(/Only the owner/);
    await expect(createCaller({ db: database.db, actor: ANONYMOUS }).account.listApiTokens()).rejects.toThrow(
      "Sign in to continue.",
    );

    const asOwner = createCaller(database.ctx);
    await asOwner.account.setAdmin({ userId: member.id, admin: true });
    expect((await database.db.user.findUniqueOrThrow({ where: { id: member.id } })).role).toBe("admin");
    const ownerId = database.ctx.actor.userId ?? "";
    const asAdmin = createCaller({ db: database.db, actor: userActor(member.id, "admin") });
    await expect(asAdmin.account.setAdmin({ userId: ownerId, admin: false })).rejects.toThrow(
      /owner's role cannot change/,
    );
    expect((await asAdmin.account.listPeople()).map((person) => person.role)).toEqual(["owner", "admin"]);
  });

  it("invitations can be listed and revoked; API tokens are listed without their secret", async () => {
    const asOwner = createCaller(database.ctx);
    const invitation = await asOwner.account.createInvitation({ email: "new@example.test" });
    expect(invitation.link).toContain("/sign-up?invitation=inv_");
    await asOwner.account.revokeInvitation({ invitationId: invitation.id });
    expect((await asOwner.account.listInvitations())[0]?.status).toBe("revoked");
    await expect(asOwner.account.revokeInvitation({ invitationId: invitation.id })).rejects.toThrow(
      /does not exist/,
    );

    const created = await asOwner.account.createApiToken({ name: "laptop" });
    const listed = await asOwner.account.listApiTokens();
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    await expect(asOwner.account.createApiToken({ name: "  " })).rejects.toThrow(/Give the token a name/);
  });

  it("the first owner takes over rows without an owner", async () => {
    const run = await database.db.workflow.create({ data: { name: "Old", ownerId: null } });
    const ownerId = database.ctx.actor.userId ?? "";
    const assigned = await assignUnownedToOwner(database.db, ownerId);
    expect(assigned.workflows).toBe(1);
    expect((await database.db.workflow.findUniqueOrThrow({ where: { id: run.id } })).ownerId).toBe(ownerId);
  });
});
