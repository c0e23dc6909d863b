import { describe, expect, it } from "vitest";
import { describeShareLink, editorPermissions, emailProblem, shareLinkUrl } from "./access-rules";

describe("editorPermissions", () => {
  it("a viewer can only look, and is told why", () => {
    const viewer = editorPermissions("viewer");
    expect(viewer).toMatchObject({ canSave: false, canRun: false, canPropose: false, canComment: false });
    expect(viewer.limitNotice).toMatch(/^You have viewer access/);
  });

  it("a reviewer comments and proposes but cannot save, run versions, share or delete", () => {
    expect(editorPermissions("reviewer")).toMatchObject({
      canSave: false,
      canRun: false,
      canPropose: true,
      canComment: true,
      canShare: false,
      canDelete: false,
    });
  });

  it("an editor saves and runs without a notice; only the owner shares and deletes", () => {
    expect(editorPermissions("editor")).toMatchObject({
      canSave: true,
      canRun: true,
      canShare: false,
      limitNotice: null,
    });
    expect(editorPermissions("owner")).toMatchObject({ canShare: true, canDelete: true, limitNotice: null });
  });
});

describe("share dialog pieces", () => {
  it("builds the link's address from the page's origin", () => {
    expect(shareLinkUrl("http://localhost:3000/", "/share/abc")).toBe("http://localhost:3000/share/abc");
  });

  it("describes a link's state", () => {
    const base = { role: "viewer" as const, revokedAt: null, lastUsedAt: null };
    expect(describeShareLink({ ...base, state: "active", expiresAt: null })).toBe(
      "Viewer link · never expires",
    );
    expect(describeShareLink({ ...base, state: "active", expiresAt: "2026-12-07T10:00:00Z" })).toBe(
      "Viewer link · works until 2026-12-07",
    );
    expect(
      describeShareLink({
        ...base,
        role: "editor",
        state: "revoked",
        expiresAt: null,
        revokedAt: "2026-12-01T00:00:00Z",
      }),
    ).toBe("Editor link · revoked on 2026-12-01");
    expect(
      describeShareLink({
        ...base,
        state: "expired",
        expiresAt: "2026-11-01T00:00:00Z",
        lastUsedAt: "2026-10-30T00:00:00Z",
      }),
    ).toBe("Viewer link · expired on 2026-11-01 · last opened 2026-10-30");
  });

  it("catches an obvious email typo before sending", () => {
    expect(emailProblem("  ")).toBe("Type the email of their account.");
    expect(emailProblem("bob@")).toBe("“bob@” is not an email address.");
    expect(emailProblem(" bob@example.com ")).toBeNull();
  });
});
