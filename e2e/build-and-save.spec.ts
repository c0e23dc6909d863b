/**
 * The main path: create a workflow, add all six node types from the palette, wire them, see a refused
 * connection with its reason where it was dropped, edit parameters, save, reload and find everything there.
 */
import { expect, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { WorkflowListPage } from "./pages/workflow-list-page";

test("build a whole pipeline from the palette, save it and find it after a reload", async ({ page }) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  await list.goto();
  const workflowId = await list.create(`Pipeline ${Date.now()}`);
  await editor.waitReady();
  await expect(editor.nodes()).toHaveCount(0);

  // Zoomed out, the six cards fit in two rows, away from the canvas edges (where dragging auto-pans).
  await editor.zoomOut(4);
  const layout = {
    prompt: { x: 150, y: 60 },
    noise: { x: 430, y: 60 },
    guard: { x: 710, y: 60 },
    sampler: { x: 150, y: 470 },
    reward: { x: 430, y: 470 },
    optimizer: { x: 710, y: 470 },
  } as const;
  const ids = { prompt: "", noise: "", sampler: "", reward: "", guard: "", optimizer: "" };
  for (const type of ["prompt", "noise", "sampler", "reward", "guard", "optimizer"] as const) {
    ids[type] = await editor.dropNode(type, layout[type].x, layout[type].y);
    await expect(editor.node(ids[type])).toBeVisible();
  }
  expect(ids.sampler).toBe("sampler-1");
  await expect(editor.unsaved()).toBeVisible();

  // A new Sampler has nothing connected: its missing inputs are listed on the card and in the panel.
  await expect(editor.page.getByTestId(`node.${ids.sampler}.issues`)).toBeVisible();
  const issuesBefore = await editor.issueItems().count();
  expect(issuesBefore).toBeGreaterThan(0);

  await editor.connect(ids.prompt, "conditioning", ids.sampler, "conditioning");
  await editor.connect(ids.noise, "noise", ids.sampler, "noise");
  await editor.connect(ids.sampler, "image", ids.reward, "image");
  await editor.connect(ids.reward, "reward", ids.optimizer, "rewards");
  await editor.connect(ids.guard, "guard", ids.optimizer, "guards");
  await expect(editor.edges()).toHaveCount(5);
  await expect(editor.refusedToast()).toHaveCount(0);
  expect(await editor.issueItems().count()).toBeLessThan(issuesBefore);

  // An image output into a Guards input: refused, with the reason shown where the mouse let go.
  const drop = await editor.connect(ids.sampler, "image", ids.optimizer, "guards");
  const toast = editor.refusedToast();
  await expect(toast).toBeVisible();
  await expect(toast).toContainText(/image/i);
  const box = (await toast.boundingBox())!;
  expect(Math.abs(box.x - drop.x)).toBeLessThan(60);
  expect(Math.abs(box.y - drop.y)).toBeLessThan(60);
  await expect(editor.edges()).toHaveCount(5);

  // Edit parameters: text, a slider's number box, a select.
  await editor.page.getByTestId("toolbar.fit").click();
  await editor.param(ids.prompt, "text").fill("a red apple on a wooden table");
  await editor.param(ids.sampler, "steps").fill("20");
  await editor.param(ids.sampler, "steps").blur();
  await expect(editor.param(ids.sampler, "steps")).toHaveValue("20");

  await editor.save("Whole pipeline wired", 2);
  await expect(editor.unsaved()).toHaveCount(0);

  await page.reload();
  await editor.waitReady();
  await expect(editor.nodes()).toHaveCount(6);
  await expect(editor.edges()).toHaveCount(5);
  await expect(editor.param(ids.prompt, "text")).toHaveValue("a red apple on a wooden table");
  await expect(editor.param(ids.sampler, "steps")).toHaveValue("20");
  await expect(editor.saved()).toContainText("version 2");
  expect(page.url()).toContain(workflowId);
});

test("an out-of-range value is marked on the field and listed; clicking the issue selects its node", async ({
  page,
}) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  await list.goto();
  await list.create(`Validation ${Date.now()}`);
  const sampler = await editor.clickAddNode("sampler");
  await editor.param(sampler, "steps").fill("5000");
  await expect(editor.node(sampler)).toHaveClass(/has-errors/);
  await expect(editor.page.getByTestId(`node.${sampler}.issues`)).toContainText(/steps/i);
  await editor.page.getByTestId("canvas").click({ position: { x: 5, y: 5 } });
  const item = editor.page.locator(`[data-testid^="issues.item."][data-node-id="${sampler}"]`).first();
  await item.click();
  await expect(editor.page.locator(`.react-flow__node[data-id="${sampler}"]`)).toHaveClass(/selected/);
});
