/**
 * The review flow of issue 10, end to end with separate browser contexts (separate people): the owner
 * shares a workflow with a reviewer; the reviewer comments on the Guard node, changes γ in a proposal and
 * runs it; the owner sees the comment badge, the readable diff and both runs side by side, replies and
 * accepts; the version history credits the reviewer; a viewer cannot run; an anonymous visitor is sent to
 * sign in.
 *
 * The owner is the spec's own `page` (signed in by the e2e set-up). The reviewer and the viewer are invited
 * by the owner and create their accounts through the auth library's HTTP API with the invitation, in their
 * own contexts (which then hold their session cookies); the owner shares through the Share dialog.
 */
import { expect, type Page, test } from "@playwright/test";
import { signedOutState } from "./accounts";
import { EditorPage } from "./pages/editor-page";
import { RunBar } from "./pages/run-pages";
import { WorkflowListPage } from "./pages/workflow-list-page";
import { baseUrl, invitedPerson, trpc } from "./people";

test.setTimeout(300_000);

const PASSWORD = "review-e2e-password-1";
/** Signed out, with the first-run tour's card out of the way (e2e/accounts.ts). */
const emptyState = () => signedOutState(baseUrl());

/**
 * The e2e set-up signs `page` in as the instance's owner. Run alone on a fresh database (no set-up), the
 * spec creates that first account itself through the same API.
 */
async function ensureOwnerSignedIn(page: Page): Promise<void> {
  const session = await page.request.get("/api/auth/get-session", { headers: { origin: baseUrl() } });
  const body: unknown = session.ok() ? await session.json().catch(() => null) : null;
  if (body !== null && typeof body === "object" && "user" in body) return;
  const response = await page.request.post("/api/auth/sign-up/email", {
    headers: { origin: baseUrl() },
    data: { name: "Olga Owner", email: "owner@review.example", password: PASSWORD },
  });
  expect(response.ok(), `No signed-in owner and none could be created: ${await response.text()}`).toBe(true);
}

