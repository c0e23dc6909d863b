import type { ReactNode } from "react";
import { AppHeader } from "@/app/_components/app-header";

/** A workflow's proposals get the app header (the editor draws its own). */
export default function ProposalsLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <AppHeader />
      {children}
    </>
  );
}
