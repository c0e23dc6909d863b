/**
 * Issue 11 in the browser: scores people read as positive ("score +0.42 since the start"), a JPEG size as the
 * share saved, and guards that say how much they changed the update. Short runs of two examples (4 sampler
 * steps); screenshots of the live panel and the run page go to the test's output folder.
 */
import { expect, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { RunBar } from "./pages/run-pages";
import { WorkflowListPage } from "./pages/workflow-list-page";

test.setTimeout(240_000);

test("the JPEG size reads as the share saved; the score as gained; guards say how much they changed", async ({
  page,
}, testInfo) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  const bar = new RunBar(page);

  // Its own copies of the examples: a run saves the edits as a version, and other specs (the live panel
  // check) duplicate the examples as they are seeded.
  await list.goto();
  await list.duplicate("Non-differentiable reward (JPEG) with the hybrid estimator");
  await list.rename(
    "Copy of Non-differentiable reward (JPEG) with the hybrid estimator",
    "JPEG scores check",
  );
  await list.open("JPEG scores check");
  await editor.waitReady();
  await editor.param("sampler-1", "steps").fill("4");
  await editor.param("optimizer-1", "iterations").fill("3");
  await bar.run();
  await expect(bar.status()).toHaveText("succeeded", { timeout: 120_000 });
  await expect(page.getByTestId("run.reward.reward-1")).toHaveText(
    /^\d+(\.\d)? % (smaller|larger) JPEG size than at the start$/,
  );
  await page.screenshot({ path: testInfo.outputPath("live-panel-jpeg.png") });

  await list.goto();
  await list.duplicate("Brighten with a guard");
  await list.rename("Copy of Brighten with a guard", "Guard scores check");
  await list.open("Guard scores check");
  await editor.waitReady();
  await editor.param("sampler-1", "steps").fill("4");
  await editor.param("optimizer-1", "iterations").fill("6");
  await bar.run();
  await expect(bar.status()).toHaveText("succeeded", { timeout: 120_000 });
  await bar.openRunPage();
  await expect(page.getByTestId("run-page.slider-label")).toContainText("since the start");
  await expect(page.getByTestId("run-page.score")).toHaveText(/^(0|[+−]\d+\.\d+)$/);
  const guards = page.getByTestId("run-page.guards");
  await expect(guards).toBeVisible();
  // PR measures its change every iteration: either it fired and says how much, or its largest change.
  await expect(guards.getByTestId("run-page.guard.guard-1")).toContainText(
    /changed the update by \d+(\.\d)? %|largest change of the update was \d+(\.\d)? %|times the rewards' own/,
  );
  await expect(guards.getByTestId("run-page.guard.guard-1")).toHaveAttribute(
    "title",
    /Probability regularization/,
  );
  await page.screenshot({ path: testInfo.outputPath("run-page.png"), fullPage: true });
});
