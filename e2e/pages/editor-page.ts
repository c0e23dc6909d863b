/** Page object of the workflow editor ("/workflows/<id>"). */
import { expect, type Locator, type Page } from "@playwright/test";

export class EditorPage {
  constructor(readonly page: Page) {}

  async goto(workflowId: string): Promise<void> {
    await this.page.goto(`/workflows/${workflowId}`);
    await this.waitReady();
  }

  async waitReady(): Promise<void> {
    await expect(this.page.getByTestId("editor")).toBeVisible();
    await expect(this.page.locator(".react-flow__viewport")).toBeAttached();
  }

  node(id: string): Locator {
    return this.page.getByTestId(`canvas.node.${id}`);
  }

  nodes(): Locator {
    return this.page.locator('[data-testid^="canvas.node."]');
  }

  edges(): Locator {
    return this.page.locator(".react-flow__edge");
  }

  param(nodeId: string, name: string): Locator {
    return this.page.getByTestId(`param.${nodeId}.${name}`);
  }

  handle(nodeId: string, side: "in" | "out", port: string): Locator {
    return this.page.getByTestId(`handle.${nodeId}.${side}.${port}`);
  }

  /** Ids of the nodes on the canvas. */
  async nodeIds(): Promise<string[]> {
    const ids = await this.nodes().evaluateAll((elements) =>
      elements.map((element) => element.getAttribute("data-testid") ?? ""),
    );
    return ids.map((id) => id.replace(/^canvas\.node\./, ""));
  }

  /** Zooms out with the canvas controls so a whole row of cards fits on screen. */
  async zoomOut(times: number): Promise<void> {
    const button = this.page.locator(".react-flow__controls-zoomout");
    for (let i = 0; i < times; i++) {
      await button.click();
      await this.page.waitForTimeout(80);
    }
  }

  /** Drags a node type from the palette onto the canvas at (x, y) relative to the canvas; returns its id. */
  async dropNode(type: string, x: number, y: number): Promise<string> {
    const before = new Set(await this.nodeIds());
    await this.page
      .getByTestId(`palette.node.${type}`)
      .dragTo(this.page.getByTestId("canvas"), { targetPosition: { x, y } });
    await expect.poll(async () => (await this.nodeIds()).length).toBe(before.size + 1);
    const added = (await this.nodeIds()).find((id) => !before.has(id));
    if (!added) throw new Error(`Dropping "${type}" added no node.`);
    return added;
  }

  /** Adds a node by clicking its palette entry; returns its id. */
  async clickAddNode(type: string): Promise<string> {
    const before = new Set(await this.nodeIds());
    await this.page.getByTestId(`palette.node.${type}`).click();
    await expect.poll(async () => (await this.nodeIds()).length).toBe(before.size + 1);
    return (await this.nodeIds()).find((id) => !before.has(id))!;
  }

  /** Drags a connection from an output handle to an input handle with the mouse; returns the drop point. */
  async connect(
    source: string,
    sourcePort: string,
    target: string,
    targetPort: string,
  ): Promise<{ x: number; y: number }> {
    const from = await this.handle(source, "out", sourcePort).boundingBox();
    const to = await this.handle(target, "in", targetPort).boundingBox();
    if (!from || !to)
      throw new Error(`Handle not visible: ${source}.${sourcePort} → ${target}.${targetPort}`);
    const start = { x: from.x + from.width / 2, y: from.y + from.height / 2 };
    const end = { x: to.x + to.width / 2, y: to.y + to.height / 2 };
    await this.page.mouse.move(start.x, start.y);
    await this.page.mouse.down();
    await this.page.mouse.move((start.x + end.x) / 2, (start.y + end.y) / 2, { steps: 5 });
    await this.page.mouse.move(end.x, end.y, { steps: 5 });
    await this.page.mouse.up();
    return end;
  }

  refusedToast(): Locator {
    return this.page.getByTestId("canvas.connection-refused");
  }

  async undo(): Promise<void> {
    await this.page.getByTestId("toolbar.undo").click();
  }

  async redo(): Promise<void> {
    await this.page.getByTestId("toolbar.redo").click();
  }

  unsaved(): Locator {
    return this.page.getByTestId("editor.unsaved");
  }

  saved(): Locator {
    return this.page.getByTestId("editor.saved");
  }

  /** Saves through the toolbar with a message and waits for the new version number. */
  async save(message: string, expectedVersion: number): Promise<void> {
    await this.page.getByTestId("toolbar.save").click();
    await this.page.getByTestId("save-dialog.message").fill(message);
    await this.page.getByTestId("save-dialog.confirm").click();
    await expect(this.page.getByTestId("save-dialog")).toHaveCount(0);
    await expect(this.saved()).toContainText(`version ${expectedVersion}`);
  }

  async openVersions(): Promise<void> {
    await this.page.getByTestId("panel.versions").click();
    await expect(this.page.getByTestId("versions.list")).toBeVisible();
  }

  async openIssues(): Promise<void> {
    await this.page.getByTestId("panel.issues").click();
  }

  issueItems(): Locator {
    return this.page.locator('[data-testid^="issues.item."]');
  }
}
