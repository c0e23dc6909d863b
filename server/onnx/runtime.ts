/**
 * The ONNX Runtime implementation of `OnnxRuntime`: the only module that imports onnxruntime-node.
 *
 * Sessions are cached process-wide by (model sha256, provider, threads) on globalThis, so Next's hot reload
 * and repeated loads of the same model reuse one session. Tensors are created from host tensors and
 * disposed in `run`, in one place.
 */
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { currentOnnxSignal } from "./abort-scope";
import { bounded, formatSeconds } from "./bounded";
import { type OnnxConfig, type OnnxLimits, readOnnxConfig, readOnnxLimits } from "./config";
import { OnnxError } from "./errors";
import {
  deviceTensorOf,
  keepsTensorsOnDevice,
  OrtDeviceTensor,
  ortTensorBytes,
  TransferCounter,
  uploadTensor,
} from "./device-tensors";
import { checkFeeds } from "./feeds";
import { float32ToHalf, halfToFloat32 } from "./float16";
import { float16ProbeModel, float32TwinFile, isMissingFloat16Error } from "./float16-upcast";
import { expectedAdapter, realGpuHost } from "./gpu-host";
import {
  cpuArenaOptions,
  externalDataBytesBeside,
  sharedWeightsOptions,
  sharesWeights,
} from "./memory-sharing";
import { readModelFile } from "./model-file";
import { type DeviceInfo, type ProbeResult, type ProviderProbes, selectExecutionProvider } from "./providers";
import { addOneModel } from "./tiny-onnx";
import type {
  BoundRun,
  DeviceTensor,
  ElementType,
  HostTensor,
  LoadOptions,
  OnnxModel,
  OnnxValue,
  OnnxRuntime,
  ResolvedExecutionProvider,
  RunOptions,
  RuntimeStats,
  TensorSpec,
} from "./types";

/** What this module uses of a session; tests supply fakes through `createOnnxRuntime`'s second argument. */
export type SessionLike = Pick<ort.InferenceSession, "inputMetadata" | "outputMetadata" | "run" | "release">;
export type SessionFactory = (
  modelPath: string,
  options: ort.InferenceSession.SessionOptions,
) => Promise<SessionLike>;

interface SessionEntry {
  readonly session: Promise<SessionLike>;
  /** Loads waiting on it now. */
  waiters: number;
  /** Whether any load received it: only then may it be shared; otherwise an abandoned one is released. */
  handedOut: boolean;
}

interface ProcessCaches {
  sessions: Map<string, SessionEntry>;
  fileHashes: Map<string, { ino: number; size: number; mtimeMs: number; sha256: string }>;
  sessionCreations: number;
  defaultRuntime: Promise<OnnxRuntime> | undefined;
  /** Estimated device bytes of each model on a GPU provider ("sha256|provider"), for ORT_DEVICE_MEMORY_MB. */
  deviceResident: Map<string, number>;
  /** Provider probes create native sessions: once per process is enough. */
  cudaProbe?: Promise<ProbeResult>;
  webgpuProbe?: Promise<ProbeResult>;
  /** Whether the WebGPU adapter runs float16 shaders (float16-upcast.ts). */
  webgpuFloat16Probe?: Promise<boolean>;
}

// Versioned: a hot reload must not pick up caches of an older shape.
const globalKey = "__dnoStudioOnnxCachesV3";
type GlobalWithCaches = typeof globalThis & { [globalKey]?: ProcessCaches };

/** One set of caches per process, surviving module re-evaluation (Next hot reload). */
function caches(): ProcessCaches {
  const holder = globalThis as GlobalWithCaches;
  holder[globalKey] ??= {
    sessions: new Map(),
    fileHashes: new Map(),
    sessionCreations: 0,
    defaultRuntime: undefined,
    deviceResident: new Map(),
  };
  return holder[globalKey];
}

/** How many sessions this process has created (the cache-hit test reads it). */
export function sessionCreationCount(): number {
  return caches().sessionCreations;
}

/**
 * sha256 of a model file, after the checks of `readModelFile` (regular file, size cap), cached by
 * (path, inode, size, mtime) so that large models are hashed once. `check` may throw to abandon hashing.
 */
