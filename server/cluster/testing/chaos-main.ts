/**
 * The chaos scenario (chaos.ts) as a process: progress on stderr, the report as the LAST stdout line (JSON),
 * exit code 1 when a rule was broken. e2e/cluster-chaos.spec.ts runs it; by hand:
 *
 *   DNO_TEST_POSTGRES_URL=postgresql://dno:dno@127.0.0.1:5432/postgres \
 *     node --import tsx server/cluster/testing/chaos-main.ts [--web next|node] [--seed N] [--runs N]
 *       [--chaos-ms N]   (how long workers are killed; 0 = none, a dry run of everything else)
 */
import { parseArgs } from "node:util";
import { runChaos } from "./chaos";
import { postgresServerUrl } from "./cluster";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    web: { type: "string" },
    seed: { type: "string" },
    runs: { type: "string" },
    "chaos-ms": { type: "string" },
  },
});

async function main(): Promise<number> {
  const serverUrl = postgresServerUrl();
  if (!serverUrl) {
    console.error("Set DNO_TEST_POSTGRES_URL to a PostgreSQL server where the user may create databases.");
    return 2;
  }
  const started = Date.now();
  const report = await runChaos({
    postgresServerUrl: serverUrl,
    ...(values.web === "next" || values.web === "node" ? { web: values.web } : {}),
    ...(values.seed ? { seed: Number(values.seed) } : {}),
    ...(values.runs ? { runs: Number(values.runs) } : {}),
    ...(values["chaos-ms"] ? { chaosMs: Number(values["chaos-ms"]) } : {}),
    log: (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`),
  });
  console.log(JSON.stringify(report));
  return report.problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
