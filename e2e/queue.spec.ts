/**
 * The queue in the browser (issue 13): while the e2e server's one worker is busy with a long run, two more
 * runs wait; each shows its place in line and an estimated start on its run page, in the editor's run bar
 * and in the runs list; the admin's workers page shows the worker, live, with the run it executes.
 */
import { expect, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { RunBar } from "./pages/run-pages";
import { WorkflowListPage } from "./pages/workflow-list-page";
import { trpc } from "./people";

test.setTimeout(240_000);

/** The estimate the server can make once the busy run has timed a few iterations. */
const STARTS = /(starts in about \d+(\.\d+)? (s|min|h)[^·]*|starts any moment)$/;

test("queued runs show their place in line and estimated start; the admin sees the workers", async ({
  page,
}) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  const bar = new RunBar(page);
  await list.goto();
  const copy = await trpc<{ id: string }>(page.request, "workflow.duplicate", {
    workflowId: await list.idOf("Brighten with a guard"),
    name: "Queued: Brighten with a guard",
  });
  const workflowId = copy.id;

  // A long run keeps the worker's only slot busy (1000 iterations; cancelled at the end).
  await editor.goto(workflowId);
  await editor.param("optimizer-1", "iterations").fill("1000");
  await bar.run();
  await expect(bar.status()).toHaveText("running", { timeout: 60_000 });
  // A few timed iterations give the estimate its pace.
  await expect.poll(() => bar.iteration(), { timeout: 90_000 }).toBeGreaterThanOrEqual(3);
  const busy = await trpc<{ id: string; workflowVersionId: string }[]>(
    page.request,
    "run.list",
    { workflowId, limit: 1 },
    "query",
  );
  const busyRun = busy[0];
  if (!busyRun) throw new Error("the long run is not listed");

  // Two more runs of the same version wait behind it.
  const queued: string[] = [];
  for (let i = 0; i < 2; i++) {
    const started = await trpc<{ run: { id: string; status: string } }>(page.request, "run.start", {
      workflowId,
      versionId: busyRun.workflowVersionId,
    });
    expect(started.run.status).toBe("queued");
    queued.push(started.run.id);
  }
  const [first, second] = queued as [string, string];

  try {
    // The run page of each says where it stands and when it should start.
    await page.goto(`/runs/${first}`);
    await expect(page.getByTestId("run-page.status")).toHaveText("queued");
    await expect(page.getByTestId("run-page.queue")).toHaveText(/^next in line · /);
    await expect(page.getByTestId("run-page.queue")).toHaveText(STARTS);
    await page.goto(`/runs/${second}`);
    await expect(page.getByTestId("run-page.queue")).toHaveText(/^2nd in line · /);
    await expect(page.getByTestId("run-page.queue")).toHaveText(STARTS);
    await page.screenshot({ path: "/tmp/queue-run-page.png" });

    // The editor's run bar follows the newest run: the second in line.
    await editor.goto(workflowId);
    await expect(page.getByTestId("run.status")).toHaveText("queued", { timeout: 30_000 });
    await expect(page.getByTestId("run.queue")).toHaveText(/^2nd in line · /);
    await page.getByTestId("run.bar").screenshot({ path: "/tmp/queue-run-bar.png" });

    // The runs list shows both places.
    await page.goto(`/workflows/${workflowId}/runs`);
    await expect(page.getByTestId(`run-history.queue.${first}`)).toContainText("next in line");
    await expect(page.getByTestId(`run-history.queue.${second}`)).toContainText("2nd in line");
    await page.screenshot({ path: "/tmp/queue-runs-list.png" });

    // The admin (the e2e owner) opens the workers page from /admin: the worker is live and runs the long run.
    await page.goto("/admin");
    await page.getByTestId("admin.workers").click();
    await expect(page.getByTestId("workers-page")).toBeVisible();
    await expect(page.getByTestId("workers.table")).toBeVisible();
    await expect(page.locator('[data-state="live"]').first()).toHaveText("live");
    await expect(page.getByTestId(`workers.run.${busyRun.id}`)).toBeVisible();
    await expect(page.getByTestId("workers.summary")).toContainText("2 runs waiting");
    await page.screenshot({ path: "/tmp/queue-workers-page.png", fullPage: true });
  } finally {
    // Leave the worker free for the next spec.
    for (const runId of [...queued, busyRun.id]) {
      await trpc(page.request, "run.cancel", { runId }).catch(() => undefined);
    }
  }
});
