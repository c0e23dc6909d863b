/**
 * Runs before every spec (the "setup" project in playwright.config.ts): the fresh e2e database has no
 * account, so visiting the app leads to /setup, where the owner account is created through the real form.
 * The signed-in browser state is saved for all specs (they run as the owner).
 */
import { expect, test as setup } from "@playwright/test";
import { E2E_OWNER, OWNER_STATE_FILE, TOUR_STORAGE_KEY } from "./accounts";

setup("the first visitor creates the owner account on /setup", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await page.getByLabel("Your name").fill(E2E_OWNER.name);
  await page.getByLabel("Email").fill(E2E_OWNER.email);
  await page.getByLabel("Password", { exact: true }).fill(E2E_OWNER.password);
  await page.getByLabel("Password again").fill(E2E_OWNER.password);
  await page.getByRole("button", { name: "Create the owner account" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("user-menu")).toContainText(E2E_OWNER.name);
  // Specs click around the pages: the first-run tour's card stays away (e2e/tour.spec.ts tests it).
  await page.evaluate((key) => window.localStorage.setItem(key, "done"), TOUR_STORAGE_KEY);
  await page.context().storageState({ path: OWNER_STATE_FILE });
});
