/**
 * Issue 11, keyboard access, with the keyboard only: Tab reaches the palette, Enter and Space add nodes, Tab
 * reaches a card, Enter selects it, the arrow keys move it and Delete removes it; a dialog takes focus, keeps
 * Tab inside, closes on Escape and gives focus back to the button that opened it; focus is visible.
 */
import { expect, type Locator, type Page, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { WorkflowListPage } from "./pages/workflow-list-page";

/** Presses Tab (or Shift+Tab) until `target` has focus; fails when it is not reachable within `limit` presses. */
async function tabTo(page: Page, target: Locator, limit = 120, backwards = false): Promise<void> {
  for (let presses = 0; presses < limit; presses++) {
    if (await target.evaluate((element) => element === document.activeElement).catch(() => false)) return;
    await page.keyboard.press(backwards ? "Shift+Tab" : "Tab");
  }
  await expect(target).toBeFocused();
}

/** Starts from the top of the page (nothing focused) and Tabs forward to `target`. */
async function tabFromTop(page: Page, target: Locator, limit = 150): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await tabTo(page, target, limit);
}

/** Whether the focused element, or the card inside a focused card frame, draws a visible outline. */
async function focusRingVisible(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement)) return false;
    const ringed = active.classList.contains("react-flow__node")
      ? active.querySelector(".node-card")
      : active;
    if (!(ringed instanceof HTMLElement)) return false;
    const style = getComputedStyle(ringed);
    return (
      (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== "none"
    );
  });
}

test("palette, cards and dialogs work with the keyboard alone", async ({ page }) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  await list.goto();
  const id = await list.create("Keyboard e2e");
  await editor.goto(id);

  // The palette: Tab to an entry, Enter adds it; Space adds the next.
  await tabFromTop(page, page.getByTestId("palette.node.prompt"));
  expect(await focusRingVisible(page)).toBe(true);
  await page.getByTestId("palette").screenshot({ path: test.info().outputPath("palette-focus.png") });
  await page.keyboard.press("Enter");
  await expect(editor.nodes()).toHaveCount(1);
  await tabFromTop(page, page.getByTestId("palette.node.noise"));
  await page.keyboard.press("Space");
  await expect(editor.nodes()).toHaveCount(2);
  // The search field narrows the palette; Tab goes on to the matches.
  await tabFromTop(page, page.getByTestId("palette.search"));
  await page.keyboard.type("sampler");
  await tabTo(page, page.getByTestId("palette.node.sampler"), 6);
  await page.keyboard.press("Enter");
  // The Sampler goes right of the selected Noise, out of view; F fits the graph (the canvas draws only the
  // cards in view).
  await page.keyboard.press("f");
  await expect(editor.nodes()).toHaveCount(3);

  // A card: Tab reaches its frame (named for screen readers), Enter selects it, arrows move it, Delete removes.
  const noiseId = (await editor.nodeIds()).find((nodeId) => nodeId.startsWith("noise"))!;
  const frame = page.locator(`.react-flow__node[data-id="${noiseId}"]`);
  await expect(frame).toHaveAttribute("aria-label", /^Noise/);
  await tabFromTop(page, frame);
  expect(await focusRingVisible(page)).toBe(true);
  await page.screenshot({ path: test.info().outputPath("card-focus.png") });
  await page.keyboard.press("Enter");
  await expect(frame).toHaveClass(/selected/);
  const before = await frame.evaluate((element) => (element as HTMLElement).style.transform);
  await page.keyboard.press("Shift+ArrowRight");
  await expect
    .poll(() => frame.evaluate((element) => (element as HTMLElement).style.transform))
    .not.toBe(before);
  // Inside the card, Tab reaches its fields.
  await tabTo(page, editor.param(noiseId, "seed"), 10);
  await tabTo(page, frame, 10, true);
  await page.keyboard.press("Delete");
  await expect(editor.nodes()).toHaveCount(2);
  await page.keyboard.press("Control+z");
  await expect(editor.nodes()).toHaveCount(3);

  // A dialog: Enter on Save opens it with focus inside; Tab never leaves it; Escape closes it and focus
  // returns to Save.
  const save = page.getByTestId("toolbar.save");
  await tabFromTop(page, save);
  await page.keyboard.press("Enter");
  const dialog = page.getByTestId("save-dialog");
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId("save-dialog.message")).toBeFocused();
  await page.screenshot({ path: test.info().outputPath("save-dialog.png") });
  for (let presses = 0; presses < 8; presses++) {
    await page.keyboard.press(presses % 3 === 2 ? "Shift+Tab" : "Tab");
    expect(await dialog.evaluate((element) => element.contains(document.activeElement))).toBe(true);
  }
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(save).toBeFocused();
  await expect(editor.nodes()).toHaveCount(3);

  // …and saves with the keyboard: type the message, Tab to the confirm button, Enter.
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("save-dialog.message")).toBeFocused();
  await page.keyboard.type("Built with the keyboard");
  await tabTo(page, page.getByTestId("save-dialog.confirm"), 10);
  await page.keyboard.press("Enter");
  await expect(dialog).toHaveCount(0);
  await expect(editor.saved()).toContainText("version 2");

  // The shortcut help: "?" opens it, Escape closes it.
  await tabFromTop(page, frame);
  await page.keyboard.press("?");
  await expect(page.getByTestId("help-dialog")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("help-dialog")).toHaveCount(0);
  await expect(frame).toBeFocused();
});
