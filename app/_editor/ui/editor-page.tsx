"use client";
/** Loads one workflow's head version and opens the editor on it (a fresh store per opened version). */
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { AppHeader } from "@/app/_components/app-header";
import { useEffect, useState } from "react";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";
import type { AppRouter } from "@/server/api/root";
import { WorkflowEditor } from "./workflow-editor";

export type InitialWorkflow = inferRouterOutputs<AppRouter>["workflow"]["get"];

export function EditorPage(props: {
  readonly workflowId: string;
  readonly initialWorkflow: InitialWorkflow | null;
}) {
  const trpc = useTRPC();
  // The canvas measures DOM nodes: it renders in the browser only (the server sends the loading shell).
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  const workflow = useQuery({
    ...trpc.workflow.get.queryOptions({ workflowId: props.workflowId }),
    initialData: props.initialWorkflow ?? undefined,
    // The editor owns the document once opened: never refetch it underneath the user's edits.
    staleTime: Number.POSITIVE_INFINITY,
    // Dropped when the editor closes: reopening reads the server again (initial data or a fetch).
    gcTime: 0,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
  if (workflow.isPending || !mounted) return <div className="loading">Opening workflow…</div>;
  if (workflow.isError) {
    return (
      <>
        <AppHeader />
        <div className="list-page">
          <div className="banner banner-error" role="alert" data-testid="editor.load-error">
            {describeError(workflow.error)}
          </div>
          <Link href="/">← All workflows</Link>
        </div>
      </>
    );
  }
  const data = workflow.data;
  return (
    <WorkflowEditor
      key={data.headVersion.id}
      workflow={{
        id: data.id,
        name: data.name,
        versionId: data.headVersion.id,
        versionNumber: data.headVersion.number,
        document: data.document,
        role: data.yourRole,
      }}
    />
  );
}
