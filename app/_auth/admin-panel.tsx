"use client";
/** Owner and admins: the people with an account, open sign-up, invitations. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";
import { AppHeader } from "../_components/app-header";

const ROLE_LABELS = { owner: "Owner", admin: "Administrator", user: "Member" } as const;

export function AdminPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const people = useQuery(trpc.account.listPeople.queryOptions(undefined, { retry: false }));
  const signup = useQuery(trpc.account.signupSettings.queryOptions(undefined, { retry: false }));
  const invitations = useQuery(trpc.account.listInvitations.queryOptions(undefined, { retry: false }));
  const setAdmin = useMutation(trpc.account.setAdmin.mutationOptions());
  const setSignupOpen = useMutation(trpc.account.setSignupOpen.mutationOptions());
  const invite = useMutation(trpc.account.createInvitation.mutationOptions());
  const revoke = useMutation(trpc.account.revokeInvitation.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const [lastLink, setLastLink] = useState<{ email: string; link: string; delivered: string } | null>(null);

  const run = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      await queryClient.invalidateQueries({ queryKey: trpc.account.pathKey() });
    } catch (failure) {
      setError(describeError(failure));
    }
  };

  const refused = people.error ?? signup.error;
  if (refused) {
    return (
      <>
        <AppHeader />
        <main className="list-page">
          <h1>People and invitations</h1>
          <p className="banner banner-error" role="alert">
            {describeError(refused)}
          </p>
        </main>
      </>
    );
  }

  return (
    <>
      <AppHeader />
      <main className="list-page settings-page">
        <h1>People and invitations</h1>
        <p className="muted">
          <Link href="/admin/workers" data-testid="admin.workers" className="inline-link">
            Workers
          </Link>{" "}
          — the machines that execute runs, what they run now and whether they are alive.
        </p>
        {error ? (
          <p className="banner banner-error" role="alert">
            {error}
          </p>
        ) : null}

        <section className="settings-section" aria-labelledby="signup-heading">
          <h2 id="signup-heading">Sign-up</h2>
          <label className="checkbox-line">
            <input
              type="checkbox"
              checked={signup.data?.open ?? false}
              disabled={!signup.data || setSignupOpen.isPending}
              onChange={(event) => void run(() => setSignupOpen.mutateAsync({ open: event.target.checked }))}
            />{" "}
            Anyone who reaches this DNO Studio may create an account (otherwise only invited people)
          </label>
        </section>

        <section className="settings-section" aria-labelledby="invite-heading">
          <h2 id="invite-heading">Invite someone</h2>
          <form
            className="list-actions"
            onSubmit={(event) => {
              event.preventDefault();
              const formElement = event.currentTarget;
              const form = new FormData(formElement);
              const email = String(form.get("invite-email") ?? "").trim();
              const role = form.get("invite-role") === "admin" ? "admin" : "user";
              void run(async () => {
                const result = await invite.mutateAsync({ email, role });
                setLastLink({ email: result.email, link: result.link, delivered: result.delivered });
                formElement.reset();
              });
            }}
          >
            <label htmlFor="invite-email">Email</label>
            <input id="invite-email" name="invite-email" type="email" className="input" required />
            <label htmlFor="invite-role">Role</label>
            <select id="invite-role" name="invite-role" className="select" defaultValue="user">
              <option value="user">Member</option>
              <option value="admin">Administrator</option>
            </select>
            <button type="submit" className="btn btn-primary" disabled={invite.isPending}>
              Send invitation
            </button>
          </form>
          {lastLink ? (
            <div className="banner banner-info" role="status" data-testid="admin.invitation-link">
              <p>
                {lastLink.delivered === "smtp"
                  ? `Invitation mailed to ${lastLink.email}. You can also pass on this link:`
                  : `No mail server is configured, so the link is in the server log. Pass it on to ${lastLink.email}:`}
              </p>
              <code className="token-value">{lastLink.link}</code>
            </div>
          ) : null}
          <table className="workflow-table">
            <thead>
              <tr>
                <th>Email</th>
                <th>Role</th>
                <th>Status</th>
                <th>Expires</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(invitations.data ?? []).map((invitation) => (
                <tr key={invitation.id}>
                  <td>{invitation.email}</td>
                  <td>{invitation.role === "admin" ? "Administrator" : "Member"}</td>
                  <td>{invitation.status}</td>
                  <td>{invitation.expiresAt.toLocaleString()}</td>
                  <td>
                    {invitation.status === "pending" ? (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        onClick={() => void run(() => revoke.mutateAsync({ invitationId: invitation.id }))}
                      >
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>

        <section className="settings-section" aria-labelledby="people-heading">
          <h2 id="people-heading">People</h2>
          <table className="workflow-table" data-testid="admin.people">
            <thead>
              <tr>
                <th>Name</th>
                <th>Email</th>
                <th>Role</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(people.data ?? []).map((person) => (
                <tr key={person.id}>
                  <td>{person.name}</td>
                  <td>{person.email}</td>
                  <td>{ROLE_LABELS[person.role]}</td>
                  <td>
                    {person.role === "owner" ? null : (
                      <button
                        type="button"
                        className="btn btn-small"
                        onClick={() =>
                          void run(() =>
                            setAdmin.mutateAsync({ userId: person.id, admin: person.role !== "admin" }),
                          )
                        }
                      >
                        {person.role === "admin" ? "Remove admin" : "Make admin"}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </main>
    </>
  );
}