test("two people review a workflow: comment, propose, run, compare, accept, credit", async ({
  page,
  browser,
}) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  const bar = new RunBar(page);
  await ensureOwnerSignedIn(page);

  // The owner works on their own copy of the example (other specs count the example's runs and versions)
  // and makes a short base run (4 sampler steps, 4 iterations), saved as version 2.
  await list.goto();
  const copy = await trpc<{ id: string }>(page.request, "workflow.duplicate", {
    workflowId: await list.idOf("Brighten with a guard"),
    name: "Reviewed: Brighten with a guard",
  });
  const workflowId = copy.id;
  await editor.goto(workflowId);
  await editor.param("sampler-1", "steps").fill("4");
  await editor.param("optimizer-1", "iterations").fill("4");
  await bar.run();
  await expect(bar.status()).toHaveText("succeeded", { timeout: 90_000 });

  // The owner shares it with a reviewer and a viewer.
  const reviewerContext = await invitedPerson(browser, page.request, {
    name: "Ben Reviewer",
    email: "ben@review.example",
    password: PASSWORD,
  });
  const viewerContext = await invitedPerson(browser, page.request, {
    name: "Vic Viewer",
    email: "vic@review.example",
    password: PASSWORD,
  });
  await page.getByTestId("toolbar.share").click();
  for (const [email, role] of [
    ["ben@review.example", "reviewer"],
    ["vic@review.example", "viewer"],
  ] as const) {
    await page.getByTestId("share-dialog.email").fill(email);
    await page.getByTestId("share-dialog.role").selectOption(role);
    await page.getByTestId("share-dialog.add").click();
    await expect(page.getByTestId(`share-dialog.person.${email}`)).toBeVisible();
  }
  await page.getByTestId("share-dialog.close").click();

  // The reviewer comments on the Guard node.
  const reviewer = await reviewerContext.newPage();
  const reviewerEditor = new EditorPage(reviewer);
  await reviewerEditor.goto(workflowId);
  await reviewer.getByTestId("node.guard-1.comments").click();
  await reviewer.getByTestId("comments.input").fill("γ = 1 lets the picture drift; try 5?");
  await reviewer.getByTestId("comments.send").click();
  await expect(reviewer.getByText("γ = 1 lets the picture drift; try 5?")).toBeVisible();

  // …opens the current version in review mode, changes γ and runs the proposal (no new version).
  await reviewer.getByTestId("panel.versions").click();
  await reviewer.getByTestId("versions.item.2.review").click();
  await expect(reviewer.getByTestId("review.banner")).toHaveText(
    "Reviewing version 2 — your changes are a proposal, not a new version",
  );
  await expect(reviewer.getByTestId("toolbar.save")).toHaveCount(0);
  await reviewerEditor.param("guard-1", "gamma").fill("5");
  await reviewer.getByTestId("review.title").fill("Stronger guard");
  await reviewer.getByTestId("review.run").click();
  await reviewer.waitForURL(/\/proposals\/[^/]+$/);
  const proposalUrl = new URL(reviewer.url()).pathname;
  await expect(reviewer.getByTestId("proposal.title")).toHaveText("Stronger guard");
  await expect(reviewer.getByTestId("proposal.accept")).toHaveCount(0);
  await expect(reviewer.getByTestId("compare.run.1")).toContainText("succeeded", { timeout: 90_000 });

  // The owner sees the comment badge on the Guard node, replies, and opens the proposal.
  await editor.goto(workflowId);
  await expect(page.getByTestId("node.guard-1.comments")).toHaveAttribute("data-count", "1");
  await page.getByTestId("node.guard-1.comments").click();
  const thread = page.locator('[data-testid^="comment-thread."][data-target-kind="node"]').first();
  await expect(thread).toContainText("γ = 1 lets the picture drift; try 5?");
  await thread.getByRole("button", { name: "Reply" }).click();
  await thread.locator("textarea").fill("Good catch — let me look at your runs.");
  await thread.getByRole("button", { name: "Reply" }).click();
  await expect(thread).toContainText("Good catch — let me look at your runs.");

  await page.getByTestId("toolbar.proposals").click();
  await page.getByRole("link", { name: "Stronger guard" }).click();
  await expect(page).toHaveURL(new RegExp(`${proposalUrl}$`));
  await expect(page.getByTestId("proposal.diff")).toContainText(
    "Probability regularization › Strength (γ): 1 → 5",
  );
  // Both runs side by side: the base run and the proposal's, each with images and the shared curves.
  await expect(page.getByTestId("compare.run.0")).toContainText("Base run (v2)");
  await expect(page.getByTestId("compare.run.1")).toContainText("Proposal run 1");
  await expect(page.getByTestId("compare.run.1")).toContainText("succeeded", { timeout: 90_000 });
  await expect(page.getByTestId("chart.pr")).toBeVisible();
  await page.getByTestId("proposal.accept").click();
  await expect(page.getByTestId("proposal.notice")).toHaveText("Accepted as version 3.");
  await expect(page.getByTestId("proposal.status")).toHaveText("accepted");

  // The version history credits the reviewer and shows what changed.
  await editor.goto(workflowId);
  await page.getByTestId("panel.versions").click();
  await expect(page.getByTestId("versions.item.3")).toContainText(
    "Accepted proposal “Stronger guard” by Ben Reviewer",
  );
  await expect(page.getByTestId("versions.item.3.credit")).toHaveText(/by Ben Reviewer, accepted by .+/);
  await page.getByTestId("versions.item.3.pick").check();
  await page.getByTestId("versions.item.2.pick").check();
  await page.getByTestId("versions.compare").click();
  await expect(page.getByTestId("version-diff.list")).toContainText(
    "Probability regularization › Strength (γ): 1 → 5",
  );

  // A viewer cannot run: the editor offers no Run and says why, and the server refuses a run all the same.
  const viewer = await viewerContext.newPage();
  const viewerEditor = new EditorPage(viewer);
  await viewerEditor.goto(workflowId);
  await expect(viewer.getByTestId("editor.access-notice")).toContainText("You have viewer access");
  await expect(viewer.getByTestId("toolbar.run")).toHaveCount(0);
  const versions = await trpc<{ id: string; number: number }[]>(
    viewer.request,
    "version.list",
    { workflowId },
    "query",
  );
  await expect(
    trpc(viewer.request, "run.start", { workflowId, versionId: versions[0]?.id ?? "" }),
  ).rejects.toThrow(/editor access/);
  await expect(
    trpc(viewer.request, "proposals.create", { workflowId, versionId: versions[0]?.id ?? "" }),
  ).rejects.toThrow(/reviewer access/);

  // An anonymous visitor is sent to sign in.
  const anonymous = await browser.newContext({ baseURL: baseUrl(), storageState: emptyState() });
  const visitor = await anonymous.newPage();
  await visitor.goto(`/workflows/${workflowId}`);
  await expect(visitor).toHaveURL(/\/sign-in/);

  await Promise.all([reviewerContext.close(), viewerContext.close(), anonymous.close()]);
});
