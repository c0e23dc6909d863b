/**
 * The one app header: the name links home on every page (list, editor, runs, history, compare, uploads).
 * Pages add their own title or toolbar as children; `nav` adds the links between the app's lists; the
 * account menu (settings, people, sign out) sits at the end.
 */
import Link from "next/link";
import type { ReactNode } from "react";
import { UserMenu } from "../_auth/user-menu";
import { NotificationsBell } from "@/app/_comments/notifications-menu";

export function AppHeader(props: {
  readonly children?: ReactNode;
  readonly nav?: boolean;
  /** The account menu (off on the sign-in and setup pages). */
  readonly account?: boolean;
}) {
  const { children, nav = true, account = true } = props;
  return (
    <header className="app-header" data-testid="app-header">
      <Link href="/" className="brand" title="All workflows" data-testid="nav.home">
        <span className="brand-mark" aria-hidden="true" />
        DNO Studio
      </Link>
      {children}
      {account ? <NotificationsBell /> : null}
      {nav ? (
        <nav className="app-nav" aria-label="Main">
          <Link href="/" className="btn btn-small" data-testid="nav.workflows">
            Workflows
          </Link>
          <Link href="/assets" className="btn btn-small" data-testid="nav.assets">
            Uploaded files
          </Link>
        </nav>
      ) : null}
      {account ? <UserMenu /> : null}
    </header>
  );
}
