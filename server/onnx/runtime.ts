/**
 * The ONNX Runtime implementation of `OnnxRuntime`: the only module that imports onnxruntime-node.
 *
 * Sessions are cached process-wide by (model sha256, provider, threads) on globalThis, so Next's hot reload
 * and repeated loads of the same model reuse one session. Tensors are created from host tensors and
 * disposed in `run`, in one place.
 */
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { type OnnxConfig, readOnnxConfig } from "./config";
import { ExecutionProviderUnavailableError, OnnxError } from "./errors";
import { checkFeeds } from "./feeds";
import { addOneModel } from "./tiny-onnx";
import type {
  BoundRun,
  ElementType,
  HostTensor,
  OnnxModel,
  OnnxRuntime,
  RunOptions,
  RuntimeStats,
  TensorSpec,
} from "./types";

interface ProcessCaches {
  sessions: Map<string, Promise<ort.InferenceSession>>;
  fileHashes: Map<string, { size: number; mtimeMs: number; sha256: Promise<string> }>;
  sessionCreations: number;
  defaultRuntime: Promise<OnnxRuntime> | undefined;
}

const globalKey = "__dnoStudioOnnxCaches";
type GlobalWithCaches = typeof globalThis & { [globalKey]?: ProcessCaches };

/** One set of caches per process, surviving module re-evaluation (Next hot reload). */
function caches(): ProcessCaches {
  const holder = globalThis as GlobalWithCaches;
  holder[globalKey] ??= {
    sessions: new Map(),
    fileHashes: new Map(),
    sessionCreations: 0,
    defaultRuntime: undefined,
  };
  return holder[globalKey];
}

/** How many sessions this process has created (the cache-hit test reads it). */
export function sessionCreationCount(): number {
  return caches().sessionCreations;
}