async function checkedModelFile(
  filePath: string,
  options: { name: string; maxBytes: number; check?: () => void },
): Promise<{ sha256: string; size: number }> {
  const absolute = path.resolve(filePath);
  const hashes = caches().fileHashes;
  const file = await readModelFile(absolute, {
    name: options.name,
    maxBytes: options.maxBytes,
    check: options.check ?? (() => undefined),
    known: (stat) => {
      const cached = hashes.get(absolute);
      return cached && cached.ino === stat.ino && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs
        ? cached.sha256
        : undefined;
    },
  });
  hashes.set(absolute, { ino: file.ino, size: file.size, mtimeMs: file.mtimeMs, sha256: file.sha256 });
  return { sha256: file.sha256, size: file.size };
}

/**
 * Forgets every cached session and releases those that loaded (tests that need a cold cache; models in use
 * elsewhere keep working only if nobody runs them afterwards, so a server never calls this).
 */
export async function releaseCachedSessions(): Promise<void> {
  const sessions = caches().sessions;
  const entries = [...sessions.values()];
  sessions.clear();
  caches().deviceResident.clear();
  await Promise.all(
    entries.map((entry) =>
      entry.session.then(
        (session) => session.release().catch(() => undefined),
        () => undefined,
      ),
    ),
  );
}

/**
 * Rough device footprint of a model: its weights (the file's size) and half again for activations and kernel
 * workspace. ONNX Runtime does not report device memory, so this is a rule of thumb, erring high.
 */
export function estimateDeviceBytes(fileBytes: number): number {
  return Math.ceil(fileBytes * 1.5);
}

function formatMiB(bytes: number): string {
  const mib = bytes / 1024 ** 2;
  return mib >= 10 ? `${Math.round(mib)} MiB` : `${mib.toPrecision(2)} MiB`;
}

/** sha256 of a model file (refusing special files and files over ORT_MAX_MODEL_BYTES). */
export async function fileSha256(filePath: string): Promise<string> {
  const file = await checkedModelFile(filePath, {
    name: path.basename(filePath),
    maxBytes: readOnnxLimits().maxModelBytes,
  });
  return file.sha256;
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
    // float16 inputs and outputs are cast at the boundary: callers see float32 (float16.ts).
    if (value.type === "float16") {
      return { name: value.name, type: "float32", shape: [...value.shape], castFrom: "float16" };
    }
    const type = (knownElementTypes as readonly string[]).includes(value.type)
      ? (value.type as ElementType)
      : "unknown";
    return { name: value.name, type, shape: [...value.shape] };
  });
}

function toOrtTensor(tensor: HostTensor, spec?: TensorSpec): ort.Tensor {
  if (spec?.castFrom === "float16" && tensor.type === "float32") {
    return new ort.Tensor("float16", float32ToHalf(tensor.data), tensor.dims);
  }
  return new ort.Tensor(tensor.type, tensor.data, tensor.dims);
}

