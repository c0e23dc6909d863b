/**
 * The Sampler's Image size offers only what its model can draw: the bundled model's graphs fix 64 px, so its
 * select holds “Model default (64 px)” alone (models.list carries each model's rule to the editor).
 */
import { expect, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { WorkflowListPage } from "./pages/workflow-list-page";

test("the Sampler's Image size lists only the sizes the bundled model draws", async ({ page }) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  await list.goto();
  await list.open("Brighten with a guard");
  await expect(editor.nodes().first()).toBeVisible();

  const size = editor.param("sampler-1", "imageSize");
  await expect(size).toHaveValue("0");
  // Until the model list arrives the select shows a bare “Model default”; then the model's own size.
  await expect(size.locator("option")).toHaveText(["Model default (64 px)"]);
  await expect(size).not.toHaveAttribute("aria-invalid", "true");
});
