/**
 * Worker process tests (real `main.ts` / `child-main.ts` processes) replace the DNO executor with the small
 * loop through DNO_WORKER_TEST_EXECUTOR (see blocking-executor.ts); unset, the real executor is used.
 */
import type { RunExecutor } from "../executor-port";

export async function testExecutorFromEnv(): Promise<RunExecutor | undefined> {
  const spec = process.env.DNO_WORKER_TEST_EXECUTOR;
  if (!spec) return undefined;
  const { createBlockingTestExecutor } = await import("./blocking-executor");
  return createBlockingTestExecutor(spec);
}
