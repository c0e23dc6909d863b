/** Undo/redo from the toolbar and the keyboard, grouped typing, delete, copy/paste, dirty tracking. */
import { expect, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { WorkflowListPage } from "./pages/workflow-list-page";

test("undo and redo: adding, typing bursts, delete, copy/paste, and clean again when back at the save", async ({
  page,
}) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  await list.goto();
  await list.create(`Undo ${Date.now()}`);
  await expect(editor.saved()).toBeVisible();

  const prompt = await editor.clickAddNode("prompt");
  await expect(editor.unsaved()).toBeVisible();
  await editor.undo();
  await expect(editor.nodes()).toHaveCount(0);
  // Undoing back to the saved state is clean again.
  await expect(editor.saved()).toBeVisible();
  await editor.redo();
  await expect(editor.node(prompt)).toBeVisible();

  // A typing burst is ONE undo step.
  const text = editor.param(prompt, "text");
  const original = await text.inputValue();
  await text.fill("");
  await text.blur(); // leaving the field ends the burst
  await text.pressSequentially("a cat", { delay: 30 });
  await expect(text).toHaveValue("a cat");
  await text.blur();
  await page.keyboard.press("Control+z");
  await expect(text).toHaveValue("");
  await page.keyboard.press("Control+z");
  await expect(text).toHaveValue(original);
  await page.keyboard.press("Control+Shift+z");
  await page.keyboard.press("Control+y");
  await expect(text).toHaveValue("a cat");

  // Select the node, copy and paste it, then delete the copy with the keyboard; undo brings it back.
  await editor.node(prompt).locator(".node-head").click();
  await page.keyboard.press("Control+c");
  await page.keyboard.press("Control+v");
  await expect(editor.nodes()).toHaveCount(2);
  const copy = (await editor.nodeIds()).find((id) => id !== prompt)!;
  await expect(editor.param(copy, "text")).toHaveValue("a cat");
  await page.keyboard.press("Delete");
  await expect(editor.nodes()).toHaveCount(1);
  await page.keyboard.press("Control+z");
  await expect(editor.nodes()).toHaveCount(2);

  // Shift-click multi-select, then delete both.
  // The copy sits 40 px below-right of the original: the original's top-left corner stays uncovered.
  await editor
    .node(copy)
    .locator(".node-head")
    .click({ position: { x: 8, y: 8 } });
  await editor
    .node(prompt)
    .locator(".node-head")
    .click({ position: { x: 8, y: 8 }, modifiers: ["Shift"] });
  await expect(page.locator(".react-flow__node.selected")).toHaveCount(2);

  // Box select: Escape clears the selection, Shift+drag around both cards selects them again.
  await page.keyboard.press("Escape");
  await expect(page.locator(".react-flow__node.selected")).toHaveCount(0);
  const a = (await editor.node(prompt).boundingBox())!;
  const b = (await editor.node(copy).boundingBox())!;
  await page.keyboard.down("Shift");
  await page.mouse.move(Math.min(a.x, b.x) - 30, Math.min(a.y, b.y) - 30);
  await page.mouse.down();
  await page.mouse.move(
    Math.max(a.x + a.width, b.x + b.width) + 30,
    Math.max(a.y + a.height, b.y + b.height) + 30,
    {
      steps: 8,
    },
  );
  await page.mouse.up();
  await page.keyboard.up("Shift");
  await expect(page.locator(".react-flow__node.selected")).toHaveCount(2);
  await page.keyboard.press("Backspace");
  await expect(editor.nodes()).toHaveCount(0);

  // The shortcuts are listed in the help panel.
  await page.keyboard.press("?");
  await expect(page.getByTestId("help-dialog")).toContainText("Undo");
  await page.getByTestId("help-dialog.close").click();
});
