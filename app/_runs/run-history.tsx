"use client";
/** The runs of a workflow: status, best score, duration, version; pick two or more to compare. */
import { Term } from "@/app/_components/term";
import "./runs.css";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";
import { queueLine } from "./queue-words";
import { formatScoreGain, shownScore } from "@/nodes/kinds/score-display";
import { FINISHED, formatDuration, formatNumber } from "./run-types";

export function RunHistory(props: { readonly workflowId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const workflow = useQuery(trpc.workflow.get.queryOptions({ workflowId: props.workflowId }));
  const runs = useQuery({
    ...trpc.run.list.queryOptions({ workflowId: props.workflowId }),
    // Active runs change while the list is open.
    refetchInterval: (query) =>
      query.state.data?.some((run) => !FINISHED.includes(run.status)) ? 1500 : false,
  });
  // Queued runs show their place in line; asked only while some wait.
  const anyQueued = runs.data?.some((run) => run.status === "queued") ?? false;
  const queue = useQuery({
    ...trpc.run.queue.queryOptions({ workflowId: props.workflowId }),
    enabled: anyQueued,
    refetchInterval: anyQueued ? 3000 : false,
  });
  const placeOf = (runId: string) => queue.data?.places.find((place) => place.runId === runId);
  const [picked, setPicked] = useState<string[]>([]);
  if (runs.isPending) return <div className="loading">Loading runs…</div>;
  if (runs.isError) {
    return (
      <div className="run-page">
        <div className="banner banner-error" role="alert">
          {describeError(runs.error)}
        </div>
      </div>
    );
  }
  const toggle = (id: string) =>
    setPicked((current) =>
      current.includes(id) ? current.filter((value) => value !== id) : [...current, id].slice(-8),
    );
  return (
    <div className="run-page" data-testid="run-history">
      <div className="run-head">
        <Link href={`/workflows/${props.workflowId}`} data-testid="run-history.editor">
          ← {workflow.data?.name ?? "Workflow"}
        </Link>
        <h1>Runs</h1>
        <div className="spacer" />
        <button
          type="button"
          className="btn btn-primary btn-small"
          disabled={picked.length < 2}
          onClick={() => router.push(`/workflows/${props.workflowId}/runs/compare?ids=${picked.join(",")}`)}
          data-testid="run-history.compare"
        >
          Compare {picked.length >= 2 ? picked.length : ""} runs
        </button>
      </div>
      {runs.data.length === 0 ? (
        <p className="muted">No runs yet: open the workflow and press Run.</p>
      ) : (
        <table className="run-table">
          <thead>
            <tr>
              <th />
              <th>Started</th>
              <th>Version</th>
              <th>Status</th>
              <th>Iterations</th>
              <th>
                Best <Term id="score">score</Term> (gained)
              </th>
              <th>Duration</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {runs.data.map((run) => (
              <tr key={run.id} data-testid={`run-history.row.${run.id}`}>
                <td>
                  <input
                    type="checkbox"
                    checked={picked.includes(run.id)}
                    onChange={() => toggle(run.id)}
                    aria-label="Pick for comparison"
                    data-testid={`run-history.pick.${run.id}`}
                  />
                </td>
                <td>{new Date(run.createdAt).toLocaleString()}</td>
                <td>v{run.versionNumber}</td>
                <td>
                  <span className={`run-status run-status-${run.status}`}>{run.status}</span>
                  {run.revisesRunId ? <span className="muted"> · revision</span> : null}
                  {run.status === "queued" && placeOf(run.id) ? (
                    <span className="muted queue-place" data-testid={`run-history.queue.${run.id}`}>
                      {" "}
                      · {queueLine(placeOf(run.id) ?? { position: null, estimate: null })}
                    </span>
                  ) : null}
                </td>
                <td className="num">
                  {run.iterationsDone} / {run.iterationsPlanned ?? "?"}
                </td>
                <td className="num" data-testid={`run-history.best.${run.id}`}>
                  {formatScoreGain(shownScore(run.bestReward, run.startObjective), formatNumber)}
                </td>
                <td className="num">{formatDuration(run.durationMs)}</td>
                <td>
                  <Link href={`/runs/${run.id}`} data-testid={`run-history.open.${run.id}`}>
                    Open
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
