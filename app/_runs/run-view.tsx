"use client";
/**
 * One run: live status, the image over iterations with a slider, initial/best/final side by side, the
 * curves, the parameters it ran with (editable in place for review and re-run), the model hashes and seeds,
 * and the log. PNG downloads carry the workflow, so dropping one onto the editor opens it.
 */
import { Term } from "@/app/_components/term";
import "./runs.css";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { describeError } from "@/app/_lib/errors";
import { runFailureSentence } from "@/nodes/graph/format-issues";
import { formatScoreGain, shownScore } from "@/nodes/kinds/score-display";
import { useTRPC } from "@/app/_trpc/provider";
import { IterationCommentButton, RunComments } from "@/app/_comments/run-comments";
import { GuardSummary } from "./guard-summary";
import { metricNames, RunCharts } from "./run-charts";
import { memoryModeWords } from "./memory-words";
import { QueuePlace } from "./queue-place";
import { ReviewParams } from "./review-params";
import { artifactUrl, FINISHED, formatDuration, formatNumber, type RunStep } from "./run-types";
import { formatTimeLeft } from "./time-left";
import { useRunProgress } from "./use-run-progress";

function ImageFigure(props: {
  readonly title: string;
  readonly artifactId: string | null;
  readonly testId: string;
}) {
  const url = artifactUrl(props.artifactId);
  return (
    <figure data-testid={props.testId}>
      {url ? (
        // biome-ignore lint/performance/noImgElement: artifact PNGs are served as they are
        <img className="run-image" src={url} alt={props.title} />
      ) : (
        <div className="run-image muted">no image yet</div>
      )}
      <figcaption>
        {props.title}
        {props.artifactId ? (
          <>
            {" · "}
            <a
              href={artifactUrl(props.artifactId, true) ?? "#"}
              download
              data-testid={`${props.testId}.download`}
            >
              Download PNG
            </a>
          </>
        ) : null}
      </figcaption>
    </figure>
  );
}

