"use client";
/** Loads one workflow's head version and opens the editor on it (a fresh store per opened version). */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";
import { WorkflowEditor } from "./workflow-editor";

export function EditorPage(props: { readonly workflowId: string }) {
  const trpc = useTRPC();
  const workflow = useQuery({
    ...trpc.workflow.get.queryOptions({ workflowId: props.workflowId }),
    // The editor owns the document once opened: never refetch it underneath the user's edits.
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
  if (workflow.isPending) return <div className="loading">Opening workflow…</div>;
  if (workflow.isError) {
    return (
      <div className="list-page">
        <div className="banner banner-error" role="alert" data-testid="editor.load-error">
          {describeError(workflow.error)}
        </div>
        <Link href="/">← All workflows</Link>
      </div>
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
      }}
    />
  );
}
