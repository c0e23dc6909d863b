import { redirect } from "next/navigation";
import { pageActor } from "@/server/auth/page-actor";
import { getDb } from "@/server/db/client";
import { isSignupOpen, needsSetup } from "@/server/services/accounts/signup-settings";
import { AuthCard } from "../_auth/auth-card";
import { safeNextPath } from "../_auth/auth-client";
import { SignInForm } from "../_auth/sign-in-form";

export const dynamic = "force-dynamic";

export default async function SignInPage(props: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await props.searchParams;
  const actor = await pageActor();
  const db = getDb();
  if (await needsSetup(db)) redirect("/setup");
  if (actor.userId !== null) redirect(safeNextPath(next));
  return (
    <AuthCard title="Sign in to DNO Studio">
      <SignInForm next={safeNextPath(next)} signupOpen={await isSignupOpen(db)} />
    </AuthCard>
  );
}
