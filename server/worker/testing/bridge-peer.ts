/**
 * Another process on the run-event bridge, for run-event-bridge.test.ts: `node --import tsx bridge-peer.ts`
 * with DATABASE_URL naming the test's PostgreSQL database. It starts its bridge, then takes one JSON command
 * per stdin line and answers with JSON lines on stdout:
 *   {"publish": RunEvent}                            → publishes it        → {"done": n}
 *   {"publishStep": {runId, iteration, planned}}     → publishes the stored step as an iteration event
 *   {"exit": true}                                   → stops and exits
 * Cancel requests from other processes are reported as {"cancel": runId, "at": ms}.
 */
import readline from "node:readline";
import { SYSTEM } from "../../services/context";
import { listRunSteps } from "../../services/runs/list-run-steps";
import { startRunEventBridge, stopRunEventBridge } from "../run-event-bridge";
import { publishRunEvent, type RunEvent, subscribeRunEvents } from "../run-events";
import { getDb } from "../../db/client";

function say(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function main(): Promise<void> {
  const bridge = startRunEventBridge();
  if (!bridge) throw new Error("DATABASE_URL must name a PostgreSQL database.");
  if (!(await bridge.waitUntilConnected(20_000))) throw new Error("The bridge did not connect.");
  subscribeRunEvents("*", (event) => {
    if (event.type === "cancel-requested") say({ cancel: event.runId, at: Date.now() });
  });
  let done = 0;
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const command = JSON.parse(line) as {
      publish?: RunEvent;
      publishStep?: { runId: string; iteration: number; planned: number };
      exit?: true;
    };
    if (command.exit) break;
    if (command.publish) publishRunEvent(command.publish);
    if (command.publishStep) {
      const { runId, iteration, planned } = command.publishStep;
      const { steps } = await listRunSteps(
        { db: getDb(), actor: SYSTEM },
        { runId, afterIteration: iteration - 1, limit: 1 },
      );
      const step = steps[0];
      if (!step) throw new Error(`No stored step ${iteration} of run ${runId}.`);
      publishRunEvent({ type: "iteration", runId, step, iterationsPlanned: planned, etaMs: null });
    }
    done += 1;
    say({ done });
  }
  await stopRunEventBridge();
  await getDb().$disconnect();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
