/** Page object of the workflow list ("/"): every locator goes through a stable data-testid. */
import { type Download, expect, type Locator, type Page } from "@playwright/test";

export class WorkflowListPage {
  constructor(readonly page: Page) {}

  async goto(): Promise<void> {
    await this.page.goto("/");
    await expect(this.page.getByTestId("workflow-list")).toBeVisible();
    await expect(this.page.getByTestId("workflows.table")).toBeVisible();
  }

  /** The row of the workflow with this exact name in the main table (the Trash below has rows too). */
  row(name: string): Locator {
    return this.page.getByTestId("workflows.table").locator(`tr[data-name="${name.replaceAll('"', '\\"')}"]`);
  }

  /** The Trash section's row of the deleted workflow with this id. */
  trashRow(id: string): Locator {
    return this.page.getByTestId(`workflows.trash.${id}`);
  }

  async idOf(name: string): Promise<string> {
    const testId = await this.row(name).first().getAttribute("data-testid");
    if (!testId) throw new Error(`No workflow named "${name}" in the list.`);
    return testId.replace(/^workflows\.item\./, "");
  }

  /** Creates a workflow and waits for its editor to open; returns its id. */
  async create(name: string): Promise<string> {
    await this.page.getByTestId("workflows.create.name").fill(name);
    await this.page.getByTestId("workflows.create.submit").click();
    await this.page.waitForURL(/\/workflows\/[^/]+$/);
    await expect(this.page.getByTestId("editor")).toBeVisible();
    return this.page.url().split("/").pop()!;
  }

  async open(name: string): Promise<void> {
    const id = await this.idOf(name);
    await this.page.getByTestId(`workflows.item.${id}.open`).click();
    await this.page.waitForURL(`**/workflows/${id}`);
    await expect(this.page.getByTestId("editor")).toBeVisible();
  }

  async rename(name: string, newName: string): Promise<void> {
    const id = await this.idOf(name);
    await this.page.getByTestId(`workflows.item.${id}.rename`).click();
    await this.page.getByTestId("rename-dialog.name").fill(newName);
    await this.page.getByTestId("rename-dialog.confirm").click();
    await expect(this.row(newName)).toBeVisible();
  }

  async duplicate(name: string): Promise<void> {
    const id = await this.idOf(name);
    await this.page.getByTestId(`workflows.item.${id}.duplicate`).click();
    await expect(this.page.getByTestId("workflows.info")).toBeVisible();
  }

  async delete(name: string): Promise<void> {
    const id = await this.idOf(name);
    await this.page.getByTestId(`workflows.item.${id}.delete`).click();
    await expect(this.page.getByTestId("confirm-dialog")).toContainText(name);
    await this.page.getByTestId("confirm-dialog.confirm").click();
    await expect(this.page.getByTestId(`workflows.item.${id}`)).toHaveCount(0);
  }

  /** Opens the Trash section (a closed <details> at first) and restores the workflow with this id. */
  async restore(id: string): Promise<void> {
    const trash = this.page.getByTestId("workflows.trash");
    if ((await trash.getAttribute("open")) === null) await trash.locator("summary").click();
    await this.page.getByTestId(`workflows.trash.${id}.restore`).click();
    await expect(this.page.getByTestId("workflows.info")).toContainText("Restored");
    await expect(this.page.getByTestId(`workflows.item.${id}`)).toBeVisible();
  }

  async export(name: string): Promise<Download> {
    const id = await this.idOf(name);
    const download = this.page.waitForEvent("download");
    await this.page.getByTestId(`workflows.item.${id}.export`).click();
    return download;
  }

  async importFile(file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
    await this.page.getByTestId("workflows.import.input").setInputFiles(file);
  }

  error(): Locator {
    return this.page.getByTestId("workflows.error");
  }
}
