/**
 * Whether React has taken over the page. Forms that carry a password keep their submit button disabled
 * until then: a click before hydration would submit the form natively (a GET would put the password in the
 * address bar and the server log).
 */
import { useSyncExternalStore } from "react";

const noSubscription = () => () => {};

export function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}
