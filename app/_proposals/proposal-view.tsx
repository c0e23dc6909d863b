"use client";
/**
 * One proposal: what it changes (the readable diff from its base version), its runs side by side with the
 * base run (images, curves, the reward-hacking meter: the run comparison), the discussion, and — for the
 * owner and editors — Accept (it becomes the next version, crediting its author) or Decline with a comment.
 * Its author can open it in review mode to change it, run it again, or withdraw it.
 */
import "./proposals.css";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { CommentThreads } from "@/app/_comments/comment-threads";
import { describeError } from "@/app/_lib/errors";
import { RunCompare } from "@/app/_runs/run-compare";
import { FINISHED } from "@/app/_runs/run-types";
import { useTRPC } from "@/app/_trpc/provider";
import { DiffList } from "./diff-list";

function formatDate(date: Date | string): string {
  const value = typeof date === "string" ? new Date(date) : date;
  return value.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function ProposalStatus(props: { readonly status: string }) {
  return (
    <span className={`proposal-status proposal-status-${props.status}`} data-testid="proposal.status">
      {props.status}
    </span>
  );
}

export function ProposalView(props: { readonly workflowId: string; readonly proposalId: string }) {
  const { proposalId, workflowId } = props;
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const detail = useQuery({
    ...trpc.proposals.get.queryOptions({ proposalId }),
    // Follow the proposal's runs while one is going.
    refetchInterval: (query) =>
      query.state.data?.runs.some((run) => !FINISHED.includes(run.status)) ? 2000 : false,
  });
  const run = useMutation(trpc.proposals.run.mutationOptions());
  const accept = useMutation(trpc.proposals.accept.mutationOptions());
  const decline = useMutation(trpc.proposals.decline.mutationOptions());
  const withdraw = useMutation(trpc.proposals.withdraw.mutationOptions());
  const [comment, setComment] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.proposals.get.queryKey({ proposalId }) });
    void queryClient.invalidateQueries({ queryKey: trpc.proposals.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.version.list.queryKey() });
  };
  const onError = (failure: unknown) => setError(describeError(failure));

  if (detail.isPending) return <div className="loading">Loading proposal…</div>;
  if (detail.isError) {
    return (
      <div className="proposal-page">
        <div className="banner banner-error" role="alert" data-testid="proposal.load-error">
          {describeError(detail.error)}
        </div>
        <Link href={`/workflows/${workflowId}/proposals`}>← Proposals</Link>
      </div>
    );
  }
  const proposal = detail.data;
  const busy = run.isPending || accept.isPending || decline.isPending || withdraw.isPending;
  // Newest proposal runs first, the base run before them: at most 8 columns.
  const proposalRuns = proposal.runs.slice(0, proposal.baseRun ? 3 : 4).reverse();
  const compared = [...(proposal.baseRun ? [proposal.baseRun] : []), ...proposalRuns];
  const labels = [
    ...(proposal.baseRun ? [`Base run (v${proposal.baseRun.versionNumber})`] : []),
    ...proposalRuns.map(
      (_, index) => `Proposal run ${proposal.runs.length - proposalRuns.length + index + 1}`,
    ),
  ];

  return (
    <div className="proposal-page" data-testid="proposal-page">
      <div className="proposal-head">
        <Link href={`/workflows/${workflowId}/proposals`} data-testid="proposal.back">
          ← Proposals of {proposal.workflowName}
        </Link>
        <span className="spacer" />
        <Link className="btn btn-small" href={`/workflows/${workflowId}`}>
          Open the workflow
        </Link>
      </div>
      <div className="proposal-head">
        <h1 data-testid="proposal.title">{proposal.title}</h1>
        <ProposalStatus status={proposal.status} />
      </div>
      <p className="muted" data-testid="proposal.byline">
        By {proposal.authorName} · from version {proposal.baseVersionNumber} ·{" "}
        {formatDate(proposal.createdAt)}
        {proposal.status === "accepted" && proposal.acceptedVersionNumber !== null
          ? ` · accepted by ${proposal.decidedByName ?? "someone"} as version ${proposal.acceptedVersionNumber}`
          : ""}
        {proposal.status === "declined" ? ` · declined by ${proposal.decidedByName ?? "someone"}` : ""}
      </p>
      {proposal.description ? <p>{proposal.description}</p> : null}
      {proposal.status === "declined" && proposal.decisionComment ? (
        <div className="banner banner-info" data-testid="proposal.decision-comment">
          {proposal.decidedByName ?? "The decider"}: {proposal.decisionComment}
        </div>
      ) : null}
      {proposal.status === "open" && proposal.head.moved ? (
        <div
          className={`banner ${proposal.head.conflicts.length > 0 ? "banner-error" : "banner-info"}`}
          data-testid="proposal.head-moved"
        >
          The workflow is now at version {proposal.head.number}.{" "}
          {proposal.head.conflicts.length > 0
            ? `This proposal clashes with it: ${proposal.head.conflicts.join(" ")} ${proposal.can.edit ? `Redo your change on version ${proposal.head.number} (below).` : `Ask ${proposal.authorName} to redo it on version ${proposal.head.number}.`}`
            : "Its changes apply cleanly on top: accepting keeps the newer changes too."}
        </div>
      ) : null}
      {error ? (
        <div className="banner banner-error" role="alert" data-testid="proposal.error">
          {error}
        </div>
      ) : null}
      {notice ? (
        <div className="banner banner-info" role="status" data-testid="proposal.notice">
          {notice}
        </div>
      ) : null}

      <div className="proposal-decision">
        {proposal.can.run ? (
          <button
            type="button"
            className="btn btn-run"
            disabled={busy}
            onClick={() => {
              setError(null);
              run.mutate(
                { proposalId, ...(proposal.baseRun ? { revisesRunId: proposal.baseRun.id } : {}) },
                { onSuccess: refresh, onError },
              );
            }}
            data-testid="proposal.run"
          >
            {run.isPending ? "Starting…" : "▶ Run the proposal"}
          </button>
        ) : null}
        {proposal.can.edit ? (
          <Link
            className="btn"
            href={`/workflows/${workflowId}/review?proposal=${proposalId}`}
            data-testid="proposal.edit"
          >
            Change it in review mode
          </Link>
        ) : null}
        {proposal.can.edit && proposal.head.moved ? (
          <Link
            className="btn"
            href={`/workflows/${workflowId}/review?proposal=${proposalId}&onto=head`}
            title="Open the current version in review mode; saving updates this proposal and moves it onto that version"
            data-testid="proposal.rebase"
          >
            Redo it on version {proposal.head.number}
          </Link>
        ) : null}
        {proposal.can.withdraw ? (
          <button
            type="button"
            className="btn btn-ghost"
            disabled={busy}
            onClick={() => withdraw.mutate({ proposalId }, { onSuccess: refresh, onError })}
            data-testid="proposal.withdraw"
          >
            Withdraw
          </button>
        ) : null}
      </div>

      <h2>What it changes (from version {proposal.baseVersionNumber})</h2>
      <DiffList changes={proposal.diff.changes} summary={proposal.diff.summary} testId="proposal.diff" />

      <h2>Runs side by side</h2>
      {compared.length >= 2 ? (
        <div data-testid="proposal.runs">
          <RunCompare
            workflowId={workflowId}
            runIds={compared.map((item) => item.id)}
            embedded
            labels={labels}
          />
        </div>
      ) : (
        <p className="muted" data-testid="proposal.no-runs">
          {proposal.runs.length === 0
            ? "The proposal has not run yet."
            : "There is no run of the base version to compare with yet."}
          {proposal.runs[0] ? (
            <>
              {" "}
              <Link href={`/runs/${proposal.runs[0].id}`}>Open the proposal's run</Link>
            </>
          ) : null}
        </p>
      )}

      <h2>Discussion</h2>
      <CommentThreads
        workflowId={workflowId}
        filter={{ proposalId }}
        // Viewers read the discussion; reviewers and up write in it.
        targets={
          proposal.role === "viewer"
            ? null
            : [{ label: "this proposal", target: { kind: "proposal", proposalId } }]
        }
        testId="proposal.comments"
      />

      {proposal.can.decide ? (
        <>
          <h2>Decision</h2>
          <div className="proposal-decision" data-testid="proposal.decide">
            <textarea
              className="textarea"
              placeholder="A comment for the author (required to decline)"
              value={comment}
              maxLength={5000}
              onChange={(event) => setComment(event.target.value)}
              data-testid="proposal.decision-input"
            />
            <button
              type="button"
              className="btn btn-primary"
              disabled={busy}
              onClick={() => {
                setError(null);
                accept.mutate(
                  { proposalId, ...(comment.trim() ? { comment } : {}) },
                  {
                    onSuccess: (result) => {
                      setNotice(
                        `Accepted as version ${result.version.number}${result.merged ? " (on top of the newer changes)" : ""}.`,
                      );
                      refresh();
                    },
                    onError,
                  },
                );
              }}
              data-testid="proposal.accept"
            >
              {accept.isPending ? "Accepting…" : "Accept as the next version"}
            </button>
            <button
              type="button"
              className="btn btn-danger"
              disabled={busy || comment.trim() === ""}
              title={comment.trim() === "" ? "Write why you decline first" : undefined}
              onClick={() => {
                setError(null);
                decline.mutate({ proposalId, comment }, { onSuccess: refresh, onError });
              }}
              data-testid="proposal.decline"
            >
              Decline
            </button>
          </div>
        </>
      ) : null}
      {proposal.status === "accepted" ? (
        <p>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => router.push(`/workflows/${workflowId}`)}
            data-testid="proposal.open-accepted"
          >
            Open version {proposal.acceptedVersionNumber}
          </button>
        </p>
      ) : null}
    </div>
  );
}
