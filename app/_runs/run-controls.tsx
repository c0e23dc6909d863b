"use client";
/**
 * The editor's Run button and live run panel: submits the current graph (saved as a version when it changed),
 * follows the run live (iteration, rewards, PR meter, gradient norm, time left), cancels it, links to the
 * run page and the run history. Also: a DNO Studio PNG dropped anywhere on the editor imports its workflow (use-png-workflow-drop.ts).
 */
import "./runs.css";
import { useMutation, useQuery } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { createPortal } from "react-dom";
import { Term } from "@/app/_components/term";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";
import type { EditorStore } from "../_editor/core/editor-store";
import type { GraphDocument } from "../_editor/core/types";
import { setLiveRun } from "./live-run-store";
import { meterSummary } from "./pr-meter";
import { QueuePlace } from "./queue-place";
import { rewardShownAs, shownReward } from "@/nodes/kinds/score-display";
import { FINISHED, formatDuration, formatNumber } from "./run-types";
import { formatTimeLeft } from "./time-left";
import { usePngWorkflowDrop } from "./use-png-workflow-drop";
import { useRunProgress } from "./use-run-progress";

function issuesByNode(error: unknown): Map<string, string[]> {
  const byNode = new Map<string, string[]>();
  if (!(error instanceof TRPCClientError)) return byNode;
  const data: unknown = error.data;
  const issues =
    typeof data === "object" && data !== null && "issues" in data ? (data as { issues: unknown }).issues : [];
  if (!Array.isArray(issues)) return byNode;
  for (const issue of issues) {
    if (typeof issue !== "object" || issue === null) continue;
    const { nodeId, message } = issue as { nodeId?: unknown; message?: unknown };
    if (typeof nodeId !== "string" || typeof message !== "string") continue;
    byNode.set(nodeId, [...(byNode.get(nodeId) ?? []), message]);
  }
  return byNode;
}

/** The element in the editor's right panel that the live run panel docks into. */
export const LIVE_RUN_SLOT_ID = "live-run-slot";

