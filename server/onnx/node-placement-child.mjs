// Child process of node-placement.ts: creates one session with ONNX Runtime's verbose log on (it goes to
// this process's stderr, which the parent reads) and exits. Plain JavaScript so that `node` runs it as is.
import * as ort from "onnxruntime-node";

const [modelPath, provider] = process.argv.slice(2);
try {
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    logSeverityLevel: 0,
    logVerbosityLevel: 0,
  });
  await session.release();
} catch (error) {
  process.stdout.write(
    `SESSION_FAILED ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`,
  );
  process.exitCode = 1;
}
