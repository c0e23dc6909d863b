/**
 * Accounts in the browser: the owner exists (created on /setup by auth.setup.ts), so /setup is closed;
 * anonymous visitors are sent to sign in; a wrong password gets one message whether or not the email has an
 * account; signing out; an invitation link lets a second person sign up, who then changes their password.
 * Sign-out and password changes happen in separate contexts so that the owner's saved session (used by the
 * other specs) stays valid.
 */
import { type Browser, type BrowserContext, expect, type Page, test } from "@playwright/test";
import { E2E_OWNER, signedOutState } from "./accounts";

async function anonymousPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: test.info().project.use.baseURL,
    storageState: signedOutState(test.info().project.use.baseURL),
  });
  return { context, page: await context.newPage() };
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signOut(page: Page): Promise<void> {
  await page.getByTestId("user-menu").locator("summary").click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
}

test("an anonymous visitor is sent to sign in, and /setup is closed once the owner exists", async ({
  browser,
}) => {
  const { context, page } = await anonymousPage(browser);
  await page.goto("/assets");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fassets$/);
  await expect(page.getByRole("heading", { name: "Sign in to DNO Studio" })).toBeVisible();
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/sign-in$/);
  const api = await page.request.get("/api/trpc/workflow.list");
  expect(api.status()).toBe(401);
  expect(await api.text()).toContain("Sign in to continue.");
  await context.close();
});

test("a wrong password gets a clear message that does not tell whether the email exists", async ({
  browser,
}) => {
  const { context, page } = await anonymousPage(browser);
  await page.goto("/sign-in");
  await signIn(page, E2E_OWNER.email, "not-the-password");
  const alert = page.getByTestId("auth.sign-in-form").getByRole("alert");
  await expect(alert).toHaveText("Wrong email or password. Check both and try again.");
  await signIn(page, "nobody-here@e2e.test", "not-the-password");
  await expect(alert).toHaveText("Wrong email or password. Check both and try again.");
  await expect(page).toHaveURL(/\/sign-in$/);
  await context.close();
});

test("signing in returns to the page asked for; signing out sends the next visit to sign in", async ({
  browser,
}) => {
  const { context, page } = await anonymousPage(browser);
  await page.goto("/assets");
  await signIn(page, E2E_OWNER.email, E2E_OWNER.password);
  await expect(page).toHaveURL(/\/assets$/);
  await expect(page.getByTestId("user-menu")).toContainText(E2E_OWNER.name);
  await signOut(page);
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in$/);
  await context.close();
});

test("an invitation link lets a second person sign up; they change their password", async ({
  page,
  browser,
}) => {
  const email = `invited-${Date.now()}@e2e.test`;
  await page.goto("/admin");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send invitation" }).click();
  const link = (await page.getByTestId("admin.invitation-link").locator("code").textContent()) ?? "";
  expect(link).toContain("/sign-up?invitation=");

  const invited = await anonymousPage(browser);
  await invited.page.goto(new URL(link).pathname + new URL(link).search);
  await expect(invited.page.getByLabel("Email")).toHaveValue(email);
  await invited.page.getByLabel("Your name").fill("Invited Person");
  await invited.page.getByLabel("Password", { exact: true }).fill("first-password-1");
  await invited.page.getByLabel("Password again").fill("first-password-1");
  await invited.page.getByRole("button", { name: "Create my account" }).click();
  await expect(invited.page).toHaveURL(/\/$/);
  await expect(invited.page.getByTestId("user-menu")).toContainText("Invited Person");

  // The owner sees them in the people list.
  await page.reload();
  await expect(page.getByTestId("admin.people")).toContainText(email);

  await invited.page.goto("/settings");
  await invited.page.getByLabel("Current password").fill("wrong-current-1");
  await invited.page.getByLabel("New password", { exact: true }).fill("second-password-2");
  await invited.page.getByLabel("New password again").fill("second-password-2");
  await invited.page.getByRole("button", { name: "Change password" }).click();
  const passwordForm = invited.page.getByTestId("settings.password-form");
  await expect(passwordForm.getByRole("alert")).toContainText("The current password is wrong");
  await invited.page.getByLabel("Current password").fill("first-password-1");
  await invited.page.getByRole("button", { name: "Change password" }).click();
  await expect(passwordForm.getByRole("status")).toContainText("Password changed");

  await signOut(invited.page);
  await signIn(invited.page, email, "second-password-2");
  await expect(invited.page).toHaveURL(/\/$/);
  await invited.context.close();
});