export function RunControls(props: {
  readonly workflowId: string;
  readonly store: EditorStore;
  /** The Run saved the graph as a new version: the editor's base moves to it. */
  readonly onVersionSaved: (versionId: string, versionNumber: number, savedGraph: GraphDocument) => void;
  readonly onMessage: (message: string) => void;
}) {
  const { store, workflowId, onVersionSaved, onMessage } = props;
  const trpc = useTRPC();
  const [runId, setRunId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const progress = useRunProgress(runId);
  // After a reload, follow the workflow's run that is still queued or running (runs outlive the page).
  const newest = useQuery({
    ...trpc.run.list.queryOptions({ workflowId, limit: 1 }),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const newestRun = newest.data?.[0];
  useEffect(() => {
    if (runId === null && newestRun && !FINISHED.includes(newestRun.status)) setRunId(newestRun.id);
  }, [runId, newestRun]);
  const start = useMutation(trpc.run.start.mutationOptions());
  const cancel = useMutation(trpc.run.cancel.mutationOptions());
  usePngWorkflowDrop(onMessage);

  useEffect(() => {
    setLiveRun({ runId, progress });
  }, [runId, progress]);
  useEffect(() => () => setLiveRun({ runId: null, progress: null, refused: new Map() }), []);

  const run = progress.run;
  const labelOf = (nodeId: string) =>
    store.getSnapshot().document.nodes.find((node) => node.id === nodeId)?.label ?? nodeId;
  const active = run !== null && !FINISHED.includes(run.status);
  const latest = progress.steps.at(-1);
  // "typical: 62nd percentile": PR among fresh random noise of this run's size (METHOD.md §5).
  const meterReading = meterSummary(latest);

  const doRun = () => {
    const baseVersionId = store.getSnapshot().savedVersionId;
    if (!baseVersionId) return;
    const sentGraph = store.getSnapshot().document;
    setError(null);
    setLiveRun({ refused: new Map() });
    start.mutate(
      { workflowId, baseVersionId, document: store.getDocumentForSave(), message: "Saved to run" },
      {
        onSuccess: (result) => {
          if (result.savedVersionId)
            onVersionSaved(result.savedVersionId, result.run.versionNumber, sentGraph);
          setRunId(result.run.id);
        },
        onError: (failure) => {
          setError(describeError(failure));
          setLiveRun({ refused: issuesByNode(failure) });
        },
      },
    );
  };

  // The live panel docks into the editor's right panel (LIVE_RUN_SLOT_ID), so it never covers the canvas and
  // the latest image stays in view whatever the zoom; without the slot (other pages) it floats.
  const [slot, setSlot] = useState<HTMLElement | null>(null);
  useEffect(() => setSlot(document.getElementById(LIVE_RUN_SLOT_ID)), []);

  const bar =
    error || run ? (
      <div className={`run-bar${error ? " run-bar-error" : ""}`} data-testid="run.bar">
        {error ? (
          <span className="run-bar-message" role="alert" data-testid="run.error">
            {error}
          </span>
        ) : null}
        {run && latest?.imageUrl ? (
          // biome-ignore lint/performance/noImgElement: a live, already-small artifact image; no optimization wanted.
          <img
            className="run-bar-image"
            src={latest.imageUrl}
            alt={`Latest image, iteration ${latest.iteration + 1}`}
            data-testid="run.preview"
          />
        ) : null}
        {run ? (
          <>
            <span className={`run-status run-status-${run.status}`} data-testid="run.status">
              {run.status}
            </span>
            {run.status === "queued" ? <QueuePlace runId={run.id} testId="run.queue" /> : null}
            <span data-testid="run.iteration">
              Iteration {latest ? latest.iteration + 1 : 0} / {run.iterationsPlanned ?? "?"}
            </span>
            {latest
              ? Object.entries(latest.metrics.rewards).map(([id, value]) => (
                  <span key={id} className="muted">
                    {labelOf(id)}:{" "}
                    <b data-testid={`run.reward.${id}`}>
                      {
                        shownReward(
                          rewardShownAs(store.getSnapshot().document, id),
                          value,
                          progress.steps[0]?.metrics.rewards[id],
                          formatNumber,
                        ).text
                      }
                    </b>
                  </span>
                ))
              : null}
            {latest && latest.metrics.pr !== null ? (
              <span className="muted">
                <Term id="pr">PR</Term> <b data-testid="run.pr">{formatNumber(latest.metrics.pr)}</b>
                {meterReading ? <span data-testid="run.pr.percentile"> ({meterReading})</span> : null}
              </span>
            ) : null}
            {latest ? (
              <span className="muted">
                <Term id="grad-norm">‖g‖</Term> <b>{formatNumber(latest.metrics.gradNorm)}</b>
              </span>
            ) : null}
            <span className="muted" data-testid="run.time">
              {formatDuration(latest?.elapsedMs ?? 0)} elapsed
              {active && progress.etaMs !== null ? ` · about ${formatTimeLeft(progress.etaMs)} left` : ""}
            </span>
            {run.status === "failed" && run.error ? (
              <span className="run-bar-message" data-testid="run.failure">
                {run.error}
              </span>
            ) : null}
            <span className="run-bar-actions">
              {active ? (
                <button
                  type="button"
                  className="btn btn-small btn-danger"
                  disabled={cancel.isPending || run.cancelRequested}
                  onClick={() =>
                    cancel.mutate(
                      { runId: run.id },
                      { onError: (failure) => setError(describeError(failure)) },
                    )
                  }
                  data-testid="run.cancel"
                >
                  {run.cancelRequested || cancel.isPending ? "Cancelling…" : "Cancel"}
                </button>
              ) : null}
              <Link className="btn btn-small" href={`/runs/${run.id}`} data-testid="run.open">
                Open run
              </Link>
            </span>
          </>
        ) : null}
        <button
          type="button"
          className="icon-btn run-bar-hide"
          aria-label="Hide"
          onClick={() => {
            setError(null);
            if (!active) setRunId(null);
            setLiveRun({ refused: new Map() });
          }}
        >
          ×
        </button>
      </div>
    ) : null;

  return (
    <>
      <button
        type="button"
        className="btn btn-small btn-run"
        onClick={doRun}
        disabled={start.isPending}
        title="Save (if changed) and run this workflow"
        data-testid="toolbar.run"
      >
        {start.isPending ? "Starting…" : "▶ Run"}
      </button>
      <Link className="btn btn-small" href={`/workflows/${workflowId}/runs`} data-testid="toolbar.runs">
        Runs
      </Link>
      {bar && slot ? createPortal(bar, slot) : bar}
    </>
  );
}
