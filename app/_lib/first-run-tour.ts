/**
 * The first-visit guide (issue 11): four short steps — open an example, press Run, watch the live panel,
 * read the result — each shown on the page where it applies. Headless: which step a page shows and how the
 * answer is remembered (localStorage) are plain functions, tested without rendering.
 */

export const TOUR_STORAGE_KEY = "dno.tour";

export type TourPage = "list" | "editor" | "run" | "other";

export interface TourStep {
  readonly id: "open-example" | "press-run" | "watch-live" | "read-result";
  readonly page: TourPage;
  readonly title: string;
  readonly text: string;
}

export const TOUR_STEPS: readonly TourStep[] = [
  {
    id: "open-example",
    page: "list",
    title: "Welcome to DNO Studio",
    text:
      "DNO improves a picture by changing the random noise it starts from, never the model. Open an example " +
      "to see it work — “Brighten with a guard” is a good first one.",
  },
  {
    id: "press-run",
    page: "editor",
    title: "This is a workflow",
    text:
      "Prompt and Noise feed the Sampler, which makes a picture; a Reward scores it; a Guard stops reward " +
      "hacking; the Optimizer nudges the noise. Press ▶ Run at the top right to start.",
  },
  {
    id: "watch-live",
    page: "editor",
    title: "Watch it improve",
    text:
      "While it runs, the panel on the right shows the latest picture, the score and the reward-hacking " +
      "meter. When it is done, press Open run to review it.",
  },
  {
    id: "read-result",
    page: "run",
    title: "Read the result",
    text:
      "Slide through the iterations to see the picture change; the charts show the score rising and the " +
      "meter staying typical. Hover any dotted word for its meaning. You can now build your own workflow.",
  },
];

/** What is stored: "done" (finished or skipped) or the id of the furthest step reached. */
export type TourProgress = "done" | TourStep["id"];

export function parseTourProgress(stored: string | null): TourProgress {
  if (stored === "done" || stored === "dismissed") return "done";
  return TOUR_STEPS.some((step) => step.id === stored) ? (stored as TourStep["id"]) : "open-example";
}

export function tourPageOf(pathname: string): TourPage {
  if (pathname === "/") return "list";
  if (/^\/workflows\/[^/]+$/.test(pathname)) return "editor";
  if (/^\/runs\/[^/]+$/.test(pathname)) return "run";
  return "other";
}

/**
 * The step to show on `page`: the furthest step reached if it belongs to this page, else the first step of
 * this page that comes after it (people skip ahead by clicking around). Earlier pages show nothing again.
 */
export function stepToShow(progress: TourProgress, page: TourPage, runShown: boolean): TourStep | null {
  if (progress === "done" || page === "other") return null;
  const reached = TOUR_STEPS.findIndex((step) => step.id === progress);
  for (const [index, step] of TOUR_STEPS.entries()) {
    if (index < reached || step.page !== page) continue;
    // The live-panel step waits for a run in the editor's live panel; before that the editor shows "press Run".
    if (step.id === "press-run" && runShown) continue;
    if (step.id === "watch-live" && !runShown) continue;
    return step;
  }
  return null;
}

/** Progress after the person pressed "Next" on `step` (the last step finishes the tour). */
export function advance(step: TourStep): TourProgress {
  const index = TOUR_STEPS.findIndex((candidate) => candidate.id === step.id);
  return TOUR_STEPS[index + 1]?.id ?? "done";
}
