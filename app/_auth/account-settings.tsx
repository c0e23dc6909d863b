"use client";
/** Settings of the signed-in person: change password, personal API tokens (for the CLI and scripts). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";
import { AppHeader } from "../_components/app-header";
import { Field } from "./auth-card";
import { authClient, authErrorMessage } from "./auth-client";
import { useHydrated } from "@/app/_lib/use-hydrated";

function ChangePassword() {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();
  const onSubmit = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const newPassword = String(form.get("new-password") ?? "");
    if (newPassword !== String(form.get("confirm-password") ?? "")) {
      setMessage({ ok: false, text: "The two new passwords differ. Type the same password twice." });
      return;
    }
    setBusy(true);
    setMessage(null);
    const { error } = await authClient.changePassword({
      currentPassword: String(form.get("current-password") ?? ""),
      newPassword,
      revokeOtherSessions: true,
    });
    setBusy(false);
    if (error) {
      setMessage({
        ok: false,
        text: /invalid password/i.test(error.message ?? "")
          ? "The current password is wrong. Nothing was changed."
          : authErrorMessage(error, "change the password"),
      });
      return;
    }
    formElement.reset();
    setMessage({ ok: true, text: "Password changed. Your other sessions were signed out." });
  };
  return (
    <section className="settings-section" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <form method="post" className="auth-form" onSubmit={onSubmit} data-testid="settings.password-form">
        <Field
          label="Current password"
          name="current-password"
          type="password"
          autoComplete="current-password"
        />
        <Field
          label="New password"
          name="new-password"
          type="password"
          autoComplete="new-password"
          minLength={10}
        />
        <Field
          label="New password again"
          name="confirm-password"
          type="password"
          autoComplete="new-password"
        />
        {message ? (
          <p
            className={message.ok ? "banner banner-info" : "error-text"}
            role={message.ok ? "status" : "alert"}
          >
            {message.text}
          </p>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={busy || !hydrated}>
          Change password
        </button>
      </form>
    </section>
  );
}

function ApiTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.account.listApiTokens.queryOptions());
  const create = useMutation(trpc.account.createApiToken.mutationOptions());
  const revoke = useMutation(trpc.account.revokeApiToken.mutationOptions());
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.account.listApiTokens.queryKey() });

  const onCreate = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const name = String(new FormData(formElement).get("token-name") ?? "").trim();
    setError(null);
    try {
      const result = await create.mutateAsync({ name });
      setCreated({ name: result.name, token: result.token });
      formElement.reset();
      await refresh();
    } catch (failure) {
      setError(describeError(failure));
    }
  };

  return (
    <section className="settings-section" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">Personal API tokens</h2>
      <p className="muted">
        A token lets the command line and scripts act as you: send it as <code>Authorization: Bearer …</code>{" "}
        or pass it to <code>npm run dno -- --server … --token …</code>. Anyone with the token can do what you
        can; revoke it when it is no longer needed.
      </p>
      <form className="list-actions" onSubmit={onCreate}>
        <label htmlFor="token-name">Token name</label>
        <input
          id="token-name"
          name="token-name"
          className="input"
          required
          maxLength={80}
          placeholder="e.g. nightly script"
        />
        <button type="submit" className="btn" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      {created ? (
        <div className="banner banner-info" role="status" data-testid="settings.new-token">
          <p>Token “{created.name}” — copy it now, it is shown only once:</p>
          <code className="token-value">{created.token}</code>
        </div>
      ) : null}
      <table className="workflow-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Starts with</th>
            <th>Created</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(tokens.data ?? []).map((token) => (
            <tr key={token.id}>
              <td>{token.name}</td>
              <td>
                <code>{token.prefix}…</code>
              </td>
              <td>{token.createdAt.toLocaleString()}</td>
              <td>{token.lastUsedAt ? token.lastUsedAt.toLocaleString() : "never"}</td>
              <td>
                <button
                  type="button"
                  className="btn btn-small btn-danger"
                  onClick={async () => {
                    await revoke.mutateAsync({ tokenId: token.id });
                    await refresh();
                  }}
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
          {tokens.data && tokens.data.length === 0 ? (
            <tr>
              <td colSpan={5} className="faint">
                No tokens yet.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </section>
  );
}

export function AccountSettings() {
  return (
    <>
      <AppHeader />
      <main className="list-page settings-page">
        <h1>Settings</h1>
        <ChangePassword />
        <ApiTokens />
      </main>
    </>
  );
}
