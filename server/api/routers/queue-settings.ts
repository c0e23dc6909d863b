/** How long a silent worker counts as live: the run lease (a worker past it has lost its runs to the reaper). */
import { getEnv } from "../../env";

export function presumedDeadAfterMs(): number {
  return getEnv().worker.leaseMs;
}
