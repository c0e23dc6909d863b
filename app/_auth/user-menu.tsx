"use client";
/** The header's account menu: who is signed in, their settings, the admin page (owner/admins), sign out. */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/app/_trpc/provider";
import { authClient } from "./auth-client";
import "./auth.css";

export function UserMenu() {
  const trpc = useTRPC();
  const me = useQuery(trpc.account.me.queryOptions(undefined, { staleTime: 60_000, retry: false }));
  if (!me.data) return null;
  const signOut = async () => {
    await authClient.signOut();
    window.location.assign("/sign-in");
  };
  return (
    <details className="user-menu" data-testid="user-menu">
      <summary className="btn btn-small" title={me.data.email}>
        {me.data.name}
      </summary>
      <div className="user-menu-items" role="menu">
        <p className="faint">{me.data.email}</p>
        <Link href="/settings" role="menuitem" data-testid="user-menu.settings">
          Settings
        </Link>
        {me.data.role === "owner" || me.data.role === "admin" ? (
          <Link href="/admin" role="menuitem" data-testid="user-menu.admin">
            People and invitations
          </Link>
        ) : null}
        <button type="button" className="btn btn-small" role="menuitem" onClick={() => void signOut()}>
          Sign out
        </button>
      </div>
    </details>
  );
}
