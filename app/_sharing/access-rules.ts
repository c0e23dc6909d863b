/**
 * What the pages let a person do on a workflow, from their role (the server decides; this only hides buttons
 * that would be refused and says why), and the share dialog's pure pieces. Plain TypeScript, tested without
 * rendering; the React components in this folder draw it.
 */

export const SHARE_ROLES = ["editor", "reviewer", "viewer"] as const;
export type ShareRole = (typeof SHARE_ROLES)[number];
export type WorkflowRole = "owner" | ShareRole;

export const ROLE_DESCRIPTIONS: Record<WorkflowRole, string> = {
  owner: "Owner — everything, including sharing and deleting",
  editor: "Editor — edit, save and run",
  reviewer: "Reviewer — comment, propose changes and run proposals",
  viewer: "Viewer — open it and see its runs",
};

export interface EditorPermissions {
  canSave: boolean;
  canRun: boolean;
  canPropose: boolean;
  canComment: boolean;
  canShare: boolean;
  canDelete: boolean;
  /** Shown in the editor when some of the above are off: which access they have and what it allows. */
  limitNotice: string | null;
}

export function editorPermissions(role: WorkflowRole | null | undefined): EditorPermissions {
  // Unknown (an older server answer): leave the buttons on; the server still refuses what is not allowed.
  const effective = role ?? "owner";
  const atLeast = (smallest: WorkflowRole) =>
    (["viewer", "reviewer", "editor", "owner"] as const).indexOf(effective) >=
    (["viewer", "reviewer", "editor", "owner"] as const).indexOf(smallest);
  return {
    canSave: atLeast("editor"),
    canRun: atLeast("editor"),
    canPropose: atLeast("reviewer"),
    canComment: atLeast("reviewer"),
    canShare: effective === "owner",
    canDelete: effective === "owner",
    limitNotice:
      effective === "viewer"
        ? "You have viewer access: you can look at this workflow and its runs, but not change or run it. Ask the owner for more access."
        : effective === "reviewer"
          ? "You have reviewer access: comment, or open a version in review mode to propose changes and run them. Saving and running versions is for editors."
          : null,
  };
}

export interface LinkExpiryChoice {
  label: string;
  days: number | null;
}

export const LINK_EXPIRY_CHOICES: readonly LinkExpiryChoice[] = [
  { label: "Never expires", days: null },
  { label: "Expires in 1 day", days: 1 },
  { label: "Expires in 7 days", days: 7 },
  { label: "Expires in 30 days", days: 30 },
];

/** The full address of a share link (the server answers only its path: it does not know its public origin). */
export function shareLinkUrl(origin: string, path: string): string {
  return `${origin.replace(/\/+$/, "")}${path.startsWith("/") ? path : `/${path}`}`;
}

function day(date: Date | string): string {
  return (typeof date === "string" ? new Date(date) : date).toISOString().slice(0, 10);
}

/** One line about a link for the dialog: its role, until when it works, or why it no longer does. */
export function describeShareLink(link: {
  role: ShareRole;
  state: "active" | "expired" | "revoked";
  expiresAt: Date | string | null;
  revokedAt: Date | string | null;
  lastUsedAt: Date | string | null;
}): string {
  const role = `${link.role[0]?.toUpperCase()}${link.role.slice(1)} link`;
  const state =
    link.state === "revoked"
      ? `revoked${link.revokedAt ? ` on ${day(link.revokedAt)}` : ""}`
      : link.state === "expired"
        ? `expired on ${link.expiresAt ? day(link.expiresAt) : "?"}`
        : link.expiresAt
          ? `works until ${day(link.expiresAt)}`
          : "never expires";
  const used = link.lastUsedAt ? ` · last opened ${day(link.lastUsedAt)}` : "";
  return `${role} · ${state}${used}`;
}

/** A quick check before sending, so an obvious typo is caught without a round trip (the server checks too). */
export function emailProblem(email: string): string | null {
  const trimmed = email.trim();
  if (trimmed === "") return "Type the email of their account.";
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) return `“${trimmed}” is not an email address.`;
  return null;
}
