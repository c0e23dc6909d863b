/** How long a silent worker counts as live: the run lease (a worker past it has lost its runs). */
import { DEFAULT_PRESUMED_DEAD_AFTER_MS } from "../../services/workers/worker-state";

export function presumedDeadAfterMs(): number {
  return DEFAULT_PRESUMED_DEAD_AFTER_MS;
}
