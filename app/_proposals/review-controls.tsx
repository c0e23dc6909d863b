"use client";
/**
 * The editor's toolbar in review mode: the edits are a proposal, never a new version. “Save proposal”
 * creates the proposal (first time) or updates it; “Run proposal” saves it and runs it, then opens the
 * proposal's page where its runs appear next to the base run.
 */
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { EditorStore } from "@/app/_editor/core/editor-store";
import { describeError } from "@/app/_lib/errors";
import { setLiveRun } from "@/app/_runs/live-run-store";
import { useTRPC } from "@/app/_trpc/provider";

export interface ReviewTarget {
  /** Set when an existing proposal is being changed. */
  readonly proposalId: string | null;
  readonly baseVersionId: string;
  readonly baseVersionNumber: number;
  /** The run the review started from (its runs are compared with this one). */
  readonly fromRunId: string | null;
  readonly title: string;
}

/** Node ids named by a refusal's issues, so the canvas can mark them (same as a refused run). */
function refusedNodes(error: unknown): Map<string, string[]> {
  const byNode = new Map<string, string[]>();
  const data: unknown = typeof error === "object" && error !== null && "data" in error ? error.data : null;
  const issues = typeof data === "object" && data !== null && "issues" in data ? data.issues : [];
  if (!Array.isArray(issues)) return byNode;
  for (const issue of issues as { nodeId?: unknown; message?: unknown }[]) {
    if (typeof issue?.nodeId !== "string" || typeof issue.message !== "string") continue;
    byNode.set(issue.nodeId, [...(byNode.get(issue.nodeId) ?? []), issue.message]);
  }
  return byNode;
}

export function ReviewBanner(props: { readonly review: ReviewTarget }) {
  return (
    <span className="review-banner" role="status" data-testid="review.banner">
      Reviewing version {props.review.baseVersionNumber} — your changes are a proposal, not a new version
    </span>
  );
}

export function ReviewControls(props: {
  readonly workflowId: string;
  readonly store: EditorStore;
  readonly review: ReviewTarget;
  readonly onMessage: (message: string) => void;
}) {
  const { workflowId, store, review, onMessage } = props;
  const trpc = useTRPC();
  const router = useRouter();
  const [proposalId, setProposalId] = useState(review.proposalId);
  const [title, setTitle] = useState(review.title);
  const [error, setError] = useState<string | null>(null);
  const create = useMutation(trpc.proposals.create.mutationOptions());
  const update = useMutation(trpc.proposals.update.mutationOptions());
  const run = useMutation(trpc.proposals.run.mutationOptions());
  const busy = create.isPending || update.isPending || run.isPending;

  /** Stores the canvas as the proposal; returns its id, or null when refused (the error is shown). */
  const saveProposal = async (): Promise<string | null> => {
    const sentGraph = store.getSnapshot().document;
    const document = store.getDocumentForSave();
    setError(null);
    setLiveRun({ refused: new Map() });
    try {
      let id = proposalId;
      if (id) {
        // The base goes along: a proposal redone on the current version moves onto it.
        await update.mutateAsync({ proposalId: id, document, title, baseVersionId: review.baseVersionId });
      } else {
        const created = await create.mutateAsync({
          workflowId,
          versionId: review.baseVersionId,
          document,
          ...(title.trim() ? { title } : {}),
        });
        id = created.id;
        setProposalId(id);
      }
      store.markSaved(review.baseVersionId, sentGraph);
      return id;
    } catch (failure) {
      setError(describeError(failure));
      setLiveRun({ refused: refusedNodes(failure) });
      return null;
    }
  };

  return (
    <>
      <input
        className="input"
        style={{ width: 200 }}
        value={title}
        maxLength={200}
        placeholder="Proposal title"
        aria-label="Proposal title"
        onChange={(event) => setTitle(event.target.value)}
        data-testid="review.title"
      />
      <button
        type="button"
        className="btn btn-small"
        disabled={busy}
        onClick={async () => {
          const id = await saveProposal();
          if (id) onMessage("Proposal saved. The workflow itself did not change.");
        }}
        title="Save your changes as a proposal (the workflow does not change)"
        data-testid="review.save"
      >
        Save proposal
      </button>
      <button
        type="button"
        className="btn btn-small btn-run"
        disabled={busy}
        onClick={async () => {
          const id = await saveProposal();
          if (!id) return;
          try {
            await run.mutateAsync({
              proposalId: id,
              ...(review.fromRunId ? { revisesRunId: review.fromRunId } : {}),
            });
            router.push(`/workflows/${workflowId}/proposals/${id}`);
          } catch (failure) {
            setError(describeError(failure));
            setLiveRun({ refused: refusedNodes(failure) });
          }
        }}
        title="Save the proposal and run it (no new version is made)"
        data-testid="review.run"
      >
        {run.isPending ? "Starting…" : "▶ Run proposal"}
      </button>
      {proposalId ? (
        <Link
          className="btn btn-small"
          href={`/workflows/${workflowId}/proposals/${proposalId}`}
          data-testid="review.open-proposal"
        >
          Open proposal
        </Link>
      ) : null}
      {error ? (
        <div className="run-bar run-bar-error" data-testid="review.error-bar">
          <span className="run-bar-message" role="alert" data-testid="review.error">
            {error}
          </span>
        </div>
      ) : null}
    </>
  );
}
