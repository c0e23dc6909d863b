/** The e2e owner account (created on /setup by auth.setup.ts) and where its signed-in state is kept. */
import path from "node:path";

export const E2E_OWNER = {
  name: "E2E Owner",
  email: "owner@e2e.test",
  password: "e2e-owner-password-1",
} as const;

export const OWNER_STATE_FILE = path.join(import.meta.dirname, "..", "data", "e2e-owner-state.json");

/** localStorage key of the first-run tour (app/_lib/first-run-tour.ts); "done" hides its card. */
export const TOUR_STORAGE_KEY = "dno.tour";

/**
 * A signed-out browser state for new contexts. The first-run tour is marked done so that its card never sits
 * over what a spec clicks; e2e/tour.spec.ts tests the tour itself.
 */
export function signedOutState(baseURL: string | undefined) {
  return {
    cookies: [],
    origins: baseURL ? [{ origin: baseURL, localStorage: [{ name: TOUR_STORAGE_KEY, value: "done" }] }] : [],
  };
}
