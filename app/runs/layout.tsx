import type { ReactNode } from "react";
import { AppHeader } from "@/app/_components/app-header";

/** Run pages get the app header like every other page (its own layout, since the run view has several states). */
export default function RunsLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <AppHeader />
      {children}
    </>
  );
}
