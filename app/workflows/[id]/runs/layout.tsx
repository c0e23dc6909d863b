import type { ReactNode } from "react";
import { AppHeader } from "@/app/_components/app-header";

/** A workflow's run history and comparison get the app header (the editor above them draws its own). */
export default function WorkflowRunsLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <AppHeader />
      {children}
    </>
  );
}