export function RunView(props: { readonly runId: string }) {
  const { runId } = props;
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const detail = useQuery(trpc.run.get.queryOptions({ runId }));
  const progress = useRunProgress(runId);
  const cancel = useMutation(trpc.run.cancel.mutationOptions());
  const resume = useMutation(trpc.run.resume.mutationOptions());
  const rerun = useMutation(trpc.run.rerun.mutationOptions());
  const propose = useMutation(trpc.proposals.create.mutationOptions());
  const runProposal = useMutation(trpc.proposals.run.mutationOptions());
  // The asking person's role on the workflow decides which review buttons they get.
  const access = useQuery({
    ...trpc.proposals.list.queryOptions({ workflowId: detail.data?.workflowId ?? "" }),
    enabled: detail.data !== undefined,
  });
  const role = access.data?.role ?? null;
  const [selected, setSelected] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Comments: "Comment on iteration N" preselects the shown iteration; ?comment=<thread> highlights one.
  const [commentOnIteration, setCommentOnIteration] = useState(false);
  const [linkedThreadId, setLinkedThreadId] = useState<string | null>(null);
  useEffect(() => setLinkedThreadId(new URLSearchParams(window.location.search).get("comment")), []);

  const status = progress.run?.status ?? detail.data?.status;
  // Finished or newly stored facts (best image, log, error) come from the detail query: refresh it on changes.
  useEffect(() => {
    if (status) void queryClient.invalidateQueries({ queryKey: trpc.run.get.queryKey({ runId }) });
  }, [status, queryClient, trpc, runId]);

  const steps: RunStep[] = useMemo(() => {
    if (progress.steps.length >= (detail.data?.steps.length ?? 0)) return progress.steps;
    return detail.data?.steps ?? [];
  }, [progress.steps, detail.data]);

  if (detail.isPending) return <div className="loading">Loading run…</div>;
  if (detail.isError) {
    return (
      <div className="run-page">
        <div className="banner banner-error" role="alert">
          {describeError(detail.error)}
        </div>
        <Link href="/">← All workflows</Link>
      </div>
    );
  }
  const run = detail.data;
  const live = progress.run ?? run;
  const active = !FINISHED.includes(live.status);
  const shownIndex = selected === null ? steps.length - 1 : Math.min(selected, steps.length - 1);
  const shown = steps[shownIndex];
  const latest = steps.at(-1);

  return (
    <div className="run-page" data-testid="run-page">
      <div className="run-head">
        <Link href={`/workflows/${run.workflowId}`} data-testid="run-page.editor">
          ← {run.workflowName}
        </Link>
        <h1>
          Run of version {run.versionNumber}
          {run.proposalId ? (
            <span className="muted">
              {" "}
              ·{" "}
              <Link
                href={`/workflows/${run.workflowId}/proposals/${run.proposalId}`}
                data-testid="run-page.proposal"
              >
                a proposal
              </Link>
            </span>
          ) : null}
          {run.revisesRunId ? (
            <span className="muted">
              {" "}
              · revises <Link href={`/runs/${run.revisesRunId}`}>an earlier run</Link>
            </span>
          ) : null}
        </h1>
        <span className={`run-status run-status-${live.status}`} data-testid="run-page.status">
          {live.status}
        </span>
        {live.status === "queued" ? <QueuePlace runId={runId} testId="run-page.queue" /> : null}
        <span className="muted" data-testid="run-page.progress">
          {live.iterationsDone} / {live.iterationsPlanned ?? "?"} iterations ·{" "}
          {formatDuration(latest?.elapsedMs ?? run.durationMs)}
          {active && progress.etaMs !== null ? ` · about ${formatTimeLeft(progress.etaMs)} left` : ""}
        </span>
        <div className="spacer" />
        {active ? (
          <button
            type="button"
            className="btn btn-small btn-danger"
            disabled={cancel.isPending || live.cancelRequested}
            onClick={() =>
              cancel.mutate({ runId }, { onError: (failure) => setError(describeError(failure)) })
            }
            data-testid="run-page.cancel"
          >
            Cancel
          </button>
        ) : null}
        {live.status === "interrupted" || live.status === "failed" ? (
          <button
            type="button"
            className="btn btn-small"
            disabled={resume.isPending}
            onClick={() =>
              resume.mutate({ runId }, { onError: (failure) => setError(describeError(failure)) })
            }
            data-testid="run-page.resume"
          >
            Resume{run.checkpointIteration !== null ? ` after iteration ${run.checkpointIteration}` : ""}
          </button>
        ) : null}
        <Link
          className="btn btn-small"
          href={`/workflows/${run.workflowId}/runs`}
          data-testid="run-page.history"
        >
          All runs
        </Link>
      </div>
      {error ? (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      ) : null}
      {live.status === "failed" ? (
        <div className="banner banner-error" role="alert" data-testid="run-page.error">
          {runFailureSentence(
            run.document,
            live.errorNodeId ?? run.errorNodeId,
            live.error ?? run.error ?? "",
          )}
        </div>
      ) : null}

      <h2>Image over iterations</h2>
      <div className="run-grid">
        <div className="run-card">
          {shown ? (
            <>
              {/* biome-ignore lint/performance/noImgElement: artifact PNGs are served as they are */}
              <img
                className="run-image"
                src={artifactUrl(shown.imageArtifactId) ?? ""}
                alt={`Iteration ${shown.iteration}`}
                data-testid="run-page.slider-image"
              />
              <input
                type="range"
                min={0}
                max={Math.max(0, steps.length - 1)}
                value={shownIndex}
                onChange={(event) => setSelected(Number(event.target.value))}
                aria-label="Iteration"
                style={{ width: "100%" }}
                data-testid="run-page.slider"
              />
              <div className="muted" data-testid="run-page.slider-label">
                Iteration {shown.iteration} · <Term id="score">score</Term>{" "}
                <span data-testid="run-page.score">
                  {formatScoreGain(
                    shownScore(shown.metrics.objective, steps[0]?.metrics.objective),
                    formatNumber,
                  )}
                </span>{" "}
                since the start
                {" · "}
                <a
                  href={artifactUrl(shown.imageArtifactId, true) ?? "#"}
                  download
                  data-testid="run-page.download"
                >
                  Download PNG (with workflow)
                </a>
                {" · "}
                <IterationCommentButton
                  workflowId={run.workflowId}
                  runId={runId}
                  iteration={shown.iteration}
                  onClick={() => {
                    setCommentOnIteration(true);
                    document.getElementById("run-comments")?.scrollIntoView({ behavior: "smooth" });
                  }}
                />
              </div>
            </>
          ) : (
            <div className="muted">
              {active ? "Waiting for the first iteration…" : "This run recorded no iterations."}
            </div>
          )}
        </div>
        <div className="run-card">
          <div className="run-images">
            <ImageFigure
              title="Initial"
              artifactId={run.images.initial ?? steps[0]?.imageArtifactId ?? null}
              testId="run-page.initial"
            />
            <ImageFigure
              title={`Best${run.bestIteration !== null ? ` (iteration ${run.bestIteration})` : ""}`}
              artifactId={run.images.best}
              testId="run-page.best"
            />
            <ImageFigure
              title="Final"
              artifactId={run.images.final ?? latest?.imageArtifactId ?? null}
              testId="run-page.final"
            />
          </div>
        </div>
      </div>

      <h2 id="run-comments">Comments</h2>
      <RunComments
        workflowId={run.workflowId}
        runId={runId}
        versionNumber={run.versionNumber}
        iteration={shown?.iteration ?? null}
        onIteration={commentOnIteration}
        focusThreadId={linkedThreadId}
      />

      <h2>Curves</h2>
      <RunCharts runs={[{ label: "run", steps, document: run.document }]} names={metricNames(run.document)} />
      <GuardSummary document={run.document} steps={steps} />

      <h2>
        Parameters (change any, then propose or re-run)
        {role && role !== "viewer" ? (
          <Link
            className="btn btn-small"
            style={{ marginLeft: 12 }}
            href={`/workflows/${run.workflowId}/review?run=${runId}`}
            data-testid="run-page.review"
          >
            Review in the editor
          </Link>
        ) : null}
      </h2>
      <ReviewParams
        document={run.document}
        busy={rerun.isPending || propose.isPending || runProposal.isPending}
        {...(role === "owner" || role === "editor"
          ? {
              onRerun: (changes, message, onError) =>
                rerun.mutate(
                  { runId, changes, message },
                  {
                    onSuccess: (result) =>
                      router.push(`/workflows/${run.workflowId}/runs/compare?ids=${runId},${result.run.id}`),
                    onError: (failure) => onError(describeError(failure)),
                  },
                ),
            }
          : {})}
        {...(role !== null && role !== "viewer"
          ? {
              onPropose: async (changes, message, onError) => {
                try {
                  const proposal = await propose.mutateAsync({
                    runId,
                    changes,
                    ...(message.trim() ? { title: message.trim() } : {}),
                  });
                  await runProposal.mutateAsync({ proposalId: proposal.id, revisesRunId: runId });
                  router.push(`/workflows/${run.workflowId}/proposals/${proposal.id}`);
                } catch (failure) {
                  onError(describeError(failure));
                }
              },
            }
          : {})}
      />

      <h2>Reproducibility</h2>
      <table className="run-table" data-testid="run-page.hashes">
        <tbody>
          <tr>
            <th>Seeds</th>
            <td>{JSON.stringify(run.seeds)}</td>
          </tr>
          <tr>
            <th>Device</th>
            <td>{run.device ?? "—"}</td>
          </tr>
          <tr>
            <th>Memory</th>
            <td data-testid="run-page.memory-mode" title={run.memory?.reason}>
              {memoryModeWords(run.memory?.mode)}
            </td>
          </tr>
          <tr>
            <th>Checkpoint</th>
            <td>
              every {run.checkpointEvery} iteration(s); last after iteration {run.checkpointIteration ?? "—"}
            </td>
          </tr>
          {Object.entries(run.modelHashes).map(([file, hash]) => (
            <tr key={file}>
              <th>{file}</th>
              <td>
                <code>{String(hash).slice(0, 16)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Log</h2>
      <div className="run-log" data-testid="run-page.log">
        {run.log.map((entry) => (
          <div key={entry.id} className={entry.level}>
            {new Date(entry.createdAt).toLocaleTimeString()} {entry.nodeId ? `[${entry.nodeId}] ` : ""}
            {entry.message}
          </div>
        ))}
      </div>
    </div>
  );
}
