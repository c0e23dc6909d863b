import { redirect } from "next/navigation";
import { getDb } from "@/server/db/client";
import { ensureDatabaseReady } from "@/server/db/ready";
import { needsSetup } from "@/server/services/accounts/signup-settings";
import { AuthCard } from "../_auth/auth-card";
import { SignUpForm } from "../_auth/sign-up-form";

export const dynamic = "force-dynamic";

/** First start: the first visitor creates the owner account. Once any account exists, this page is gone. */
export default async function SetupPage() {
  await ensureDatabaseReady();
  if (!(await needsSetup(getDb()))) redirect("/sign-in");
  return (
    <AuthCard title="Set up DNO Studio">
      <p className="muted">
        Create the owner account. The owner sees everything on this DNO Studio, invites people and makes
        administrators. Workflows, runs and uploads made before now become the owner's.
      </p>
      <SignUpForm submitLabel="Create the owner account" />
    </AuthCard>
  );
}
