"use client";
import Link from "next/link";
import { useState } from "react";
import { Field } from "./auth-card";
import { authClient, authErrorMessage, safeNextPath } from "./auth-client";
import { useHydrated } from "@/app/_lib/use-hydrated";

/** Email + password through the auth library's endpoint (its rate limit and origin check apply). */
export function SignInForm(props: { readonly next?: string; readonly signupOpen: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();

  const onSubmit = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    const { error: failure } = await authClient.signIn.email({
      email: String(form.get("email") ?? "").trim(),
      password: String(form.get("password") ?? ""),
    });
    if (failure) {
      setBusy(false);
      // The same words whether the email exists or not: nobody learns who has an account.
      setError(
        failure.status === 401
          ? "Wrong email or password. Check both and try again."
          : authErrorMessage(failure, "sign in"),
      );
      return;
    }
    window.location.assign(safeNextPath(props.next));
  };

  return (
    <form method="post" className="auth-form" onSubmit={onSubmit} data-testid="auth.sign-in-form">
      <Field label="Email" name="email" type="email" autoComplete="email" />
      <Field label="Password" name="password" type="password" autoComplete="current-password" />
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" className="btn btn-primary" disabled={busy || !hydrated}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
      <p className="muted">
        <Link href="/reset-password">Forgot your password?</Link>
        {props.signupOpen ? (
          <>
            {" · "}
            <Link href="/sign-up">Create an account</Link>
          </>
        ) : null}
      </p>
    </form>
  );
}
