"use client";
/**
 * Owner and admins: the run workers (issue 13) — where each runs, on which device, how many runs at a time,
 * what it runs now, its last heartbeat, the runs it finished, and whether it is live, stopped or presumed
 * dead (silent for longer than a run's lease: its runs go back to the queue and resume elsewhere).
 */
import "@/app/_runs/runs.css";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { describeError } from "@/app/_lib/errors";
import { formatTimeLeft } from "@/app/_runs/time-left";
import { useTRPC } from "@/app/_trpc/provider";
import { AppHeader } from "../_components/app-header";

/** Heartbeats come every few seconds; refreshing as often shows a worker going quiet. */
const REFRESH_MS = 5000;

const STATE_WORDS = { live: "live", stopped: "stopped", "presumed-dead": "presumed dead" } as const;
/** The run badges' colours: live like a running run, presumed dead like a failed one, stopped like a cancelled one. */
const STATE_CLASS = { live: "running", stopped: "cancelled", "presumed-dead": "failed" } as const;

function ago(ms: number): string {
  return ms < 1000 ? "just now" : `${formatTimeLeft(ms)} ago`;
}

export function WorkersPanel() {
  const trpc = useTRPC();
  const workers = useQuery({
    ...trpc.workers.list.queryOptions(undefined, { retry: false }),
    refetchInterval: REFRESH_MS,
  });

  if (workers.isError) {
    return (
      <>
        <AppHeader />
        <main className="list-page">
          <h1>Workers</h1>
          <p className="banner banner-error" role="alert">
            {describeError(workers.error)}
          </p>
        </main>
      </>
    );
  }
  const live = workers.data?.workers.filter((worker) => worker.state === "live") ?? [];
  const slots = live.reduce((sum, worker) => sum + worker.concurrency, 0);
  return (
    <>
      <AppHeader />
      <main className="list-page settings-page" data-testid="workers-page">
        <p>
          <Link href="/admin">← People and invitations</Link>
        </p>
        <h1>Workers</h1>
        {workers.data ? (
          <p className="muted" data-testid="workers.summary">
            {live.length} live worker{live.length === 1 ? "" : "s"}, {slots} run{slots === 1 ? "" : "s"} at a
            time; {workers.data.queued} run{workers.data.queued === 1 ? "" : "s"} waiting. A worker silent for
            more than {formatTimeLeft(workers.data.presumedDeadAfterMs)} is presumed dead: its runs go back to
            the queue and continue from their last checkpoint on another worker.
          </p>
        ) : (
          <p className="muted">Loading workers…</p>
        )}
        {workers.data && workers.data.workers.length === 0 ? (
          <p className="banner banner-info" data-testid="workers.none">
            No worker has reported yet. The web server starts one unless DNO_EMBEDDED_WORKER=0; GPU hosts run
            `npm run worker`.
          </p>
        ) : null}
        {workers.data && workers.data.workers.length > 0 ? (
          <table className="workflow-table" data-testid="workers.table">
            <thead>
              <tr>
                <th>Host</th>
                <th>Device</th>
                <th>Runs at a time</th>
                <th>Running now</th>
                <th>Last heartbeat</th>
                <th>Runs done</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {workers.data.workers.map((worker) => (
                <tr key={worker.id} data-testid={`workers.row.${worker.id}`}>
                  <td>
                    <div>{worker.host}</div>
                    <div className="muted">
                      {worker.id} · pid {worker.pid}
                    </div>
                  </td>
                  <td>{worker.device}</td>
                  <td className="num">{worker.concurrency}</td>
                  <td>
                    {worker.currentRuns.length === 0 ? (
                      <span className="muted">—</span>
                    ) : (
                      worker.currentRuns.map((run) => (
                        <div key={run.runId}>
                          <Link href={`/runs/${run.runId}`} data-testid={`workers.run.${run.runId}`}>
                            {run.workflowName} v{run.versionNumber}
                          </Link>{" "}
                          <span className="muted">
                            {run.iterationsDone} / {run.iterationsPlanned ?? "?"}
                          </span>
                        </div>
                      ))
                    )}
                  </td>
                  <td title={new Date(worker.lastHeartbeatAt).toLocaleString()}>
                    {ago(worker.heartbeatAgeMs)}
                  </td>
                  <td className="num">{worker.runsDone}</td>
                  <td>
                    <span
                      className={`run-status run-status-${STATE_CLASS[worker.state]}`}
                      data-testid={`workers.state.${worker.id}`}
                      data-state={worker.state}
                    >
                      {STATE_WORDS[worker.state]}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </main>
    </>
  );
}
