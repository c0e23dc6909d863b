/** The first-run guide: shown to a new visitor page by page, remembered once skipped or done. */
import { expect, test } from "@playwright/test";
import { TOUR_STORAGE_KEY } from "./accounts";
import { WorkflowListPage } from "./pages/workflow-list-page";

test("a first visit walks from the list to an example's Run, and Skip ends the tour for good", async ({
  page,
}) => {
  const list = new WorkflowListPage(page);
  await list.goto();
  // The signed-in state of the specs marks the tour done; this spec is a first visit again.
  await page.evaluate((key) => window.localStorage.removeItem(key), TOUR_STORAGE_KEY);
  await page.reload();
  const tour = page.getByTestId("tour");
  await expect(tour).toHaveAttribute("data-step", "open-example");
  await expect(tour).toContainText("Open an example");
  await page.getByTestId("tour.next").click();
  await expect(tour).toHaveCount(0);

  await list.open("Brighten with a guard");
  await expect(tour).toHaveAttribute("data-step", "press-run");
  await expect(tour).toContainText("Press ▶ Run");
  await page.getByTestId("tour.skip").click();
  await expect(tour).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("editor")).toBeVisible();
  await expect(tour).toHaveCount(0);
});
