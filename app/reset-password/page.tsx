import { AuthCard } from "../_auth/auth-card";
import { RequestResetForm, SetNewPasswordForm } from "../_auth/reset-password-form";

export const dynamic = "force-dynamic";

/** Forgotten password: ask for a link (mailed, or in the server log), then set a new password from it. */
export default async function ResetPasswordPage(props: {
  searchParams: Promise<{ token?: string; error?: string }>;
}) {
  const { token, error } = await props.searchParams;
  if (token) {
    return (
      <AuthCard title="Choose a new password">
        <SetNewPasswordForm token={token} />
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Reset your password">
      {error ? (
        <p className="banner banner-error" role="alert">
          That reset link is no longer valid (used or expired). Ask for a new one below.
        </p>
      ) : null}
      <RequestResetForm />
    </AuthCard>
  );
}
