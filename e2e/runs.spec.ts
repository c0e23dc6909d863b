/**
 * Runs in the editor, end to end on the bundled model (tiny iteration counts): press Run and watch
 * iterations arrive live with the reward rising; cancel a second run; open the run page; compare two runs;
 * tweak a guard in review and re-run; download a PNG and drop it back onto the editor to open its workflow.
 */
import fs from "node:fs";
import { expect, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { RunBar, RunHistoryPage, RunPage } from "./pages/run-pages";
import { WorkflowListPage } from "./pages/workflow-list-page";

test.setTimeout(240_000);

test("run, watch, cancel, review, compare, re-run, and reopen a workflow from its PNG", async ({ page }) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  const bar = new RunBar(page);
  await list.goto();
  await list.open("Brighten with a guard");
  const workflowId = new URL(page.url()).pathname.split("/").at(-1) ?? "";

  // Short runs: 4 sampler steps, 6 iterations, a learning rate that visibly brightens.
  await editor.param("sampler-1", "steps").fill("4");
  await editor.param("optimizer-1", "iterations").fill("6");
  await editor.param("optimizer-1", "learningRate").fill("0.05");
  await bar.record("reward-1");
  await bar.run();
  await expect(editor.saved()).toContainText("version 2");
  await expect(bar.status()).toHaveText("succeeded", { timeout: 60_000 });
  expect(await bar.iteration()).toBe(6);
  // Iterations arrived one by one while the run went on, and the reward rose.
  const seen = await bar.recorded();
  const iterations = seen.map(([iteration]) => iteration);
  expect(iterations).toEqual([...iterations].sort((a, b) => a - b));
  expect(iterations.at(-1)).toBe(6);
  expect(new Set(iterations).size).toBeGreaterThanOrEqual(3);
  expect(seen.at(-1)?.[1] ?? 0).toBeGreaterThan(seen[0]?.[1] ?? 1);
  // The canvas shows the run: the Optimizer with the latest image, the other nodes done.
  await expect(page.getByTestId("node.optimizer-1.image")).toBeVisible();
  await expect(page.getByTestId("node.sampler-1.run")).toHaveAttribute("data-run-status", "done");
  const firstRunId = await bar.openRunPage();

  // The run page: images, curves, parameters; download the final image with its workflow.
  const runPage = new RunPage(page);
  await expect(runPage.status()).toHaveText("succeeded");
  await expect(page.getByTestId("run-page.best")).toBeVisible();
  await expect(page.getByTestId("chart.rewards")).toBeVisible();
  await expect(page.getByTestId("chart.pr")).toBeVisible();
  const download = page.waitForEvent("download");
  await page.getByTestId("run-page.download").click();
  const pngPath = await (await download).path();
  const png = fs.readFileSync(pngPath);
  expect(png.includes(Buffer.from("dno-studio.workflow"))).toBe(true);

  // A second, long run is cancelled after a couple of iterations and keeps them.
  await editor.goto(workflowId);
  await editor.param("sampler-1", "steps").fill("4");
  await editor.param("optimizer-1", "iterations").fill("300");
  await bar.run();
  await expect.poll(() => bar.iteration(), { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  // The run outlives the page: after a reload the editor follows it again, from its stored iterations on.
  const beforeReload = await bar.iteration();
  await page.reload();
  await editor.waitReady();
  await expect(page.getByTestId("run.status")).toHaveText("running", { timeout: 30_000 });
  await expect.poll(() => bar.iteration(), { timeout: 60_000 }).toBeGreaterThan(beforeReload);
  await bar.cancel();
  await expect(bar.status()).toHaveText("cancelled", { timeout: 30_000 });
  const cancelledIterations = await bar.iteration();
  expect(cancelledIterations).toBeGreaterThanOrEqual(2);
  expect(cancelledIterations).toBeLessThan(300);
  const cancelledRunId = await bar.openRunPage();
  await expect(runPage.status()).toHaveText("cancelled");

  // History and comparison of the two runs.
  const history = new RunHistoryPage(page);
  await history.goto(workflowId);
  await expect(history.rows()).toHaveCount(2);
  await history.compare([firstRunId, cancelledRunId]);
  await expect(page.getByTestId("compare.diff.optimizer-1.iterations")).toContainText("300");

  // Review: tighten the guard on the first run and re-run; the comparison of the two opens.
  await runPage.goto(firstRunId);
  await runPage.setReviewParam("guard-1", "gamma", "5");
  await runPage.setReviewParam("optimizer-1", "iterations", "3");
  await runPage.rerun("Tighter guard, 3 iterations");
  await expect(page.getByTestId("compare.diff.guard-1.gamma")).toContainText("5");
  await expect(page.getByTestId("compare.run.1")).toContainText("succeeded", { timeout: 60_000 });
  await expect(page.getByTestId("compare.run.1")).toContainText("revision");

  // Drop the downloaded PNG onto the editor: its workflow is imported and opened.
  await editor.goto(workflowId);
  const transfer = await page.evaluateHandle(
    (bytes) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], "run.png", { type: "image/png" }));
      return data;
    },
    [...png],
  );
  await page.getByTestId("canvas").dispatchEvent("drop", { dataTransfer: transfer });
  await expect
    .poll(() => new URL(page.url()).pathname, { timeout: 30_000 })
    .not.toBe(`/workflows/${workflowId}`);
  await editor.waitReady();
  await expect(editor.param("sampler-1", "steps")).toHaveValue("4");
  await expect(editor.param("optimizer-1", "iterations")).toHaveValue("6");

  // The same PNG dropped onto the workflow list opens (a new import of) its workflow as well.
  const openedFromEditor = new URL(page.url()).pathname;
  await list.goto();
  const listTransfer = await page.evaluateHandle(
    (bytes) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], "run.png", { type: "image/png" }));
      return data;
    },
    [...png],
  );
  await page.locator("body").dispatchEvent("drop", { dataTransfer: listTransfer });
  await expect.poll(() => new URL(page.url()).pathname, { timeout: 30_000 }).toMatch(/^\/workflows\/[^/]+$/);
  expect(new URL(page.url()).pathname).not.toBe(openedFromEditor);
  await editor.waitReady();
  await expect(editor.param("sampler-1", "steps")).toHaveValue("4");
});

test("a workflow the server refuses to run shows why on the node, and nothing runs", async ({ page }) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  const bar = new RunBar(page);
  await list.goto();
  await list.open("Brighten with a guard");
  // JPEG size has no gradient; with the exact (backprop) estimator the planner refuses the run.
  await editor.param("reward-1", "kind").selectOption("jpeg-compressibility");
  await bar.run();
  await expect(page.getByTestId("run.error")).toContainText(/gradient|estimator/i);
  await expect(page.getByTestId("node.reward-1.run")).toHaveAttribute("data-run-status", "refused");
  await expect(page.getByTestId("run.status")).toHaveCount(0);
});
