/**
 * Sharing in the browser: the owner shares a workflow by email (viewer) and by a link (reviewer) from the
 * editor's Share dialog; the viewer finds it under "Shared with me" and gets a read-only editor that says why;
 * the link opens the workflow for someone else; when the owner removes the viewer and revokes the link, the
 * viewer's open page answers with a sentence and the revoked link says it was revoked.
 */
import { expect, test } from "@playwright/test";
import { invitedPerson, trpc } from "./people";

test.setTimeout(180_000);

const PASSWORD = "sharing-e2e-password-1";

test("share by email and by link; viewers read only; removed access and revoked links say why", async ({
  page,
  browser,
}) => {
  const stamp = Date.now().toString(36);
  const workflow = await trpc<{ id: string }>(page.request, "workflow.create", { name: `Shared ${stamp}` });
  const veraEmail = `vera-${stamp}@sharing.example`;
  const vera = await invitedPerson(browser, page.request, {
    name: "Vera Viewer",
    email: veraEmail,
    password: PASSWORD,
  });
  const lin = await invitedPerson(browser, page.request, {
    name: "Lin Linked",
    email: `lin-${stamp}@sharing.example`,
    password: PASSWORD,
  });

  // The owner shares by email from the editor's toolbar.
  await page.goto(`/workflows/${workflow.id}`);
  await page.getByTestId("toolbar.share").click();
  const dialog = page.getByTestId("share-dialog");
  await dialog.getByTestId("share-dialog.email").fill("nobody@sharing.example");
  await dialog.getByTestId("share-dialog.add").click();
  await expect(dialog.getByTestId("share-dialog.message")).toContainText(
    "No account uses nobody@sharing.example",
  );
  await dialog.getByTestId("share-dialog.email").fill(veraEmail);
  await dialog.getByTestId("share-dialog.role").selectOption("viewer");
  await dialog.getByTestId("share-dialog.add").click();
  await expect(dialog.getByTestId("share-dialog.info")).toHaveText("Shared with Vera Viewer as viewer.");
  await expect(dialog.getByTestId(`share-dialog.person.${veraEmail}`)).toBeVisible();

  // …and creates a reviewer link, shown once.
  await dialog.getByTestId("share-dialog.link-role").selectOption("reviewer");
  await dialog.getByTestId("share-dialog.create-link").click();
  const linkUrl = await dialog.getByTestId("share-dialog.new-link.url").inputValue();
  expect(linkUrl).toMatch(/\/share\/[A-Za-z0-9_-]{40,}$/);

  // The viewer finds it under "Shared with me" and gets a read-only editor that says why.
  const veraPage = await vera.newPage();
  await veraPage.goto("/");
  await expect(veraPage.getByTestId(`workflows.shared.${workflow.id}.role`)).toHaveText("viewer");
  await veraPage.goto(`/workflows/${workflow.id}`);
  await expect(veraPage.getByTestId("editor.access-notice")).toContainText("You have viewer access");
  await expect(veraPage.getByTestId("toolbar.save")).toHaveCount(0);
  await expect(veraPage.getByTestId("palette.read-only")).toContainText("You have viewer access");

  // Someone else opens the link and lands on the workflow as a reviewer.
  const linPage = await lin.newPage();
  await linPage.goto(linkUrl);
  await expect(linPage).toHaveURL(new RegExp(`/workflows/${workflow.id}$`));
  await expect(linPage.getByTestId("editor.access-notice")).toContainText("You have reviewer access");

  // The owner removes the viewer and revokes the link.
  await dialog.getByTestId(`share-dialog.person.${veraEmail}.remove`).click();
  await expect(dialog.getByTestId("share-dialog.info")).toHaveText("Vera Viewer no longer has access.");
  await dialog.locator('[data-state="active"] button').first().click();
  await expect(dialog.getByTestId("share-dialog.info")).toHaveText(
    "Link revoked: it no longer opens anything.",
  );

  // The viewer's open page: the next call is refused with a sentence, not a blank page.
  await veraPage.getByTestId("toolbar.share").click();
  await expect(veraPage.getByTestId("share-dialog.error")).toContainText("is no longer shared with you");
  // The revoked link changes nothing and says so.
  await veraPage.goto(linkUrl);
  await expect(veraPage.getByTestId("share-link.error")).toContainText("This share link was revoked");
  await vera.close();
  await lin.close();
});
