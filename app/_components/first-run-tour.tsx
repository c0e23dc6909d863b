"use client";
/**
 * The first-visit guide's card (steps and rules: app/_lib/first-run-tour.ts). Small and non-modal, at the
 * bottom left, so it never blocks the page; "Skip tour" ends it for good, and Help (?) explains the rest.
 */
import { usePathname } from "next/navigation";
import { useEffect, useState } from "react";
import {
  advance,
  parseTourProgress,
  stepToShow,
  TOUR_STEPS,
  TOUR_STORAGE_KEY,
  type TourProgress,
  tourPageOf,
} from "@/app/_lib/first-run-tour";
import { useLiveRun } from "@/app/_runs/live-run-store";

function readProgress(): TourProgress {
  try {
    return parseTourProgress(window.localStorage.getItem(TOUR_STORAGE_KEY));
  } catch {
    return "done";
  }
}

function storeProgress(progress: TourProgress): void {
  try {
    window.localStorage.setItem(TOUR_STORAGE_KEY, progress);
  } catch {
    // Private windows may refuse storage: the tour then simply shows again next time.
  }
}

export function FirstRunTour() {
  const pathname = usePathname();
  const live = useLiveRun();
  // Read after mount: the server render has no localStorage, and a returning visitor must not see a flash.
  const [progress, setProgress] = useState<TourProgress | null>(null);
  useEffect(() => setProgress(readProgress()), []);
  if (progress === null) return null;
  // A run in the editor's live panel (running or just finished) moves the editor from "press Run" on.
  const runShown = live.progress?.run != null;
  const shown = stepToShow(progress, tourPageOf(pathname), runShown);
  if (!shown) return null;
  const number = TOUR_STEPS.findIndex((candidate) => candidate.id === shown.id) + 1;
  const update = (next: TourProgress) => {
    storeProgress(next);
    setProgress(next);
  };
  return (
    <section className="tour-card" aria-label="Getting started" data-testid="tour" data-step={shown.id}>
      <div className="tour-step faint">
        Getting started · {number} of {TOUR_STEPS.length}
      </div>
      <h2>{shown.title}</h2>
      <p>{shown.text}</p>
      <div className="tour-buttons">
        <button
          type="button"
          className="btn btn-small"
          onClick={() => update("done")}
          data-testid="tour.skip"
        >
          Skip tour
        </button>
        <button
          type="button"
          className="btn btn-small btn-primary"
          onClick={() => update(advance(shown))}
          data-testid="tour.next"
        >
          {number === TOUR_STEPS.length ? "Done" : "Got it"}
        </button>
      </div>
    </section>
  );
}
