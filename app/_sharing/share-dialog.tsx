"use client";
/**
 * The share dialog of the editor: who has access (owner, people, links), add someone by email with a role,
 * change or remove their access, create a link (role, expiry) whose address is shown once to copy, revoke
 * links. People without the share right see the list only. Logic lives in access-rules.ts.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Dialog } from "@/app/_components/dialog";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";
import {
  describeShareLink,
  emailProblem,
  LINK_EXPIRY_CHOICES,
  ROLE_DESCRIPTIONS,
  SHARE_ROLES,
  type ShareRole,
  shareLinkUrl,
} from "./access-rules";

function RoleSelect(props: {
  readonly value: ShareRole;
  readonly onChange: (role: ShareRole) => void;
  readonly label: string;
  readonly testId: string;
  readonly disabled?: boolean;
}) {
  return (
    <select
      className="select"
      aria-label={props.label}
      data-testid={props.testId}
      value={props.value}
      disabled={props.disabled}
      onChange={(event) => props.onChange(event.target.value as ShareRole)}
    >
      {SHARE_ROLES.map((role) => (
        <option key={role} value={role} title={ROLE_DESCRIPTIONS[role]}>
          {role}
        </option>
      ))}
    </select>
  );
}

export function ShareDialog(props: { readonly workflowId: string; readonly onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const accessOptions = trpc.sharing.access.queryOptions({ workflowId: props.workflowId });
  const access = useQuery(accessOptions);
  const refresh = () => queryClient.invalidateQueries({ queryKey: accessOptions.queryKey });
  const share = useMutation(trpc.sharing.share.mutationOptions());
  const changeRole = useMutation(trpc.sharing.changeRole.mutationOptions());
  const remove = useMutation(trpc.sharing.remove.mutationOptions());
  const createLink = useMutation(trpc.sharing.createLink.mutationOptions());
  const revokeLink = useMutation(trpc.sharing.revokeLink.mutationOptions());

  const [email, setEmail] = useState("");
  const [role, setRole] = useState<ShareRole>("reviewer");
  const [linkRole, setLinkRole] = useState<ShareRole>("viewer");
  const [linkDays, setLinkDays] = useState<number | null>(7);
  const [newLink, setNewLink] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);

  const fail = (caught: unknown) => {
    setInfo(null);
    setError(describeError(caught));
  };
  const done = (message: string) => {
    setError(null);
    setInfo(message);
    void refresh();
  };

  const data = access.data;
  const canShare = data?.canShare ?? false;

  return (
    <Dialog title="Share" onClose={props.onClose} testId="share-dialog" wide>
      {access.isPending ? <div className="loading">Loading who has access…</div> : null}
      {access.isError ? (
        <div className="banner banner-error" role="alert" data-testid="share-dialog.error">
          {describeError(access.error)}
        </div>
      ) : null}
      {data ? (
        <>
          <p className="muted" data-testid="share-dialog.your-role">
            You have {data.yourRole} access to “{data.workflowName}”.
            {canShare ? "" : " Only the owner can change who has access."}
          </p>
          <table className="workflow-table share-table" data-testid="share-dialog.people">
            <tbody>
              {data.owner ? (
                <tr data-testid="share-dialog.owner">
                  <td>
                    {data.owner.name} <span className="faint">{data.owner.email}</span>
                  </td>
                  <td>owner</td>
                  <td />
                </tr>
              ) : null}
              {data.shares.map((person) => (
                <tr key={person.userId} data-testid={`share-dialog.person.${person.email}`}>
                  <td>
                    {person.name} <span className="faint">{person.email}</span>
                  </td>
                  <td>
                    {canShare ? (
                      <RoleSelect
                        value={person.role}
                        label={`Role of ${person.name}`}
                        testId={`share-dialog.person.${person.email}.role`}
                        disabled={changeRole.isPending}
                        onChange={(next) =>
                          changeRole.mutate(
                            { workflowId: props.workflowId, userId: person.userId, role: next },
                            { onSuccess: () => done(`${person.name} is now ${next}.`), onError: fail },
                          )
                        }
                      />
                    ) : (
                      person.role
                    )}
                  </td>
                  <td>
                    {canShare ? (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        data-testid={`share-dialog.person.${person.email}.remove`}
                        disabled={remove.isPending}
                        onClick={() =>
                          remove.mutate(
                            { workflowId: props.workflowId, userId: person.userId },
                            { onSuccess: () => done(`${person.name} no longer has access.`), onError: fail },
                          )
                        }
                      >
                        Remove
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>

          {canShare ? (
            <form
              className="share-add"
              onSubmit={(event) => {
                event.preventDefault();
                const problem = emailProblem(email);
                if (problem) {
                  setError(problem);
                  return;
                }
                share.mutate(
                  { workflowId: props.workflowId, email: email.trim(), role },
                  {
                    onSuccess: (result) => {
                      setEmail("");
                      done(
                        result.outcome === "added"
                          ? `Shared with ${result.share.name} as ${result.share.role}.`
                          : result.outcome === "changed"
                            ? `${result.share.name} is now ${result.share.role}.`
                            : `${result.share.name} already has ${result.share.role} access.`,
                      );
                    },
                    onError: fail,
                  },
                );
              }}
            >
              <input
                className="input"
                type="email"
                aria-label="Email of the person to share with"
                placeholder="Email of their account"
                data-testid="share-dialog.email"
                value={email}
                maxLength={320}
                onChange={(event) => setEmail(event.target.value)}
              />
              <RoleSelect value={role} onChange={setRole} label="Role to give" testId="share-dialog.role" />
              <button
                type="submit"
                className="btn btn-primary"
                data-testid="share-dialog.add"
                disabled={share.isPending}
              >
                Share
              </button>
            </form>
          ) : null}

          {canShare && data.links ? (
            <section className="share-links" data-testid="share-dialog.links">
              <h3>Links</h3>
              <p className="faint">
                Anyone who signs in with a link gets its role (a link never lowers someone's access).
              </p>
              <div className="share-add">
                <RoleSelect
                  value={linkRole}
                  onChange={setLinkRole}
                  label="Role the link gives"
                  testId="share-dialog.link-role"
                />
                <select
                  className="select"
                  aria-label="Link expiry"
                  data-testid="share-dialog.link-expiry"
                  value={linkDays === null ? "never" : String(linkDays)}
                  onChange={(event) =>
                    setLinkDays(event.target.value === "never" ? null : Number(event.target.value))
                  }
                >
                  {LINK_EXPIRY_CHOICES.map((choice) => (
                    <option key={choice.label} value={choice.days === null ? "never" : String(choice.days)}>
                      {choice.label}
                    </option>
                  ))}
                </select>
                <button
                  type="button"
                  className="btn"
                  data-testid="share-dialog.create-link"
                  disabled={createLink.isPending}
                  onClick={() =>
                    createLink.mutate(
                      { workflowId: props.workflowId, role: linkRole, expiresInDays: linkDays },
                      {
                        onSuccess: (created) => {
                          setCopied(false);
                          setNewLink(shareLinkUrl(window.location.origin, created.path));
                          done("Link created. Copy it now: it is shown only once.");
                        },
                        onError: fail,
                      },
                    )
                  }
                >
                  Create link
                </button>
              </div>
              {newLink ? (
                <div className="share-add" data-testid="share-dialog.new-link">
                  <input
                    className="input"
                    readOnly
                    value={newLink}
                    aria-label="The new link"
                    data-testid="share-dialog.new-link.url"
                  />
                  <button
                    type="button"
                    className="btn"
                    data-testid="share-dialog.copy-link"
                    onClick={() =>
                      void navigator.clipboard
                        .writeText(newLink)
                        .then(() => setCopied(true))
                        .catch(() =>
                          setError("The browser did not allow copying: select the link and copy it."),
                        )
                    }
                  >
                    {copied ? "Copied" : "Copy link"}
                  </button>
                </div>
              ) : null}
              <ul className="share-link-list">
                {data.links.map((link) => (
                  <li key={link.id} data-testid={`share-dialog.link.${link.id}`} data-state={link.state}>
                    <span>{describeShareLink(link)}</span>
                    {link.state === "active" ? (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        data-testid={`share-dialog.link.${link.id}.revoke`}
                        disabled={revokeLink.isPending}
                        onClick={() =>
                          revokeLink.mutate(
                            { workflowId: props.workflowId, linkId: link.id },
                            {
                              onSuccess: () => done("Link revoked: it no longer opens anything."),
                              onError: fail,
                            },
                          )
                        }
                      >
                        Revoke
                      </button>
                    ) : null}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
        </>
      ) : null}
      {error ? (
        <div className="banner banner-error" role="alert" data-testid="share-dialog.message">
          {error}
        </div>
      ) : null}
      {info ? (
        <div className="banner banner-info" role="status" data-testid="share-dialog.info">
          {info}
        </div>
      ) : null}
      <div className="dialog-buttons">
        <button type="button" className="btn" onClick={props.onClose} data-testid="share-dialog.close">
          Close
        </button>
      </div>
    </Dialog>
  );
}
