/**
 * `npm run dno -- --server URL --token TOKEN --workflow ID [--no-wait]`: runs a SAVED workflow (its current
 * version) on a DNO Studio server with a personal API token (Settings › Personal API tokens), and follows the
 * run until it ends. The token may also come from DNO_TOKEN. Exit codes: 2 usage, 4 refused by the server
 * (token, access, validation), 5 the run ended without succeeding, 1 anything else.
 */
import { parseArgs } from "node:util";
import { RemoteError, runSavedWorkflowRemotely } from "@/server/cli/remote-run";

function usage(message: string): never {
  console.error(`dno: ${message}`);
  console.error("usage: npm run dno -- --server URL --token TOKEN --workflow WORKFLOW_ID [--no-wait]");
  process.exit(2);
}

export async function remoteMain(argv: string[]): Promise<void> {
  let values: { server?: string; token?: string; workflow?: string; "no-wait"?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        server: { type: "string" },
        token: { type: "string" },
        workflow: { type: "string" },
        "no-wait": { type: "boolean" },
      },
    }));
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  const token = values.token ?? process.env.DNO_TOKEN;
  if (!values.server) usage("--server URL is required");
  if (!token) usage("--token TOKEN (or DNO_TOKEN) is required: create one in Settings › Personal API tokens");
  if (!values.workflow) usage("--workflow WORKFLOW_ID is required (the id in the editor's address)");
  try {
    const result = await runSavedWorkflowRemotely({
      server: values.server,
      token,
      workflowId: values.workflow,
      wait: !values["no-wait"],
      onStatus: (line) => console.log(line),
    });
    const url = `${values.server.replace(/\/+$/, "")}/runs/${result.runId}`;
    if (result.status === "succeeded") {
      console.log(
        `Done: ${result.iterationsDone} iterations, best reward ${result.bestReward ?? "—"}. ${url}`,
      );
    } else if (result.status === "queued" || result.status === "running") {
      console.log(`Queued. Follow it at ${url}`);
    } else {
      console.error(`dno: the run ended ${result.status}${result.error ? `: ${result.error}` : ""}. ${url}`);
      process.exit(5);
    }
  } catch (error) {
    if (error instanceof RemoteError) {
      console.error(`dno: ${error.message}`);
      process.exit(4);
    }
    console.error(
      `dno: could not reach ${values.server}: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
}
