/** The workflow list: seeded examples, rename, duplicate, delete to the Trash and restore, export then import, bad imports. */
import fs from "node:fs";
import { expect, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { WorkflowListPage } from "./pages/workflow-list-page";

test("the seeded examples are listed and open in the editor", async ({ page }) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  await list.goto();
  for (const name of [
    "Brighten with a guard",
    "Maximize a reward with probability regularization",
    "Non-differentiable reward (JPEG) with the hybrid estimator",
  ]) {
    await expect(list.row(name)).toBeVisible();
  }
  await list.open("Brighten with a guard");
  await expect(editor.nodes().first()).toBeVisible();
  expect(await editor.nodes().count()).toBeGreaterThanOrEqual(5);
  expect(await editor.edges().count()).toBeGreaterThanOrEqual(4);
  await expect(editor.saved()).toBeVisible();
});

test("rename, duplicate, delete (with confirmation) into the Trash, and restore from it", async ({
  page,
}) => {
  const list = new WorkflowListPage(page);
  const name = `List ${Date.now()}`;
  // Rows of the main table whose name contains this (the renamed workflow and its copy).
  const listed = page.getByTestId("workflows.table").locator(`tr[data-name*="${name} renamed"]`);
  await list.goto();
  await list.create(name);
  await list.goto();
  await list.rename(name, `${name} renamed`);
  await list.duplicate(`${name} renamed`);
  await expect(listed).toHaveCount(2);

  const id = await list.idOf(`${name} renamed`);
  await list.delete(`${name} renamed`);
  await expect(list.row(`${name} renamed`)).toHaveCount(0);
  await expect(listed).toHaveCount(1);
  await expect(page.getByTestId("workflows.info")).toContainText(`Moved “${name} renamed” to the trash`);
  // Deleting is not final: the workflow waits in the Trash section, under its own name.
  await expect(list.trashRow(id)).toHaveCount(1);
  await expect(list.trashRow(id)).toHaveAttribute("data-name", `${name} renamed`);

  await list.restore(id);
  await expect(list.row(`${name} renamed`)).toHaveCount(1);
  await expect(listed).toHaveCount(2);
  await expect(list.trashRow(id)).toHaveCount(0);
});

test("export then import a workflow; a broken file is refused with the server's message", async ({
  page,
}) => {
  const list = new WorkflowListPage(page);
  await list.goto();
  const download = await list.export("Brighten with a guard");
  const text = fs.readFileSync(await download.path(), "utf8");
  expect(JSON.parse(text)).toBeTruthy();

  const countBefore = await page.locator('tr[data-testid^="workflows.item."]').count();
  await list.importFile({
    name: "brighten.dno.json",
    mimeType: "application/json",
    buffer: Buffer.from(text),
  });
  await expect(page.getByTestId("workflows.info")).toContainText("Imported");
  await expect(page.locator('tr[data-testid^="workflows.item."]')).toHaveCount(countBefore + 1);

  await list.importFile({
    name: "broken.json",
    mimeType: "application/json",
    buffer: Buffer.from('{"nodes": ['),
  });
  await expect(list.error()).toBeVisible();
  await expect(list.error()).toContainText(/json/i);
  await expect(page.locator('tr[data-testid^="workflows.item."]')).toHaveCount(countBefore + 1);
});
