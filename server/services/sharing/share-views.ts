/** What clients see of shares and links (never a token hash), and the order of roles. */
import type { ShareRole, WorkflowRole } from "../authorization";

const ROLE_RANK: Record<WorkflowRole, number> = { viewer: 1, reviewer: 2, editor: 3, owner: 4 };

/** True when `a` gives at least what `b` gives (roles are nested: viewer ⊂ reviewer ⊂ editor ⊂ owner). */
export function roleAtLeast(a: WorkflowRole, b: WorkflowRole): boolean {
  return ROLE_RANK[a] >= ROLE_RANK[b];
}

export const ROLE_LABELS: Record<WorkflowRole, string> = {
  owner: "owner",
  editor: "editor",
  reviewer: "reviewer",
  viewer: "viewer",
};

export interface PersonView {
  userId: string;
  name: string;
  email: string;
}

export interface ShareView extends PersonView {
  role: ShareRole;
  sharedAt: Date;
}

export interface ShareLinkView {
  id: string;
  role: ShareRole;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** "active", or why it no longer works. */
  state: "active" | "expired" | "revoked";
}

export function shareLinkState(
  link: { expiresAt: Date | null; revokedAt: Date | null },
  now = new Date(),
): ShareLinkView["state"] {
  if (link.revokedAt) return "revoked";
  if (link.expiresAt && link.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}

export function toShareLinkView(link: {
  id: string;
  role: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}): ShareLinkView {
  return {
    id: link.id,
    role: link.role as ShareRole,
    createdAt: link.createdAt,
    expiresAt: link.expiresAt,
    revokedAt: link.revokedAt,
    lastUsedAt: link.lastUsedAt,
    state: shareLinkState(link),
  };
}
