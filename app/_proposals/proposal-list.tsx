"use client";
/** A workflow's proposals with their status: open ones first (they wait for a decision). */
import "./proposals.css";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";
import { ProposalStatus } from "./proposal-view";

export function ProposalList(props: { readonly workflowId: string }) {
  const { workflowId } = props;
  const trpc = useTRPC();
  const list = useQuery(trpc.proposals.list.queryOptions({ workflowId }));
  const workflow = useQuery(trpc.workflow.get.queryOptions({ workflowId }));
  if (list.isPending) return <div className="loading">Loading proposals…</div>;
  if (list.isError) {
    return (
      <div className="proposal-page">
        <div className="banner banner-error" role="alert" data-testid="proposals.error">
          {describeError(list.error)}
        </div>
        <Link href="/">← All workflows</Link>
      </div>
    );
  }
  const { proposals, role } = list.data;
  const canPropose = role !== "viewer";
  return (
    <div className="proposal-page" data-testid="proposals-page">
      <div className="proposal-head">
        <Link href={`/workflows/${workflowId}`}>← {workflow.data?.name ?? "The workflow"}</Link>
        <h1>Proposals</h1>
        <span className="spacer" />
        {canPropose && workflow.data ? (
          <Link
            className="btn btn-small btn-primary"
            href={`/workflows/${workflowId}/review?version=${workflow.data.headVersion.id}`}
            data-testid="proposals.new"
          >
            Review the current version
          </Link>
        ) : null}
      </div>
      {proposals.length === 0 ? (
        <p className="muted" data-testid="proposals.empty">
          No proposals yet. A reviewer opens a version or a run in review mode, changes it and runs it; the
          result is a proposal that the owner or an editor accepts or declines.
        </p>
      ) : (
        <table className="workflow-table" data-testid="proposals.list">
          <thead>
            <tr>
              <th>Proposal</th>
              <th>Status</th>
              <th>By</th>
              <th>From</th>
              <th>Runs</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {proposals.map((proposal) => (
              <tr key={proposal.id} data-testid={`proposals.item.${proposal.id}`}>
                <td>
                  <Link href={`/workflows/${workflowId}/proposals/${proposal.id}`}>{proposal.title}</Link>
                </td>
                <td>
                  <ProposalStatus status={proposal.status} />
                  {proposal.acceptedVersionNumber !== null ? (
                    <span className="muted"> as v{proposal.acceptedVersionNumber}</span>
                  ) : null}
                </td>
                <td>{proposal.authorName}</td>
                <td>v{proposal.baseVersionNumber}</td>
                <td>{proposal.runCount}</td>
                <td className="muted">{new Date(proposal.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
