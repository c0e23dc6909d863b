"use client";
/**
 * Per-iteration curves of one or more runs with recharts: rewards, guard values, the PR meter and the
 * gradient norm. Iterations where a guard fired are marked with red dots on the guard curves. The PR chart
 * shades the meter's bands (amber: drifting, red: where the guard fires) and names the latest percentile.
 * Several runs share the axes (comparison), one colour per run, one dash style per series.
 */
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceDot,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { GraphDocument } from "@/nodes/graph/document";
import { metricLabels } from "@/nodes/kinds/metric-labels";
import { rewardShownAs, shownRewardValues } from "@/nodes/kinds/score-display";
import { meterBands, meterSummary } from "./pr-meter";
import type { RunStep } from "./run-types";

export const RUN_COLORS = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#ca8a04",
  "#db2777",
];
const DASHES = ["", "6 3", "2 2", "8 3 2 3"];

export interface ChartRun {
  label: string;
  steps: readonly RunStep[];
  /** The run's document: rewards are drawn as they are shown (nodes/kinds/score-display.ts). */
  document?: GraphDocument;
}

type Pick = (step: RunStep, run: ChartRun) => Record<string, number | null>;

/** Whether some run has a reward drawn as a share rather than its raw value (a JPEG size). */
function hasShareReward(runs: readonly ChartRun[]): boolean {
  return runs.some((run) =>
    (run.document?.nodes ?? []).some((node) => rewardShownAs(run.document, node.id) !== undefined),
  );
}

const pickers: {
  title: string;
  /** The title when it depends on what is drawn. */
  titleFor?: (runs: readonly ChartRun[]) => string;
  testId: string;
  pick: Pick;
  markFired?: boolean;
  meter?: boolean;
}[] = [
  {
    title: "Rewards",
    titleFor: (runs) =>
      hasShareReward(runs) ? "Rewards (a JPEG size is drawn as the share saved since the start)" : "Rewards",
    testId: "chart.rewards",
    pick: (step, run) => shownRewardValues(run.document, step.metrics.rewards, run.steps[0]?.metrics.rewards),
  },
  {
    title: "Guard values (red dots: the guard fired)",
    testId: "chart.guards",
    pick: (step) =>
      Object.fromEntries(Object.entries(step.metrics.guards).map(([id, guard]) => [id, guard.value])),
    markFired: true,
  },
  {
    title: "Probability regularization (reward-hacking meter)",
    testId: "chart.pr",
    pick: (step) => ({ PR: step.metrics.pr }),
    meter: true,
  },
  { title: "Gradient norm", testId: "chart.grad", pick: (step) => ({ "‖g‖": step.metrics.gradNorm }) },
];

function chartData(runs: readonly ChartRun[], pick: Pick, names: Readonly<Record<string, string>>) {
  const series = new Set<string>();
  const rows = new Map<number, Record<string, number | null>>();
  runs.forEach((run, runIndex) => {
    for (const step of run.steps) {
      const row = rows.get(step.iteration) ?? { iteration: step.iteration };
      for (const [name, value] of Object.entries(pick(step, run))) {
        const shown = names[name] ?? name;
        const key = runs.length > 1 ? `${run.label} · ${shown}` : shown;
        series.add(`${runIndex}\u0000${key}`);
        row[key] = value !== null && Number.isFinite(value) ? value : null;
      }
      rows.set(step.iteration, row);
    }
  });
  return {
    rows: [...rows.values()].sort((a, b) => (a.iteration ?? 0) - (b.iteration ?? 0)),
    series: [...series].map((entry) => {
      const [runIndex, key] = entry.split("\u0000") as [string, string];
      return { runIndex: Number(runIndex), key };
    }),
  };
}

export function RunCharts(props: {
  readonly runs: readonly ChartRun[];
  readonly height?: number;
  /** Display names of metric keys (node ids → node labels). */
  readonly names?: Readonly<Record<string, string>>;
}) {
  const { runs } = props;
  const names = props.names ?? {};
  return (
    <div className="run-grid">
      {pickers.map(({ title, titleFor, testId, pick, markFired, meter }) => {
        const { rows, series } = chartData(runs, pick, names);
        if (series.length === 0) return null;
        // Bands only when every run shares them (same noise shape and guard settings).
        const bands = meter ? meterBands(runs.flatMap((run) => run.steps)) : null;
        const reading = meter && runs.length === 1 ? meterSummary(runs[0]!.steps.at(-1)) : null;
        const fired = markFired
          ? runs.flatMap((run) =>
              run.steps.flatMap((step) =>
                Object.entries(step.metrics.guards)
                  .filter(([, guard]) => guard.fired && guard.value !== null && Number.isFinite(guard.value))
                  .map(([id, guard]) => ({
                    iteration: step.iteration,
                    value: guard.value as number,
                    key: `${run.label}-${id}-${step.iteration}`,
                  })),
              ),
            )
          : [];
        return (
          <div className="run-card" key={title} data-testid={testId}>
            <div className="muted">
              {titleFor ? titleFor(runs) : title}
              {reading ? <span data-testid="chart.pr.percentile"> · latest: {reading}</span> : null}
            </div>
            {/* The legend sits inside the chart's height: each series beyond two gets a line of its own. */}
            <ResponsiveContainer
              width="100%"
              height={(props.height ?? 200) + Math.min(Math.max(series.length - 2, 0), 10) * 18}
            >
              <LineChart data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis
                  dataKey="iteration"
                  type="number"
                  domain={["dataMin", "dataMax"]}
                  allowDecimals={false}
                />
                <YAxis
                  width={56}
                  domain={["auto", "auto"]}
                  tickFormatter={(value: number) => Number(value.toPrecision(3)).toString()}
                />
                <Tooltip contentStyle={{ background: "var(--bg-elevated)", borderColor: "var(--border)" }} />
                {series.length > 1 ? <Legend wrapperStyle={{ fontSize: 12, lineHeight: "16px" }} /> : null}
                {bands ? (
                  <ReferenceArea
                    y1={bands.driftingFrom}
                    y2={bands.firesFrom}
                    ifOverflow="extendDomain"
                    fill="#f59e0b"
                    fillOpacity={0.12}
                    stroke="none"
                    label={{ value: "drifting", position: "insideBottomLeft", fontSize: 10 }}
                  />
                ) : null}
                {bands ? (
                  <ReferenceArea
                    y1={bands.firesFrom}
                    ifOverflow="extendDomain"
                    fill="#d92d20"
                    fillOpacity={0.12}
                    stroke="none"
                    label={{ value: "guard fires", position: "insideTopLeft", fontSize: 10 }}
                  />
                ) : null}
                {series.map(({ runIndex, key }, index) => (
                  <Line
                    key={key}
                    dataKey={key}
                    type="monotone"
                    dot={false}
                    isAnimationActive={false}
                    connectNulls
                    stroke={RUN_COLORS[(runs.length > 1 ? runIndex : index) % RUN_COLORS.length]}
                    strokeDasharray={DASHES[(runs.length > 1 ? index : 0) % DASHES.length]}
                  />
                ))}
                {fired.slice(0, 500).map((point) => (
                  <ReferenceDot
                    key={point.key}
                    x={point.iteration}
                    y={point.value}
                    r={3}
                    fill="#d92d20"
                    stroke="none"
                  />
                ))}
              </LineChart>
            </ResponsiveContainer>
          </div>
        );
      })}
    </div>
  );
}

/** Metric keys are node ids (or the report keys a guard's kind declares): show the node's label, as on the canvas. */
export function metricNames(document: GraphDocument | undefined): Record<string, string> {
  return metricLabels(document);
}