/** sha256 of a file, cached by (path, size, mtime) so that large models are hashed once. */
export async function fileSha256(filePath: string): Promise<string> {
  const absolute = path.resolve(filePath);
  const stat = statSync(absolute);
  const cached = caches().fileHashes.get(absolute);
  if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.sha256;
  const sha256 = new Promise<string>((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(absolute)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
  caches().fileHashes.set(absolute, { size: stat.size, mtimeMs: stat.mtimeMs, sha256 });
  return sha256;
}

const knownElementTypes: readonly ElementType[] = [
  "float32",
  "int64",
  "int32",
  "float16",
  "float64",
  "uint8",
  "int8",
  "bool",
];

function toSpecs(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorSpec[] {
  return metadata.map((value) => {
    if (!value.isTensor) return { name: value.name, type: "unknown", shape: [] };
    const type = (knownElementTypes as readonly string[]).includes(value.type)
      ? (value.type as ElementType)
      : "unknown";
    return { name: value.name, type, shape: [...value.shape] };
  });
}

function toOrtTensor(tensor: HostTensor): ort.Tensor {
  return new ort.Tensor(tensor.type, tensor.data, tensor.dims);
}

function toHostTensor(modelName: string, outputName: string, value: ort.OnnxValue): HostTensor {
  const dims = [...value.dims];
  if (value.type === "float32" && value.data instanceof Float32Array)
    return { type: "float32", data: value.data, dims };
  if (value.type === "int64" && value.data instanceof BigInt64Array)
    return { type: "int64", data: value.data, dims };
  if (value.type === "int32" && value.data instanceof Int32Array)
    return { type: "int32", data: value.data, dims };
  throw new OnnxError(
    "ONNX_RUN_FAILED",
    `Model "${modelName}" output "${outputName}" has element type ${value.type}, which this runtime does not ` +
      "pass back (supported: float32, int64, int32). Export the model with float32 outputs.",
  );
}

function sessionOptions(provider: "cpu" | "cuda", threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    // 0 = let ONNX Runtime choose (the key must then be absent: undefined is rejected).
    ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    // Errors reach the caller as exceptions with our own message; keep ORT's stderr quiet.
    logSeverityLevel: 3,
  };
}

/** Creates a session for the CUDA provider on a tiny in-memory model: fails fast when CUDA cannot load. */
async function probeCuda(): Promise<{ ok: true } | { ok: false; detail: string; cause: unknown }> {
  const listed = ort.listSupportedBackends().some((backend) => backend.name === "cuda");
  if (!listed)
    return { ok: false, detail: "this onnxruntime-node build lists no cuda backend", cause: undefined };
  try {
    const session = await ort.InferenceSession.create(addOneModel([1, 4]), {
      executionProviders: ["cuda"],
      logSeverityLevel: 4,
    });
    await session.release();
    return { ok: true };
  } catch (error) {
    const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
    return { ok: false, detail: `loading the CUDA provider failed: ${message}`, cause: error };
  }
}

class OrtModel implements OnnxModel {
  constructor(
    readonly name: string,
    readonly path: string,
    readonly sha256: string,
    readonly inputs: readonly TensorSpec[],
    readonly outputs: readonly TensorSpec[],
    private readonly session: ort.InferenceSession,
    private readonly timer: { runCalls: number; runMs: number },
  ) {}

  bind(feeds: Readonly<Record<string, HostTensor>>, outputs: Readonly<Record<string, HostTensor>>): BoundRun {
    checkFeeds(this.name, this.inputs, feeds);
    for (const name of Object.keys(outputs)) {
      if (!this.outputs.some((output) => output.name === name)) {
        throw new OnnxError(
          "ONNX_RUN_FAILED",
          `Model "${this.name}" has no output named "${name}"; its outputs are: ${this.outputs.map((output) => output.name).join(", ")}.`,
        );
      }
    }
    // ONNX Runtime tensors reference the host arrays: creating them once and reusing them is safe while the
    // caller rewrites the arrays' contents between runs.
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(tensor);
    const ortFetches: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) ortFetches[name] = toOrtTensor(tensor);
    const tensors = [...Object.values(ortFeeds), ...Object.values(ortFetches)];
    let disposed = false;
    return {
      run: async () => {
        if (disposed)
          throw new OnnxError("ONNX_RUN_FAILED", `Bound run of model "${this.name}" was disposed`);
        const started = performance.now();
        try {
          await this.session.run(ortFeeds, ortFetches);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new OnnxError(
            "ONNX_RUN_FAILED",
            `Model "${this.name}" (${this.path}) failed to run: ${message}`,
            {
              cause: error,
            },
          );
        } finally {
          this.timer.runMs += performance.now() - started;
          this.timer.runCalls += 1;
        }
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        for (const tensor of tensors) tensor.dispose();
      },
    };
  }

  async run(
    feeds: Readonly<Record<string, HostTensor>>,
    options?: RunOptions,
  ): Promise<Record<string, HostTensor>> {
    checkFeeds(this.name, this.inputs, feeds);
    const ortFeeds: Record<string, ort.Tensor> = {};
    const ortFetches: Record<string, ort.Tensor | null> = {};
    const created: ort.Tensor[] = [];
    try {
      for (const [name, tensor] of Object.entries(feeds)) {
        const ortTensor = toOrtTensor(tensor);
        created.push(ortTensor);
        ortFeeds[name] = ortTensor;
      }
      for (const output of this.outputs) {
        const preallocated = options?.outputs?.[output.name];
        if (preallocated) {
          const ortTensor = toOrtTensor(preallocated);
          created.push(ortTensor);
          ortFetches[output.name] = ortTensor;
        } else {
          ortFetches[output.name] = null;
        }
      }
      const started = performance.now();
      let results: ort.InferenceSession.ReturnType;
      try {
        results = await this.session.run(ortFeeds, ortFetches);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new OnnxError(
          "ONNX_RUN_FAILED",
          `Model "${this.name}" (${this.path}) failed to run: ${message}`,
          {
            cause: error,
          },
        );
      } finally {
        this.timer.runMs += performance.now() - started;
        this.timer.runCalls += 1;
      }
      const outputs: Record<string, HostTensor> = {};
      for (const [name, value] of Object.entries(results)) {
        const preallocated = options?.outputs?.[name];
        // A preallocated output was written in place: hand back the caller's own tensor.
        outputs[name] = preallocated ?? toHostTensor(this.name, name, value);
      }
      return outputs;
    } finally {
      for (const tensor of created) tensor.dispose();
    }
  }
}

class OrtRuntime implements OnnxRuntime {
  private readonly timer = { runCalls: 0, runMs: 0 };
  constructor(
    readonly executionProvider: "cpu" | "cuda",
    readonly intraOpThreads: number,
  ) {}

  async load(modelPath: string, options?: { name?: string }): Promise<OnnxModel> {
    const name = options?.name ?? path.basename(modelPath);
    let sha256: string;
    try {
      sha256 = await fileSha256(modelPath);
    } catch (error) {
      throw new OnnxError(
        "ONNX_MODEL_LOAD_FAILED",
        `Cannot read model "${name}" at ${modelPath}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const key = `${sha256}|${this.executionProvider}|${this.intraOpThreads}`;
    const sessions = caches().sessions;
    let pending = sessions.get(key);
    if (!pending) {
      caches().sessionCreations += 1;
      pending = ort.InferenceSession.create(
        modelPath,
        sessionOptions(this.executionProvider, this.intraOpThreads),
      );
      sessions.set(key, pending);
      // A failed load must not poison the cache: the user may fix the file and retry.
      pending.catch(() => sessions.delete(key));
    }
    let session: ort.InferenceSession;
    try {
      session = await pending;
    } catch (error) {
      const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
      throw new OnnxError(
        "ONNX_MODEL_LOAD_FAILED",
        `Model "${name}" at ${modelPath} could not be loaded by ONNX Runtime (${message.replace(/\.+$/, "")}); ` +
          "if the file is corrupt or truncated, re-export or re-download it.",
        { cause: error },
      );
    }
    return new OrtModel(
      name,
      modelPath,
      sha256,
      toSpecs(session.inputMetadata),
      toSpecs(session.outputMetadata),
      session,
      this.timer,
    );
  }

  stats(): RuntimeStats {
    return { runCalls: this.timer.runCalls, runMs: this.timer.runMs };
  }

  resetStats(): void {
    this.timer.runCalls = 0;
    this.timer.runMs = 0;
  }
}

/**
 * Creates a runtime for a configuration (default: the environment). "cuda" fails here, with install
 * instructions, when the CUDA provider cannot load; "auto" then uses the CPU.
 */
export async function createOnnxRuntime(config: OnnxConfig = readOnnxConfig()): Promise<OnnxRuntime> {
  if (config.executionProvider === "cpu") return new OrtRuntime("cpu", config.intraOpThreads);
  const probe = await probeCuda();
  if (probe.ok) return new OrtRuntime("cuda", config.intraOpThreads);
  if (config.executionProvider === "auto") return new OrtRuntime("cpu", config.intraOpThreads);
  throw new ExecutionProviderUnavailableError("cuda", probe.detail, { cause: probe.cause });
}

/** The process-wide runtime configured from the environment. */
export function getOnnxRuntime(): Promise<OnnxRuntime> {
  const holder = caches();
  if (!holder.defaultRuntime) {
    holder.defaultRuntime = createOnnxRuntime();
    holder.defaultRuntime.catch(() => {
      holder.defaultRuntime = undefined;
    });
  }
  return holder.defaultRuntime;
}
