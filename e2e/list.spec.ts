/** The workflow list: seeded examples, rename, duplicate, delete, export then import, bad imports. */
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

test("rename, duplicate and delete (with confirmation)", async ({ page }) => {
  const list = new WorkflowListPage(page);
  const name = `List ${Date.now()}`;
  await list.goto();
  await list.create(name);
  await list.goto();
  await list.rename(name, `${name} renamed`);
  await list.duplicate(`${name} renamed`);
  await expect(page.locator(`tr[data-name*="${name} renamed"]`)).toHaveCount(2);
  await list.delete(`${name} renamed`);
  await expect(list.row(`${name} renamed`)).toHaveCount(0);
  await expect(page.locator(`tr[data-name*="${name} renamed"]`)).toHaveCount(1);
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
