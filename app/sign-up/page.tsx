import Link from "next/link";
import { redirect } from "next/navigation";
import { getDb } from "@/server/db/client";
import { ensureDatabaseReady } from "@/server/db/ready";
import { getInvitationByToken } from "@/server/services/accounts/get-invitation";
import { isSignupOpen, needsSetup } from "@/server/services/accounts/signup-settings";
import { AuthCard } from "../_auth/auth-card";
import { SignUpForm } from "../_auth/sign-up-form";

export const dynamic = "force-dynamic";

/** Create an account: with an invitation link, or by anyone while the owner keeps sign-up open. */
export default async function SignUpPage(props: { searchParams: Promise<{ invitation?: string }> }) {
  const { invitation } = await props.searchParams;
  await ensureDatabaseReady();
  const db = getDb();
  if (await needsSetup(db)) redirect("/setup");
  if (invitation) {
    const found = await getInvitationByToken(db, invitation);
    if (!found.ok) {
      return (
        <AuthCard title="Create your DNO Studio account">
          <p className="banner banner-error" role="alert">
            {found.reason}
          </p>
          <p className="muted">
            <Link href="/sign-in">Sign in</Link>
          </p>
        </AuthCard>
      );
    }
    return (
      <AuthCard title="Create your DNO Studio account">
        <p className="muted">You were invited as {found.email}.</p>
        <SignUpForm submitLabel="Create my account" invitationToken={invitation} email={found.email} />
      </AuthCard>
    );
  }
  if (!(await isSignupOpen(db))) {
    return (
      <AuthCard title="Create your DNO Studio account">
        <p className="banner banner-info" role="status">
          Sign-up is by invitation only on this DNO Studio. Ask its owner or an administrator for an
          invitation link.
        </p>
        <p className="muted">
          Already have an account? <Link href="/sign-in">Sign in</Link>
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Create your DNO Studio account">
      <SignUpForm submitLabel="Create my account" />
      <p className="muted">
        Already have an account? <Link href="/sign-in">Sign in</Link>
      </p>
    </AuthCard>
  );
}