function toHostTensor(modelName: string, outputName: string, value: ort.OnnxValue): HostTensor {
  const dims = [...value.dims];
  if (value.type === "float32" && value.data instanceof Float32Array)
    return { type: "float32", data: value.data, dims };
  if (value.type === "float16" && value.data instanceof Uint16Array)
    return { type: "float32", data: halfToFloat32(value.data), dims };
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

/** How one cached session is made (beyond the runtime's provider and threads); part of its cache key. */
export interface SessionShape {
  readonly shareWeights: boolean;
  readonly deviceOutputs: readonly string[];
  /** ONNX Runtime's memory pattern (LoadOptions.memoryPattern). */
  readonly memoryPattern: boolean;
}

/** The options a session is created with (exported for its test). */
export function sessionOptions(
  provider: ResolvedExecutionProvider,
  threads: number,
  { shareWeights, deviceOutputs, memoryPattern }: SessionShape,
): ort.InferenceSession.SessionOptions {
  return {
    // Outputs that feed other models stay on the device (device-tensors.ts).
    ...(deviceOutputs.length > 0 && keepsTensorsOnDevice(provider)
      ? {
          preferredOutputLocation: Object.fromEntries(
            deviceOutputs.map((name) => [name, "gpu-buffer" as const]),
          ),
        }
      : {}),
    executionProviders: [provider],
    // 0 = let ONNX Runtime choose (the key must then be absent: undefined is rejected).
    ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    // Errors reach the caller as exceptions with our own message; keep ORT's stderr quiet.
    logSeverityLevel: 3,
    // Weights computed from the file mapping, one copy for every session (memory-sharing.ts).
    ...(shareWeights ? sharedWeightsOptions() : {}),
    // No per-session arena holding each session's peak for good (memory-sharing.ts).
    ...cpuArenaOptions(provider),
    // Off only where asked (LoadOptions.memoryPattern).
    ...(memoryPattern ? {} : { enableMemPattern: false }),
  };
}

function cudaProviderLibrary(): string {
  return process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
}

/** onnxruntime-node's folder of native libraries for this platform, or undefined if it cannot be found. */
function nativeLibraryDir(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve("onnxruntime-node");
    const dir = path.join(path.dirname(entry), "..", "bin", "napi-v6", process.platform, process.arch);
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Creates a session for the CUDA provider on a tiny in-memory model: fails fast when CUDA cannot load. */
async function probeCuda(): Promise<ProbeResult> {
  const listed = ort.listSupportedBackends().some((backend) => backend.name === "cuda");
  if (!listed)
    return { ok: false, detail: "this onnxruntime-node build lists no cuda backend", cause: undefined };
  // The CUDA build adds provider libraries next to the binding; without them ORT only logs a loud error.
  const libraries = nativeLibraryDir();
  if (libraries && !existsSync(path.join(libraries, cudaProviderLibrary()))) {
    return {
      ok: false,
      detail: `the CUDA build of onnxruntime-node is not installed: its ${cudaProviderLibrary()} is missing`,
    };
  }
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

/**
 * Dawn refuses to start without XDG_RUNTIME_DIR (a service account or a container often has none): give
 * it a private folder of its own. Dawn reads the variable when the first WebGPU session is created.
 */
function ensureXdgRuntimeDir(): void {
  if (process.platform !== "linux" || process.env.XDG_RUNTIME_DIR?.trim()) return;
  process.env.XDG_RUNTIME_DIR = mkdtempSync(path.join(tmpdir(), "dno-xdg-runtime-"));
}

/** Creates a session for the WebGPU provider on a tiny in-memory model: does Dawn find an adapter? */
async function probeWebGpu(): Promise<ProbeResult> {
  ensureXdgRuntimeDir();
  try {
    const session = await ort.InferenceSession.create(addOneModel([1, 4]), {
      executionProviders: ["webgpu"],
      logSeverityLevel: 4,
    });
    await session.release();
    return { ok: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // ORT prefixes its source location; the sentence after the last "was false." is Dawn's own reason.
    const reason =
      message
        .split("\n")[0]
        ?.replace(/^.*was false\.\s*/, "")
        .replace(/\.+$/, "") ?? "";
    return { ok: false, detail: reason || "Dawn reported no adapter", cause: error };
  }
}

/**
 * Whether this process's WebGPU adapter compiles float16 shaders (Dawn's shader-f16). Without them a float16
 * model is loaded as its float32 twin (float16-upcast.ts). Probed once per process on a one-node model.
 */
export function webGpuRunsFloat16(): Promise<boolean> {
  const holder = caches();
  holder.webgpuFloat16Probe ??= (async () => {
    ensureXdgRuntimeDir();
    const session = await ort.InferenceSession.create(float16ProbeModel(), {
      executionProviders: ["webgpu"],
      logSeverityLevel: 4,
    });
    try {
      // Shaders compile on the first run, not at session creation.
      await session.run({ x: new ort.Tensor("float16", new Uint16Array(4), [1, 4]) });
      return true;
    } catch (error) {
      if (isMissingFloat16Error(error)) return false;
      throw error;
    } finally {
      await session.release();
    }
  })();
  return holder.webgpuFloat16Probe;
}

/** The real probes, each run once per process. */
export function nativeProviderProbes(): ProviderProbes {
  const holder = caches();
  return {
    cuda: () => {
      holder.cudaProbe ??= probeCuda();
      return holder.cudaProbe;
    },
    webgpu: () => {
      holder.webgpuProbe ??= probeWebGpu();
      return holder.webgpuProbe;
    },
    webgpuFloat16: webGpuRunsFloat16,
    adapter: () => expectedAdapter(realGpuHost()),
    host: realGpuHost(),
  };
}

/**
 * The first line of an ONNX Runtime message, without trailing dots (the rest is often C++ source detail) and
 * with the model's server path shortened to its file name: messages reach users.
 */
function firstLine(error: unknown, modelPath: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = (message.split("\n")[0] ?? "").replace(/\.+$/, "");
  const name = path.basename(modelPath);
  return line.split(path.resolve(modelPath)).join(name).split(modelPath).join(name);
}

/**
 * What the session cache key must add for a model whose weights may live beside it (external data, e.g.
 * `unet/weights.pb`): the graph file alone is the same for every fine-tune exported by one script, so the
 * folder and the identity (size, mtime) of the other data files there join the key. ONNX Runtime reads
 * external data relative to the model's own folder only.
 */
function externalDataKey(modelPath: string): string {
  const dir = path.dirname(path.resolve(modelPath));
  const own = path.basename(modelPath);
  let entries: string[];
  try {
    entries = readdirSync(dir)
      .filter((entry) => entry !== own && !/\.(json|md|txt|onnx)$/i.test(entry))
      .sort();
  } catch {
    return "";
  }
  const files = entries.flatMap((entry) => {
    try {
      const stat = statSync(path.join(dir, entry));
      return stat.isFile() ? [`${entry}:${stat.size}:${stat.mtimeMs}`] : [];
    } catch {
      return [];
    }
  });
  return files.length === 0 ? "" : `|${dir}|${files.join(",")}`;
}

class OrtModel implements OnnxModel {
  constructor(
    readonly name: string,
    readonly path: string,
    readonly sha256: string,
    readonly inputs: readonly TensorSpec[],
    readonly outputs: readonly TensorSpec[],
    private readonly session: SessionLike,
    private readonly timer: { runCalls: number; runMs: number },
    private readonly runTimeoutMs: number,
    readonly deviceOutputs: readonly string[] = [],
    private readonly device: { provider: ResolvedExecutionProvider; transfers: TransferCounter } = {
      provider: "cpu",
      transfers: new TransferCounter("cpu"),
    },
  ) {}

  /** The ORT tensor of a device-tensor feed (refused when it belongs to another runtime or provider). */
  private deviceFeed(input: string, tensor: DeviceTensor): ort.Tensor {
    if (!(tensor instanceof OrtDeviceTensor)) {
      throw new OnnxError(
        "ONNX_RUN_FAILED",
        `Model "${this.name}" input "${input}" was given a device tensor this runtime did not make (an internal error: report it).`,
      );
    }
    return tensor.feedTensor(this.name, input, this.device.provider);
  }

  /** Bytes a feed copies from the host into this session (0 for one already on its device). */
  private fedBytes(tensor: ort.Tensor, feed: OnnxValue): number {
    if (feed.type !== "device") return ortTensorBytes(tensor);
    return feed instanceof OrtDeviceTensor && feed.crossesTo(this.device.provider) ? feed.byteLength : 0;
  }

  async upload(input: string, tensor: HostTensor): Promise<DeviceTensor> {
    const spec = this.inputs.find((candidate) => candidate.name === input);
    if (!spec) {
      throw new OnnxError(
        "ONNX_RUN_FAILED",
        `Model "${this.name}" has no input named "${input}"; its inputs are: ${this.inputs.map((i) => i.name).join(", ")}.`,
      );
    }
    return uploadTensor(toOrtTensor(tensor, spec), this.device.provider, this.device.transfers);
  }

  /**
   * One bounded session.run: cancelled by the run's signal, timed out by ORT_RUN_TIMEOUT_MS. `release` runs
   * once the native call has settled (never while it may still read the tensors).
   */
  private async boundedRun(
    feeds: Record<string, ort.Tensor>,
    fetches: Record<string, ort.Tensor | null>,
    signal: AbortSignal | undefined,
    release: () => void,
  ): Promise<ort.InferenceSession.ReturnType> {
    const started = performance.now();
    let native: Promise<unknown> | undefined;
    const call = bounded(() => (native = this.session.run(feeds, fetches)), {
      timeoutMs: this.runTimeoutMs,
      signal: signal ?? currentOnnxSignal(),
      timedOut: () =>
        new OnnxError(
          "ONNX_TIMEOUT",
          `Model "${this.name}" took longer than ${formatSeconds(this.runTimeoutMs)} to run once and was stopped. ` +
            "Use fewer steps or a smaller image or model, or ask the administrator to raise ORT_RUN_TIMEOUT_MS.",
        ),
      cancelled: () => new OnnxError("ONNX_CANCELLED", `Running model "${this.name}" was cancelled.`),
    });
    try {
      return await call;
    } catch (error) {
      if (error instanceof OnnxError) throw error;
      throw new OnnxError(
        "ONNX_RUN_FAILED",
        `Model "${this.name}" (${path.basename(this.path)}) failed to run: ${firstLine(error, this.path)}.`,
        { cause: error },
      );
    } finally {
      this.timer.runMs += performance.now() - started;
      this.timer.runCalls += 1;
      // A call given up on may still be reading the tensors: release them once it has settled.
      if (native) native.then(release, release);
      else release();
    }
  }

  bind(feeds: Readonly<Record<string, OnnxValue>>, outputs: Readonly<Record<string, HostTensor>>): BoundRun {
    checkFeeds(this.name, this.inputs, feeds);
    for (const name of Object.keys(outputs)) {
      if (this.deviceOutputs.includes(name)) {
        throw new OnnxError(
          "ONNX_RUN_FAILED",
          `Model "${this.name}" keeps output "${name}" on the device; it cannot be bound to a host array.`,
        );
      }
      if (!this.outputs.some((output) => output.name === name)) {
        throw new OnnxError(
          "ONNX_RUN_FAILED",
          `Model "${this.name}" has no output named "${name}"; its outputs are: ${this.outputs.map((output) => output.name).join(", ")}.`,
        );
      }
    }
    // ONNX Runtime tensors reference the host arrays: creating them once and reusing them is safe while the
    // caller rewrites the arrays' contents between runs.
    // float16 inputs/outputs get half-precision buffers of their own, converted before and after each run.
    const beforeRun: (() => void)[] = [];
    const afterRun: (() => void)[] = [];
    const ortFeeds: Record<string, ort.Tensor> = {};
    const deviceFeeds = new Set<ort.Tensor>();
    for (const [name, tensor] of Object.entries(feeds)) {
      const spec = this.inputs.find((input) => input.name === name);
      if (tensor.type === "device") {
        ortFeeds[name] = this.deviceFeed(name, tensor);
        deviceFeeds.add(ortFeeds[name]);
      } else if (spec?.castFrom === "float16" && tensor.type === "float32") {
        const half = new Uint16Array(tensor.data.length);
        ortFeeds[name] = new ort.Tensor("float16", half, tensor.dims);
        beforeRun.push(() => float32ToHalf(tensor.data, half));
      } else {
        ortFeeds[name] = toOrtTensor(tensor);
      }
    }
    const ortFetches: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      const spec = this.outputs.find((output) => output.name === name);
      if (spec?.castFrom === "float16" && tensor.type === "float32") {
        const half = new Uint16Array(tensor.data.length);
        ortFetches[name] = new ort.Tensor("float16", half, tensor.dims);
        afterRun.push(() => halfToFloat32(half, tensor.data));
      } else {
        ortFetches[name] = toOrtTensor(tensor);
      }
    }
    // Device tensors belong to their owner: only the tensors made here are disposed here.
    const tensors = [...Object.values(ortFeeds), ...Object.values(ortFetches)].filter(
      (tensor) => !deviceFeeds.has(tensor),
    );
    const copiedIn = Object.entries(feeds).map(([name, feed]) => this.fedBytes(ortFeeds[name]!, feed));
    const copiedOut = Object.values(ortFetches).map(ortTensorBytes);
    let disposed = false;
    let inFlight = 0;
    const disposeTensors = () => {
      if (disposed && inFlight === 0) for (const tensor of tensors) tensor.dispose();
    };
    return {
      run: async (options?: { signal?: AbortSignal }) => {
        if (disposed)
          throw new OnnxError("ONNX_RUN_FAILED", `Bound run of model "${this.name}" was disposed`);
        inFlight += 1;
        for (const convert of beforeRun) convert();
        await this.boundedRun(ortFeeds, ortFetches, options?.signal, () => {
          inFlight -= 1;
          disposeTensors();
        });
        for (const bytes of copiedIn) if (bytes > 0) this.device.transfers.fed(bytes);
        for (const bytes of copiedOut) this.device.transfers.returned(bytes);
        for (const convert of afterRun) convert();
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        disposeTensors();
      },
    };
  }

  async run(
    feeds: Readonly<Record<string, OnnxValue>>,
    options?: RunOptions,
  ): Promise<Record<string, HostTensor>> {
    const { host, device } = await this.runKeeping(feeds, options);
    for (const tensor of Object.values(device)) tensor.dispose();
    return host;
  }

  async runKeeping(
    feeds: Readonly<Record<string, OnnxValue>>,
    options?: RunOptions,
  ): Promise<{ host: Record<string, HostTensor>; device: Record<string, DeviceTensor> }> {
    checkFeeds(this.name, this.inputs, feeds);
    const ortFeeds: Record<string, ort.Tensor> = {};
    const ortFetches: Record<string, ort.Tensor | null> = {};
    const created: ort.Tensor[] = [];
    const disposeCreated = () => {
      for (const tensor of created) tensor.dispose();
    };
    let handedToRun = false;
    try {
      for (const [name, tensor] of Object.entries(feeds)) {
        const ortTensor =
          tensor.type === "device"
            ? this.deviceFeed(name, tensor)
            : toOrtTensor(
                tensor,
                this.inputs.find((input) => input.name === name),
              );
        if (tensor.type !== "device") created.push(ortTensor);
        ortFeeds[name] = ortTensor;
        const bytes = this.fedBytes(ortTensor, tensor);
        if (bytes > 0) this.device.transfers.fed(bytes);
      }
      for (const output of this.outputs) {
        // A device output is allocated by ORT on the device: a host array for it would be ignored.
        const preallocated = this.deviceOutputs.includes(output.name)
          ? undefined
          : options?.outputs?.[output.name];
        // A float16 output comes back as ORT allocates it and is converted into the preallocated tensor.
        if (preallocated && output.castFrom !== "float16") {
          const ortTensor = toOrtTensor(preallocated);
          created.push(ortTensor);
          ortFetches[output.name] = ortTensor;
        } else {
          ortFetches[output.name] = null;
        }
      }
      handedToRun = true;
      const results = await this.boundedRun(ortFeeds, ortFetches, options?.signal, disposeCreated);
      const outputs: Record<string, HostTensor> = {};
      const device: Record<string, DeviceTensor> = {};
      for (const [name, value] of Object.entries(results)) {
        if (value.location !== "gpu-buffer") this.device.transfers.returned(ortTensorBytes(value));
        if (this.deviceOutputs.includes(name)) {
          device[name] = deviceTensorOf(value, this.device.provider);
          continue;
        }
        const preallocated = options?.outputs?.[name];
        const castFrom = this.outputs.find((output) => output.name === name)?.castFrom;
        if (preallocated && castFrom === "float16" && preallocated.type === "float32") {
          const converted = toHostTensor(this.name, name, value);
          if (converted.type === "float32") preallocated.data.set(converted.data);
        }
        // A preallocated output was written in place: hand back the caller's own tensor.
        outputs[name] = preallocated ?? toHostTensor(this.name, name, value);
      }
      return { host: outputs, device };
    } finally {
      if (!handedToRun) disposeCreated();
    }
  }
}

class OrtRuntime implements OnnxRuntime {
  private readonly timer = { runCalls: 0, runMs: 0 };
  private readonly transfers: TransferCounter;
  readonly executionProvider: ResolvedExecutionProvider;
  constructor(
    readonly device: DeviceInfo,
    readonly intraOpThreads: number,
    private readonly limits: OnnxLimits,
    private readonly createSession: SessionFactory,
    private readonly webgpuFloat16: () => Promise<boolean> = async () => true,
  ) {
    this.executionProvider = device.provider;
    this.transfers = new TransferCounter(device.provider);
  }

  async load(modelPath: string, options?: LoadOptions): Promise<OnnxModel> {
    const name = options?.name ?? path.basename(modelPath);
    const signal = options?.signal ?? currentOnnxSignal();
    const { loadTimeoutMs, maxModelBytes } = this.limits;
    const timedOut = () =>
      new OnnxError(
        "ONNX_TIMEOUT",
        `Model "${name}" took longer than ${formatSeconds(loadTimeoutMs)} to load and was abandoned. ` +
          "Use a smaller model, or ask the administrator to raise ORT_LOAD_TIMEOUT_MS.",
      );
    const cancelled = () => new OnnxError("ONNX_CANCELLED", `Loading model "${name}" was cancelled.`);
    const deadline = performance.now() + loadTimeoutMs;
    const { sha256, size } = await bounded(
      () =>
        checkedModelFile(modelPath, {
          name,
          maxBytes: maxModelBytes,
          check: () => {
            if (signal?.aborted) throw cancelled();
            if (performance.now() > deadline) throw timedOut();
          },
        }),
      { timeoutMs: loadTimeoutMs, signal, timedOut, cancelled },
    );
    this.reserveDeviceMemory(name, sha256, size);
    const shared = sharesWeights({
      setting: this.limits.shareWeights,
      provider: this.executionProvider,
      externalDataBytes: externalDataBytesBeside(modelPath),
    });
    // A float16 model on a WebGPU adapter without float16 shaders loads as its float32 twin.
    const twin =
      this.executionProvider === "webgpu" && !(await this.webgpuFloat16())
        ? await float32TwinFile(modelPath, sha256)
        : undefined;
    const key = `${sha256}|${this.executionProvider}|${this.intraOpThreads}${shared ? "|shared" : ""}${twin ? "|float32" : ""}${externalDataKey(modelPath)}`;
    // Device outputs change the session's output locations: such a session is cached apart.
    const deviceOutputs = [...new Set(options?.deviceOutputs ?? [])].sort();
    const deviceKey =
      deviceOutputs.length > 0 && keepsTensorsOnDevice(this.executionProvider)
        ? `|device:${deviceOutputs.join(",")}`
        : "";
    const memoryPattern = options?.memoryPattern ?? true;
    const session = await this.sessionFor(
      key + deviceKey + (memoryPattern ? "" : "|no-memory-pattern"),
      twin ?? modelPath,
      name,
      { shareWeights: shared, deviceOutputs, memoryPattern },
      {
        timeoutMs: Math.max(1, deadline - performance.now()),
        signal,
        timedOut,
        cancelled,
      },
    );
    return new OrtModel(
      name,
      modelPath,
      sha256,
      toSpecs(session.inputMetadata),
      toSpecs(session.outputMetadata),
      session,
      this.timer,
      this.limits.runTimeoutMs,
      deviceOutputs,
      { provider: this.executionProvider, transfers: this.transfers },
    );
  }

  /**
   * The cached session for `key`, created on first use. A load given up on (cancelled, timed out) leaves no
   * trace: when nobody else waits for or received that session, it leaves the cache and is released as soon
   * as the native load finishes, so a slow or broken load is never handed out later as a good one.
   */
  private async sessionFor(
    key: string,
    modelPath: string,
    name: string,
    shape: SessionShape,
    bounds: { timeoutMs: number; signal: AbortSignal | undefined; timedOut(): Error; cancelled(): Error },
  ): Promise<SessionLike> {
    const sessions = caches().sessions;
    let entry = sessions.get(key);
    if (!entry) {
      caches().sessionCreations += 1;
      const created = this.createSession(
        modelPath,
        sessionOptions(this.executionProvider, this.intraOpThreads, shape),
      );
      const fresh: SessionEntry = { session: created, waiters: 0, handedOut: false };
      sessions.set(key, fresh);
      // A failed load must not poison the cache: the user may fix the file and retry.
      created.catch(() => {
        if (sessions.get(key) === fresh) sessions.delete(key);
      });
      entry = fresh;
    }
    const current = entry;
    current.waiters += 1;
    let givenUp = false;
    try {
      const session = await bounded(() => current.session, bounds);
      current.handedOut = true;
      return session;
    } catch (error) {
      if (error instanceof OnnxError) {
        givenUp = true;
        throw error;
      }
      throw new OnnxError(
        "ONNX_MODEL_LOAD_FAILED",
        `Model "${name}" (${path.basename(modelPath)}) could not be loaded by ONNX Runtime (${firstLine(error, modelPath)}); ` +
          "if the file is corrupt or truncated, re-export or re-download it.",
        { cause: error },
      );
    } finally {
      current.waiters -= 1;
      if (givenUp && current.waiters === 0 && !current.handedOut) {
        if (sessions.get(key) === current) sessions.delete(key);
        current.session.then(
          (session) => session.release().catch(() => undefined),
          () => undefined,
        );
      }
    }
  }

  /**
   * Refuses, before its session exists, a model whose estimated footprint would take the device past
   * ORT_DEVICE_MEMORY_MB. Sessions stay cached for the life of the process, so what was reserved stays.
   */
  private reserveDeviceMemory(name: string, sha256: string, fileBytes: number): void {
    const budget = this.limits.deviceMemoryBytes;
    if (this.executionProvider === "cpu" || budget <= 0) return;
    const resident = caches().deviceResident;
    const key = `${sha256}|${this.executionProvider}`;
    if (resident.has(key)) return;
    const estimate = estimateDeviceBytes(fileBytes);
    let used = 0;
    for (const [other, bytes] of resident) if (other.endsWith(`|${this.executionProvider}`)) used += bytes;
    if (used + estimate > budget) {
      throw new OnnxError(
        "ONNX_DEVICE_MEMORY",
        `Model "${name}" needs about ${formatMiB(estimate)} of device memory (${formatMiB(fileBytes)} of weights ` +
          `and working memory), and the models already on the device take ${formatMiB(used)} of the ` +
          `${formatMiB(budget)} budget (ORT_DEVICE_MEMORY_MB). Use a smaller model or fewer model-based rewards, ` +
          "or raise ORT_DEVICE_MEMORY_MB if the GPU has the memory.",
      );
    }
    resident.set(key, estimate);
  }

  stats(): RuntimeStats {
    return { runCalls: this.timer.runCalls, runMs: this.timer.runMs, transfers: this.transfers.snapshot() };
  }

  resetStats(): void {
    this.timer.runCalls = 0;
    this.timer.runMs = 0;
    this.transfers.reset();
  }
}

/** ONNX Runtime's own session creation (tests wrap it to simulate loads that hang). */
export const nativeSessionFactory: SessionFactory = (modelPath, options) =>
  ort.InferenceSession.create(modelPath, options);

/**
 * Creates a runtime for a configuration (default: the environment). "cuda" and "webgpu" fail here, with
 * what to install, when the provider cannot load; "auto" then takes the next one (providers.ts).
 */
export async function createOnnxRuntime(
  config: OnnxConfig = readOnnxConfig(),
  seams: { createSession?: SessionFactory; probes?: ProviderProbes } = {},
): Promise<OnnxRuntime> {
  const limits: OnnxLimits = { ...readOnnxLimits(), ...config.limits };
  const createSession = seams.createSession ?? nativeSessionFactory;
  const probes = seams.probes ?? nativeProviderProbes();
  const device = await selectExecutionProvider(config.executionProvider, probes);
  const webgpuFloat16 = probes.webgpuFloat16?.bind(probes);
  return new OrtRuntime(device, config.intraOpThreads, limits, createSession, webgpuFloat16);
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
