/**
 * Every page passes an automated accessibility check (axe-core) with no serious or critical violation:
 * labelled controls, contrast, landmarks, names of buttons and links. Signed in as the owner; the sign-in
 * page is checked signed out.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { signedOutState } from "./accounts";
import { WorkflowListPage } from "./pages/workflow-list-page";

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes
          .slice(0, 3)
          .map((node) => node.target.join(" "))
          .join(", ")}`,
    );
}

test("every page has no serious accessibility violation", async ({ page }) => {
  test.setTimeout(240_000);
  const list = new WorkflowListPage(page);
  await list.goto();
  // Its own copy of the example: the run below must not add versions or runs other specs count.
  await list.duplicate("Brighten with a guard");
  await list.rename("Copy of Brighten with a guard", "Accessibility check");
  const workflowId = await list.idOf("Accessibility check");
  const pages: Record<string, string> = {
    list: "/",
    editor: `/workflows/${workflowId}`,
    runs: `/workflows/${workflowId}/runs`,
    uploads: "/assets",
    glossary: "/glossary",
    settings: "/settings",
    admin: "/admin",
  };
  const found: Record<string, string[]> = {};
  for (const [name, url] of Object.entries(pages)) {
    await page.goto(url);
    await page.waitForLoadState("networkidle");
    found[name] = await seriousViolations(page);
  }
  // A run page: start a run of the copy and open it.
  await page.goto(`/workflows/${workflowId}`);
  await page.getByTestId("toolbar.run").click();
  await page.getByTestId("run.open").click();
  await expect(page).toHaveURL(/\/runs\//);
  await page.waitForLoadState("networkidle");
  found.run = await seriousViolations(page);
  expect(found).toEqual(Object.fromEntries(Object.keys(found).map((name) => [name, []])));
});

test("the sign-in page has no serious accessibility violation", async ({ browser }) => {
  const baseURL = test.info().project.use.baseURL;
  const context = await browser.newContext({ baseURL, storageState: signedOutState(baseURL) });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.waitForLoadState("networkidle");
  expect(await seriousViolations(page)).toEqual([]);
  await context.close();
});
