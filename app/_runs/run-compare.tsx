"use client";
/** Runs side by side: their initial/best/final images, curves on shared axes, and parameter differences. */
import "./runs.css";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ParameterLabel, ParameterValue } from "@/app/_components/parameter-value";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";
import { issueNodeName } from "@/nodes/graph/format-issues";
import { getNodeDefinition } from "@/nodes/registry";
import { Term } from "@/app/_components/term";
import { formatScoreGain, shownScore } from "@/nodes/kinds/score-display";
import { metricNames, RUN_COLORS, RunCharts } from "./run-charts";
import { artifactUrl, FINISHED, formatDuration, formatNumber } from "./run-types";

/** The server sends each differing value as JSON (null where the node or param is absent). */
function parsedValue(json: string | null): unknown {
  if (json === null) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}

export function RunCompare(props: {
  readonly workflowId: string;
  readonly runIds: readonly string[];
  /** Inside another page (a proposal's): no back link or page title. */
  readonly embedded?: boolean;
  /** Column names instead of “#1 v3” (e.g. “Base run”, “Proposal run 1”). */
  readonly labels?: readonly string[];
}) {
  const trpc = useTRPC();
  const comparison = useQuery({
    ...trpc.run.compare.queryOptions({ runIds: [...props.runIds] }),
    enabled: props.runIds.length >= 2,
    refetchInterval: (query) =>
      query.state.data?.runs.some((run) => !FINISHED.includes(run.status)) ? 1500 : false,
  });
  const back = props.embedded ? null : (
    <Link href={`/workflows/${props.workflowId}/runs`} data-testid="compare.history">
      ← All runs
    </Link>
  );
  if (props.runIds.length < 2) {
    return (
      <div className="run-page">
        {back}
        <p className="muted">Pick at least two runs to compare.</p>
      </div>
    );
  }
  if (comparison.isPending) return <div className="loading">Loading runs…</div>;
  if (comparison.isError) {
    return (
      <div className="run-page">
        {back}
        <div className="banner banner-error" role="alert">
          {describeError(comparison.error)}
        </div>
      </div>
    );
  }
  const { runs, differences } = comparison.data;
  const label = (index: number) => {
    const run = runs[index];
    const given = props.labels?.[index];
    if (given) return given;
    return run ? `#${index + 1} v${run.versionNumber}` : `#${index + 1}`;
  };
  return (
    <div className="run-page" data-testid="compare">
      {props.embedded ? null : (
        <div className="run-head">
          {back}
          <h1>Comparing {runs.length} runs</h1>
        </div>
      )}
      <div className="run-grid">
        {runs.map((run, index) => (
          <div
            className="run-card"
            key={run.id}
            data-testid={`compare.run.${index}`}
            style={{ borderTop: `4px solid ${RUN_COLORS[index % RUN_COLORS.length]}` }}
          >
            <div className="run-head">
              <b>{label(index)}</b>
              <span className={`run-status run-status-${run.status}`}>{run.status}</span>
              <Link href={`/runs/${run.id}`}>Open</Link>
            </div>
            <div className="muted">
              {run.iterationsDone} / {run.iterationsPlanned ?? "?"} iterations · best{" "}
              <Term id="score">score</Term>{" "}
              {formatScoreGain(shownScore(run.bestReward, run.steps[0]?.metrics.objective), formatNumber)}{" "}
              since the start · {formatDuration(run.durationMs)}
              {run.revisesRunId ? " · revision" : ""}
            </div>
            <div className="run-images" style={{ marginTop: 8 }}>
              {(["initial", "best", "final"] as const).map((which) => {
                const url = artifactUrl(run.images[which]);
                return (
                  <figure key={which}>
                    {url ? (
                      // biome-ignore lint/performance/noImgElement: artifact PNGs are served as they are
                      <img className="run-image" src={url} alt={`${which} of ${label(index)}`} />
                    ) : (
                      <div className="run-image muted">—</div>
                    )}
                    <figcaption>{which}</figcaption>
                  </figure>
                );
              })}
            </div>
          </div>
        ))}
      </div>
      <h2>Curves (shared axes)</h2>
      <RunCharts
        runs={runs.map((run, index) => ({
          label: label(index),
          steps: run.steps,
          document: comparison.data.documents[index],
        }))}
        names={metricNames(comparison.data.documents[0])}
      />
      <h2>Parameter differences</h2>
      {differences.length === 0 ? (
        <p className="muted" data-testid="compare.no-differences">
          The runs used identical parameters.
        </p>
      ) : (
        <table className="run-table" data-testid="compare.differences">
          <thead>
            <tr>
              <th>Node</th>
              <th>Parameter</th>
              {runs.map((run, index) => (
                <th key={run.id}>{label(index)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {differences.map((difference) => {
              const node = comparison.data.documents
                .flatMap((document) => document.nodes)
                .find((candidate) => candidate.id === difference.nodeId);
              const nodeType = node?.type;
              const { param } = difference;
              return (
                <tr
                  key={`${difference.nodeId}.${param ?? ""}`}
                  data-testid={`compare.diff.${difference.nodeId}.${param ?? "node"}`}
                >
                  {/* The name its card shows ("Optimizer 1", or the label the person gave it). */}
                  <td>{node ? issueNodeName(node, getNodeDefinition(node.type)) : difference.nodeName}</td>
                  <td>
                    {param === null || nodeType === undefined ? (
                      (param ?? "Node type")
                    ) : (
                      <ParameterLabel nodeType={nodeType} param={param} />
                    )}
                  </td>
                  {difference.values.map((value, index) => (
                    <td key={runs[index]?.id ?? index} className="num">
                      {value === null ? (
                        "—"
                      ) : param === null ? (
                        // The node's type in this run (it differs between the runs or is missing there).
                        (getNodeDefinition(value)?.title ?? value)
                      ) : nodeType === undefined ? (
                        value
                      ) : (
                        <ParameterValue nodeType={nodeType} param={param} value={parsedValue(value)} />
                      )}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
