/**
 * Which execution provider a runtime uses, from ORT_EXECUTION_PROVIDER and what the host can load:
 *   cpu     the CPU provider (default)
 *   cuda    the CUDA build of onnxruntime-node (downloaded at install time); an error when it cannot load
 *   webgpu  ONNX Runtime's WebGPU provider from the ordinary npm package (Dawn over Vulkan on Linux, Metal on
 *           macOS, D3D12 on Windows); an error when there is no Vulkan loader or no adapter. A software
 *           adapter (SwiftShader) is accepted, and labelled as such, when asked for by name.
 *   auto    cuda when it loads, else webgpu when an adapter backed by real hardware exists, else cpu
 * The probes are injected, so the rules are tested without GPUs; runtime.ts supplies the real ones.
 */
import { ExecutionProviderUnavailableError } from "./errors";
import { type AdapterInfo, type GpuHost, formatAdapter, hasVulkanLoader, vulkanIcds } from "./gpu-host";
import type { ExecutionProviderChoice, ResolvedExecutionProvider } from "./types";

export type ProbeResult = { ok: true } | { ok: false; detail: string; cause?: unknown };

export interface ProviderProbes {
  /** Creates a tiny CUDA session. */
  cuda(): Promise<ProbeResult>;
  /** Creates a tiny WebGPU session (only called once the Vulkan loader was found). */
  webgpu(): Promise<ProbeResult>;
  /**
   * Whether the WebGPU adapter runs float16 shaders (a float16 model loads as its float32 twin where it does
   * not: float16-upcast.ts). Absent (test fakes): assumed to.
   */
  webgpuFloat16?(): Promise<boolean>;
  /** The adapter expected on this host (gpu-host.ts). */
  adapter(): AdapterInfo | undefined;
  readonly host: GpuHost;
}

/** The device a runtime computes on: stored with each run and printed by the CLIs. */
export interface DeviceInfo {
  readonly requested: ExecutionProviderChoice;
  readonly provider: ResolvedExecutionProvider;
  /** WebGPU only: the adapter as far as the host shows it (see gpu-host.ts). */
  readonly adapter?: AdapterInfo;
  /** Why auto did not pick a faster provider, or a caution about the chosen one. */
  readonly note?: string;
}

const webgpuAdvice =
  "Install your GPU vendor's Vulkan driver (NVIDIA: the proprietary driver with its Vulkan ICD; AMD and Intel: " +
  "Debian's mesa-vulkan-drivers), check that VK_ICD_FILENAMES, if set, names that driver's ICD json, or set " +
  "ORT_EXECUTION_PROVIDER=cpu.";

function describeIcds(probes: ProviderProbes): string {
  const icds = vulkanIcds(probes.host);
  return icds.length === 0
    ? "no Vulkan driver (ICD) is installed"
    : `Vulkan drivers found: ${[...new Set(icds.map((icd) => icd.driver))].join(", ")}`;
}

/** The WebGPU provider's adapter, or the reason it cannot run here (an error to throw when asked by name). */
async function webgpuAdapter(
  probes: ProviderProbes,
): Promise<{ ok: true; adapter: AdapterInfo } | { ok: false; error: ExecutionProviderUnavailableError }> {
  if (!hasVulkanLoader(probes.host)) {
    return {
      ok: false,
      error: new ExecutionProviderUnavailableError(
        "webgpu",
        "the Vulkan loader libvulkan.so.1 is not installed",
        {
          advice:
            "Install it (Debian and Ubuntu: `apt-get install libvulkan1`) and your GPU vendor's Vulkan driver, " +
            "or set ORT_EXECUTION_PROVIDER=cpu.",
        },
      ),
    };
  }
  const probe = await probes.webgpu();
  if (!probe.ok) {
    return {
      ok: false,
      error: new ExecutionProviderUnavailableError(
        "webgpu",
        `no WebGPU adapter: ${probe.detail}; ${describeIcds(probes)}`,
        { advice: webgpuAdvice, cause: probe.cause },
      ),
    };
  }
  return {
    ok: true,
    adapter: probes.adapter() ?? {
      backend: "vulkan",
      name: "unidentified adapter",
      vendor: "unknown vendor",
      driver: "unknown driver",
      // Not known to be hardware: auto does not bet on it.
      software: true,
      source: "ONNX Runtime created a WebGPU session, but no Vulkan driver on this host could be identified",
    },
  };
}

export async function selectExecutionProvider(
  requested: ExecutionProviderChoice,
  probes: ProviderProbes,
): Promise<DeviceInfo> {
  if (requested === "cpu") return { requested, provider: "cpu" };
  if (requested === "cuda") {
    const probe = await probes.cuda();
    if (probe.ok) return { requested, provider: "cuda" };
    throw new ExecutionProviderUnavailableError("cuda", probe.detail, { cause: probe.cause });
  }
  if (requested === "webgpu") {
    const result = await webgpuAdapter(probes);
    if (!result.ok) throw result.error;
    return {
      requested,
      provider: "webgpu",
      adapter: result.adapter,
      ...(result.adapter.software
        ? {
            note: "the WebGPU adapter is a software emulation on the CPU: it checks the path and the numerics; its timings say nothing about a GPU",
          }
        : {}),
    };
  }
  const cuda = await probes.cuda();
  if (cuda.ok) return { requested, provider: "cuda" };
  const webgpu = await webgpuAdapter(probes);
  if (webgpu.ok && !webgpu.adapter.software)
    return { requested, provider: "webgpu", adapter: webgpu.adapter };
  const why = webgpu.ok ? `the only WebGPU adapter is ${formatAdapter(webgpu.adapter)}` : webgpu.error.detail;
  return { requested, provider: "cpu", note: `auto chose the CPU: CUDA did not load, and ${why}` };
}

/** One line for people and for the run record: "webgpu · NVIDIA GeForce RTX 4090 (NVIDIA; vulkan; …)". */
export function formatDevice(device: DeviceInfo): string {
  const head = device.adapter ? `${device.provider} · ${formatAdapter(device.adapter)}` : device.provider;
  return device.requested === "auto" && device.provider === "cpu" ? `${head} (auto)` : head;
}
