/**
 * Comments in the editor (issue 10): a comment on a node shows as the node's badge, a comment on a parameter
 * marks its row, resolving a thread takes it off the badge, a body with HTML shows as text (and runs
 * nothing), and the activity tab tells who commented on what. Works on a copy of the Brighten example so the
 * review spec's counts on the example itself stay its own.
 */
import { expect, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { WorkflowListPage } from "./pages/workflow-list-page";

test("comment on a node and on a parameter, see the badges, resolve, read the activity", async ({ page }) => {
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  await list.goto();
  await list.duplicate("Brighten with a guard");
  await list.open("Copy of Brighten with a guard");

  const badge = page.getByTestId("node.guard-1.comments");
  await expect(badge).toHaveAttribute("data-count", "0");
  await badge.click();
  await expect(page.getByTestId("panel.comments")).toHaveAttribute("aria-selected", "true");
  const target = page.getByTestId("comments.target");
  await expect(target.locator("option:checked")).toHaveText("Probability regularization");

  const html = '<img src=x onerror="alert(1)"> is γ too weak?';
  await page.getByTestId("comments.input").fill(html);
  await page.getByTestId("comments.send").click();
  const nodeThread = page.locator('[data-testid^="comment-thread."][data-target-kind="node"]');
  await expect(nodeThread).toContainText(html);
  await expect(badge).toHaveAttribute("data-count", "1");

  await target.selectOption({ label: "Probability regularization › Strength (γ)" });
  await page.getByTestId("comments.input").fill("Try 5 here.");
  await page.getByTestId("comments.send").click();
  await expect(page.locator('[data-testid^="comment-thread."][data-target-kind="param"]')).toContainText(
    "Try 5 here.",
  );
  await expect(badge).toHaveAttribute("data-count", "2");
  await expect(page.getByTestId("node.guard-1.param.gamma.comments")).toBeVisible();

  // Resolving the node's thread takes it off the badge; the parameter's thread stays.
  await nodeThread.getByRole("button", { name: "Resolve" }).click();
  await expect(badge).toHaveAttribute("data-count", "1");

  // The parameter's marker opens the comments with that parameter chosen.
  await page.getByTestId("panel.issues").click();
  await page.getByTestId("node.guard-1.param.gamma.comments").click();
  await expect(page.getByTestId("panel.comments")).toHaveAttribute("aria-selected", "true");
  await expect(target.locator("option:checked")).toHaveText("Probability regularization › Strength (γ)");

  await page.getByTestId("panel.activity").click();
  await expect(page.getByTestId("activity.list")).toContainText(
    "commented on Probability regularization › Strength (γ)",
  );

  // The badge survives a reload (counts come from the server).
  await editor.goto(new URL(page.url()).pathname.split("/").at(-1) ?? "");
  await expect(badge).toHaveAttribute("data-count", "1");
  expect(dialogs).toEqual([]);
});
