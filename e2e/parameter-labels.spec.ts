/**
 * Issue 11, names: the run page's review table and the compare page show parameters in the editor's words
 * — declared labels ("Learning rate", not "learningRate"), option labels ("Adam", not "adam"), lists as the
 * list field shows them — through one shared component, and the review table uses the editor's own fields.
 */
import { expect, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { RunBar, RunHistoryPage } from "./pages/run-pages";
import { WorkflowListPage } from "./pages/workflow-list-page";

test.setTimeout(240_000);

test("run and compare pages show labels and option labels, never internal names", async ({ page }) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  const bar = new RunBar(page);
  await list.goto();
  // Its own copy of the example: other specs count the example's runs and versions.
  await list.duplicate("Brighten with a guard");
  await list.rename("Copy of Brighten with a guard", "Labels check");
  await list.open("Labels check");
  await editor.waitReady();
  const workflowId = new URL(page.url()).pathname.split("/").at(-1) ?? "";

  await editor.param("sampler-1", "steps").fill("4");
  await editor.param("optimizer-1", "iterations").fill("2");
  await editor.param("noise-1", "optimize").selectOption("initial");
  await bar.run();
  // Run saved the changes first, and says so.
  await expect(page.getByTestId("editor.notice")).toContainText("Saved as version 2 (“Saved to run”)");
  await expect(bar.status()).toHaveText("succeeded", { timeout: 90_000 });
  const firstRunId = await bar.openRunPage();

  // The review table: the editor's labels and fields, option labels in its selects.
  const optimizer = page.getByTestId("review.node.optimizer-1");
  await expect(optimizer).toContainText("Learning rate");
  await expect(optimizer).toContainText("Iterations");
  await expect(optimizer).not.toContainText("learningRate");
  await expect(page.getByTestId("review.optimizer-1.learningRate")).toHaveValue("0.02");
  await expect(page.getByTestId("review.noise-1.optimize").locator("option:checked")).toHaveText(
    "Initial noise only",
  );
  await expect(page.getByTestId("review.node.noise-1")).toContainText("What to optimize");
  await expect(page.getByTestId("review")).not.toContainText("initial-and-steps");
  await page.getByTestId("review").screenshot({ path: test.info().outputPath("review-table.png") });

  // A second run with another algorithm and learning rate; the compare page words the differences.
  await editor.goto(workflowId);
  await editor.param("optimizer-1", "algorithm").selectOption("adam");
  await editor.param("optimizer-1", "learningRate").fill("0.03");
  await bar.run();
  await expect(bar.status()).toHaveText("succeeded", { timeout: 90_000 });
  const secondRunId = await bar.openRunPage();
  // Adam's betas show as the editor's list field does.
  await expect(page.getByTestId("review.optimizer-1.betas")).toHaveValue("0.9, 0.999");

  const history = new RunHistoryPage(page);
  await history.goto(workflowId);
  await history.compare([firstRunId, secondRunId]);
  const learningRate = page.getByTestId("compare.diff.optimizer-1.learningRate");
  await expect(learningRate).toContainText("Learning rate");
  await expect(learningRate).toContainText("0.02");
  await expect(learningRate).toContainText("0.03");
  // Nodes are named as their cards show them.
  await expect(learningRate.locator("td").first()).toHaveText("Optimizer 1");
  const algorithm = page.getByTestId("compare.diff.optimizer-1.algorithm");
  await expect(algorithm).toContainText("Algorithm");
  await expect(algorithm).toContainText("Adam");
  await expect(algorithm).not.toContainText("sgd-nesterov");
  await expect(page.getByTestId("compare.differences")).not.toContainText("learningRate");
  // For the eye (issue 11 asks for screenshots of every changed screen): kept in the test's output folder.
  await page.screenshot({ path: test.info().outputPath("compare.png"), fullPage: true });
});
