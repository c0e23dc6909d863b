"use client";
/**
 * Creates an account through the auth library's sign-up endpoint. Used by /setup (the first account becomes
 * the owner) and /sign-up (open sign-up, or an invitation link whose token travels in a header); the server
 * decides the role and refuses what is not allowed.
 */
import { useState } from "react";
import { Field } from "./auth-card";
import { authClient, authErrorMessage, safeNextPath } from "./auth-client";
import { useHydrated } from "@/app/_lib/use-hydrated";

const MIN_PASSWORD_LENGTH = 10;

export function SignUpForm(props: {
  readonly submitLabel: string;
  readonly invitationToken?: string;
  readonly email?: string;
  readonly next?: string;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();

  const onSubmit = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = String(form.get("name") ?? "").trim();
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    if (password !== String(form.get("confirm") ?? "")) {
      setError("The two passwords differ. Type the same password twice.");
      return;
    }
    setBusy(true);
    setError(null);
    const { error: failure } = await authClient.signUp.email(
      { name, email, password },
      props.invitationToken ? { headers: { "x-dno-invitation": props.invitationToken } } : undefined,
    );
    if (failure) {
      setBusy(false);
      setError(authErrorMessage(failure, "create the account"));
      return;
    }
    // A full load: every page and the header read the new session.
    window.location.assign(safeNextPath(props.next));
  };

  return (
    <form method="post" className="auth-form" onSubmit={onSubmit} data-testid="auth.sign-up-form">
      <Field label="Your name" name="name" autoComplete="name" />
      <Field
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        defaultValue={props.email}
        readOnly={props.email !== undefined}
      />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        minLength={MIN_PASSWORD_LENGTH}
        hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
      />
      <Field label="Password again" name="confirm" type="password" autoComplete="new-password" />
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" className="btn btn-primary" disabled={busy || !hydrated}>
        {busy ? "Creating…" : props.submitLabel}
      </button>
    </form>
  );
}
