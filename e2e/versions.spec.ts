/**
 * Versions: every save is a version; an older one can be viewed read-only, copied to the canvas and
 * restored — one verb per action (app/_lib/version-verbs.ts), the same words on buttons, tooltips and notices.
 */
import { expect, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { WorkflowListPage } from "./pages/workflow-list-page";

test("restore an older version", async ({ page }) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  await list.goto();
  await list.create(`Versions ${Date.now()}`);
  const sampler = await editor.clickAddNode("sampler");
  await editor.param(sampler, "steps").fill("25");
  await editor.save("Twenty-five steps", 2);
  await editor.param(sampler, "steps").fill("70");
  await editor.save("Seventy steps", 3);

  await editor.openVersions();
  await expect(page.getByTestId("versions.item.3")).toContainText("Seventy steps");
  await expect(page.getByTestId("versions.item.2")).toContainText("Twenty-five steps");

  // One verb per action; the retired near-synonyms (Open, Load) are gone.
  const actions = page.getByTestId("versions.item.2").locator(".version-actions");
  await expect(actions).toHaveText(/^View\s*Copy to canvas\s*Review\s*Restore$/);
  await expect(page.getByTestId("versions.item.2.load")).toHaveAttribute("title", /unsaved changes/);
  await expect(page.getByTestId("versions.item.2.restore")).toHaveAttribute("title", /newest/);
  await page.getByTestId("versions.list").screenshot({ path: test.info().outputPath("versions.png") });

  // Copy to canvas: an undoable, unsaved edit.
  await page.getByTestId("versions.item.2.load").click();
  await expect(editor.param(sampler, "steps")).toHaveValue("25");
  await expect(editor.unsaved()).toBeVisible();
  await editor.undo();
  await expect(editor.param(sampler, "steps")).toHaveValue("70");

  // View v2 read-only: its own canvas, the value it was saved with.
  await page.getByTestId("versions.item.2.preview").click();
  const preview = page.getByTestId("version-preview");
  await expect(preview).toBeVisible();
  await expect(preview.getByTestId(`param.${sampler}.steps`)).toHaveValue("25");
  await expect(preview.getByTestId("version-preview.load")).toHaveText("Copy to canvas");
  await expect(preview.getByTestId("version-preview.restore")).toHaveText("Restore");
  await preview.getByTestId("version-preview.restore").click();

  await expect(page.getByTestId("editor.notice")).toHaveText(
    "Restored version 2: it is now version 4, the newest.",
  );
  await expect(page.getByTestId("versions.item.4")).toContainText("restored", { ignoreCase: true });
  await expect(editor.saved()).toContainText("version 4");
  await expect(editor.param(sampler, "steps")).toHaveValue("25");

  await page.reload();
  await editor.waitReady();
  await expect(editor.param(sampler, "steps")).toHaveValue("25");
});

test("a save from a stale copy is refused with the server's message and the edits are kept", async ({
  page,
  context,
}) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  await list.goto();
  const id = await list.create(`Conflict ${Date.now()}`);

  const other = new EditorPage(await context.newPage());
  await other.goto(id);
  await other.clickAddNode("noise");
  await other.save("Saved in the other window", 2);

  const prompt = await editor.clickAddNode("prompt");
  await editor.page.getByTestId("toolbar.save").click();
  await editor.page.getByTestId("save-dialog.message").fill("Stale save");
  await editor.page.getByTestId("save-dialog.confirm").click();
  await expect(editor.page.getByTestId("save-dialog.error")).toContainText(/another window|version 2/i);
  await editor.page.keyboard.press("Escape");
  await expect(editor.unsaved()).toBeVisible();
  await expect(editor.node(prompt)).toBeVisible();
});
