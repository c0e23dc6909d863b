"use client";
/**
 * Review mode: the editor opened on a version, on what a run executed, or on an existing proposal, with its
 * edits going to a proposal instead of a new version (review-controls.tsx).
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { AppHeader } from "@/app/_components/app-header";
import { WorkflowEditor } from "@/app/_editor/ui/workflow-editor";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";
import type { GraphDocument } from "@/nodes/graph/document";
import type { ReviewTarget } from "./review-controls";

export type ReviewSource =
  | { versionId: string }
  | { runId: string }
  /** `onto: "head"`: redo the proposal on the current version (the canvas starts from it). */
  | { proposalId: string; onto?: "head" };

interface Opened {
  document: GraphDocument;
  review: ReviewTarget;
}

function useReviewSource(
  source: ReviewSource,
  head: { id: string; number: number; document: GraphDocument } | undefined,
): { data?: Opened; error?: unknown; pending: boolean } {
  const trpc = useTRPC();
  const version = useQuery({
    ...trpc.version.get.queryOptions({ versionId: "versionId" in source ? source.versionId : "" }),
    enabled: "versionId" in source && source.versionId !== "",
    staleTime: Number.POSITIVE_INFINITY,
  });
  const run = useQuery({
    ...trpc.run.get.queryOptions({ runId: "runId" in source ? source.runId : "" }),
    enabled: "runId" in source,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const proposal = useQuery({
    ...trpc.proposals.get.queryOptions({ proposalId: "proposalId" in source ? source.proposalId : "" }),
    enabled: "proposalId" in source,
    staleTime: Number.POSITIVE_INFINITY,
  });
  if ("versionId" in source) {
    if (!version.data) return { error: version.error, pending: version.isPending };
    return {
      pending: false,
      data: {
        document: version.data.document,
        review: {
          proposalId: null,
          baseVersionId: version.data.id,
          baseVersionNumber: version.data.number,
          fromRunId: null,
          title: "",
        },
      },
    };
  }
  if ("runId" in source) {
    if (!run.data) return { error: run.error, pending: run.isPending };
    return {
      pending: false,
      data: {
        document: run.data.document,
        review: {
          proposalId: null,
          baseVersionId: run.data.workflowVersionId,
          baseVersionNumber: run.data.versionNumber,
          fromRunId: run.data.id,
          title: "",
        },
      },
    };
  }
  if (!proposal.data) return { error: proposal.error, pending: proposal.isPending };
  if ("onto" in source && source.onto === "head") {
    if (!head) return { pending: true };
    return {
      pending: false,
      data: {
        document: head.document,
        review: {
          proposalId: proposal.data.id,
          baseVersionId: head.id,
          baseVersionNumber: head.number,
          fromRunId: null,
          title: proposal.data.title,
        },
      },
    };
  }
  return {
    pending: false,
    data: {
      document: proposal.data.document,
      review: {
        proposalId: proposal.data.id,
        baseVersionId: proposal.data.baseVersionId,
        baseVersionNumber: proposal.data.baseVersionNumber,
        fromRunId: proposal.data.baseRun?.id ?? null,
        title: proposal.data.title,
      },
    },
  };
}

export function ReviewPage(props: { readonly workflowId: string; readonly source: ReviewSource | null }) {
  const trpc = useTRPC();
  // The canvas measures DOM nodes: it renders in the browser only.
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  const workflow = useQuery({
    ...trpc.workflow.get.queryOptions({ workflowId: props.workflowId }),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const source: ReviewSource = props.source ?? { versionId: workflow.data?.headVersion.id ?? "" };
  const opened = useReviewSource(
    source,
    workflow.data
      ? {
          id: workflow.data.headVersion.id,
          number: workflow.data.headVersion.number,
          document: workflow.data.document,
        }
      : undefined,
  );
  const error = workflow.error ?? opened.error;
  if (error || (props.source === null && workflow.isError)) {
    return (
      <>
        <AppHeader />
        <div className="list-page">
          <div className="banner banner-error" role="alert" data-testid="review.load-error">
            {describeError(error)}
          </div>
          <Link href={`/workflows/${props.workflowId}`}>← Back to the workflow</Link>
        </div>
      </>
    );
  }
  if (!mounted || !workflow.data || !opened.data) return <div className="loading">Opening for review…</div>;
  return (
    <WorkflowEditor
      key={`${opened.data.review.baseVersionId}:${opened.data.review.proposalId ?? ""}`}
      workflow={{
        id: workflow.data.id,
        name: workflow.data.name,
        versionId: opened.data.review.baseVersionId,
        versionNumber: opened.data.review.baseVersionNumber,
        document: opened.data.document,
        review: opened.data.review,
      }}
    />
  );
}
