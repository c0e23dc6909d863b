/** Page objects of runs: the editor's run bar, the run page, the run history and the comparison. */
import { expect, type Locator, type Page } from "@playwright/test";

export class RunBar {
  constructor(readonly page: Page) {}

  async run(): Promise<void> {
    await this.page.getByTestId("toolbar.run").click();
    await expect(this.page.getByTestId("run.bar")).toBeVisible();
  }

  status(): Locator {
    return this.page.getByTestId("run.status");
  }

  /**
   * Records every (iteration, reward) the bar shows from now on, in the page itself, so that a fast run
   * cannot slip between two polls of the test.
   */
  async record(rewardId: string): Promise<void> {
    await this.page.evaluate((id) => {
      const seen: [number, number][] = [];
      (window as unknown as { __runBar: [number, number][] }).__runBar = seen;
      const read = () => {
        const iteration = Number(
          /Iteration (\d+)/.exec(
            document.querySelector('[data-testid="run.iteration"]')?.textContent ?? "",
          )?.[1],
        );
        const reward = Number(document.querySelector(`[data-testid="run.reward.${id}"]`)?.textContent);
        const last = seen.at(-1);
        if (
          Number.isFinite(iteration) &&
          Number.isFinite(reward) &&
          iteration > 0 &&
          (!last || last[0] !== iteration)
        ) {
          seen.push([iteration, reward]);
        }
      };
      new MutationObserver(read).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    }, rewardId);
  }

  async recorded(): Promise<[number, number][]> {
    return this.page.evaluate(() => (window as unknown as { __runBar: [number, number][] }).__runBar);
  }

  /** The iteration shown in the bar (1-based count of finished iterations). */
  async iteration(): Promise<number> {
    const text = (await this.page.getByTestId("run.iteration").textContent()) ?? "";
    return Number(/Iteration (\d+)/.exec(text)?.[1] ?? Number.NaN);
  }

  async reward(rewardId: string): Promise<number> {
    return Number(await this.page.getByTestId(`run.reward.${rewardId}`).textContent());
  }

  async cancel(): Promise<void> {
    await this.page.getByTestId("run.cancel").click();
  }

  async openRunPage(): Promise<string> {
    await this.page.getByTestId("run.open").click();
    await expect(this.page.getByTestId("run-page")).toBeVisible();
    return new URL(this.page.url()).pathname.split("/").at(-1) ?? "";
  }
}

export class RunPage {
  constructor(readonly page: Page) {}

  async goto(runId: string): Promise<void> {
    await this.page.goto(`/runs/${runId}`);
    await expect(this.page.getByTestId("run-page")).toBeVisible();
  }

  status(): Locator {
    return this.page.getByTestId("run-page.status");
  }

  async setReviewParam(nodeId: string, param: string, value: string): Promise<void> {
    await this.page.getByTestId(`review.${nodeId}.${param}`).fill(value);
  }

  async rerun(message: string): Promise<void> {
    await this.page.getByTestId("review.message").fill(message);
    await this.page.getByTestId("review.rerun").click();
    await expect(this.page.getByTestId("compare")).toBeVisible();
  }
}

export class RunHistoryPage {
  constructor(readonly page: Page) {}

  async goto(workflowId: string): Promise<void> {
    await this.page.goto(`/workflows/${workflowId}/runs`);
    await expect(this.page.getByTestId("run-history")).toBeVisible();
  }

  rows(): Locator {
    return this.page.locator('[data-testid^="run-history.row."]');
  }

  async compare(runIds: readonly string[]): Promise<void> {
    for (const id of runIds) await this.page.getByTestId(`run-history.pick.${id}`).check();
    await this.page.getByTestId("run-history.compare").click();
    await expect(this.page.getByTestId("compare")).toBeVisible();
  }
}
