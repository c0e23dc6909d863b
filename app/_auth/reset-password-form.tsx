"use client";
import Link from "next/link";
import { useState } from "react";
import { Field } from "./auth-card";
import { authClient, authErrorMessage } from "./auth-client";
import { useHydrated } from "@/app/_lib/use-hydrated";

/** Step 1: ask for a reset link. The answer is the same whether the email has an account or not. */
export function RequestResetForm() {
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();

  const onSubmit = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    const { error: failure } = await authClient.requestPasswordReset({
      email: String(form.get("email") ?? "").trim(),
      redirectTo: "/reset-password",
    });
    setBusy(false);
    if (failure) setError(authErrorMessage(failure, "send the link"));
    else setSent(true);
  };

  if (sent) {
    return (
      <p className="banner banner-info" role="status">
        If that email has an account, a link to choose a new password is on its way. Without a mail server,
        the link is in the server's log: ask whoever runs this DNO Studio.
      </p>
    );
  }
  return (
    <form method="post" className="auth-form" onSubmit={onSubmit} data-testid="auth.reset-request-form">
      <Field label="Email" name="email" type="email" autoComplete="email" />
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" className="btn btn-primary" disabled={busy || !hydrated}>
        Send me a reset link
      </button>
      <p className="muted">
        <Link href="/sign-in">Back to sign in</Link>
      </p>
    </form>
  );
}

/** Step 2: the link's token and a new password. */
export function SetNewPasswordForm(props: { readonly token: string }) {
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();

  const onSubmit = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const newPassword = String(form.get("password") ?? "");
    if (newPassword !== String(form.get("confirm") ?? "")) {
      setError("The two passwords differ. Type the same password twice.");
      return;
    }
    setBusy(true);
    setError(null);
    const { error: failure } = await authClient.resetPassword({ newPassword, token: props.token });
    setBusy(false);
    if (failure) {
      setError(
        failure.status === 400
          ? "This reset link is no longer valid (used or expired). Ask for a new one."
          : authErrorMessage(failure, "set the password"),
      );
    } else setDone(true);
  };

  if (done) {
    return (
      <p className="banner banner-info" role="status">
        Your password is changed. <Link href="/sign-in">Sign in</Link> with the new one.
      </p>
    );
  }
  return (
    <form method="post" className="auth-form" onSubmit={onSubmit} data-testid="auth.reset-form">
      <Field
        label="New password"
        name="password"
        type="password"
        autoComplete="new-password"
        minLength={10}
      />
      <Field label="New password again" name="confirm" type="password" autoComplete="new-password" />
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" className="btn btn-primary" disabled={busy || !hydrated}>
        Set the new password
      </button>
    </form>
  );
}
