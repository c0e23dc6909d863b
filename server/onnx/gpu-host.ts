/**
 * What the host offers the WebGPU execution provider, read from files only (no native call).
 *
 * onnxruntime-node 1.30 does not expose the WebGPU adapter that Dawn picks (no adapter object, no info
 * call, nothing in its logs), so the adapter is described from what decides it: on Linux, the Vulkan loader
 * (libvulkan.so.1, which Dawn opens by that name), the Vulkan ICD manifests the loader will read
 * (VK_DRIVER_FILES / VK_ICD_FILENAMES, else the standard folders) and the GPUs the kernel lists (PCI vendor
 * ids under /sys/class/drm, NVIDIA's /proc/driver/nvidia). Dawn ranks discrete over integrated over CPU
 * adapters, so a hardware ICD with a matching GPU wins over a software one. The description says where
 * each field came from (`source`), so nobody mistakes it for Dawn's own report.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** The file reads this module does; tests supply a fake host. */
export interface HostFiles {
  readText(file: string): string | undefined;
  list(dir: string): string[];
  isFile(file: string): boolean;
}

export interface GpuHost {
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly files: HostFiles;
}

export const realHostFiles: HostFiles = {
  readText(file) {
    try {
      return readFileSync(file, "latin1");
    } catch {
      return undefined;
    }
  },
  list(dir) {
    try {
      return readdirSync(dir).sort();
    } catch {
      return [];
    }
  },
  isFile(file) {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  },
};

export function realGpuHost(): GpuHost {
  return { platform: process.platform, env: process.env, files: realHostFiles };
}

/** A Vulkan driver manifest (ICD json) as the loader would read it. */
export interface VulkanIcd {
  readonly manifest: string;
  /** The driver library, as written in the manifest. */
  readonly library: string;
  readonly apiVersion: string | undefined;
  /** The driver's usual name (SwiftShader, NVIDIA, Mesa RADV…), from the library's file name. */
  readonly driver: string;
  readonly vendor: string;
  /** PCI vendor id the driver serves ("10de"), undefined for software drivers. */
  readonly pciVendor: string | undefined;
  /** A CPU implementation (SwiftShader, lavapipe): a path check, never a speed. */
  readonly software: boolean;
}

const knownDrivers: readonly {
  match: RegExp;
  driver: string;
  vendor: string;
  pciVendor?: string;
  software?: true;
}[] = [
  { match: /swiftshader/i, driver: "SwiftShader", vendor: "Google", software: true },
  { match: /lvp|lavapipe/i, driver: "Mesa lavapipe", vendor: "Mesa", software: true },
  { match: /nvidia/i, driver: "NVIDIA", vendor: "NVIDIA", pciVendor: "10de" },
  { match: /radeon/i, driver: "Mesa RADV", vendor: "AMD", pciVendor: "1002" },
  { match: /amdvlk/i, driver: "AMDVLK", vendor: "AMD", pciVendor: "1002" },
  { match: /intel/i, driver: "Mesa ANV", vendor: "Intel", pciVendor: "8086" },
];

const pciVendorNames: Readonly<Record<string, string>> = {
  "10de": "NVIDIA",
  "1002": "AMD",
  "8086": "Intel",
  "13b5": "ARM",
  "5143": "Qualcomm",
  "1af4": "Virtio",
};

function classifyIcd(manifest: string, library: string, apiVersion: string | undefined): VulkanIcd {
  const base = path.basename(library);
  const known = knownDrivers.find(
    (entry) => entry.match.test(base) || entry.match.test(path.basename(manifest)),
  );
  return {
    manifest,
    library,
    apiVersion,
    driver: known?.driver ?? base,
    vendor: known?.vendor ?? "unknown vendor",
    pciVendor: known?.pciVendor,
    software: known?.software ?? false,
  };
}

function readIcd(host: GpuHost, manifest: string): VulkanIcd | undefined {
  const text = host.files.readText(manifest);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { ICD?: { library_path?: unknown; api_version?: unknown } };
    const library = parsed.ICD?.library_path;
    if (typeof library !== "string") return undefined;
    const apiVersion = typeof parsed.ICD?.api_version === "string" ? parsed.ICD.api_version : undefined;
    return classifyIcd(manifest, library, apiVersion);
  } catch {
    return undefined;
  }
}

/** The ICD manifests the Vulkan loader reads: the override variables first, else its standard folders. */
export function vulkanIcds(host: GpuHost): VulkanIcd[] {
  const override = host.env.VK_DRIVER_FILES?.trim() || host.env.VK_ICD_FILENAMES?.trim();
  let manifests: string[];
  if (override) {
    manifests = override.split(path.delimiter).filter(Boolean);
  } else {
    const home = host.env.HOME ?? os.homedir();
    const configDirs = (host.env.XDG_CONFIG_DIRS || "/etc/xdg").split(":");
    const dataDirs = (host.env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":");
    const dirs = [
      ...configDirs.map((dir) => path.join(dir, "vulkan/icd.d")),
      "/etc/vulkan/icd.d",
      ...dataDirs.map((dir) => path.join(dir, "vulkan/icd.d")),
      path.join(host.env.XDG_DATA_HOME || path.join(home, ".local/share"), "vulkan/icd.d"),
    ];
    manifests = [...new Set(dirs)].flatMap((dir) =>
      host.files
        .list(dir)
        .filter((name) => name.endsWith(".json"))
        .map((name) => path.join(dir, name)),
    );
  }
  return manifests.flatMap((manifest) => readIcd(host, manifest) ?? []);
}

const loaderDirs = [
  "/lib/x86_64-linux-gnu",
  "/usr/lib/x86_64-linux-gnu",
  "/lib/aarch64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/usr/lib64",
  "/lib64",
  "/usr/lib",
  "/usr/local/lib",
];

/**
 * Whether the Vulkan loader Dawn opens (libvulkan.so.1) can be found: LD_LIBRARY_PATH, the dynamic linker's
 * cache, the usual library folders. Linux only; other platforms do not use it (Metal, D3D12).
 */
export function hasVulkanLoader(host: GpuHost): boolean {
  if (host.platform !== "linux") return true;
  const dirs = [...(host.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean), ...loaderDirs];
  if (dirs.some((dir) => host.files.isFile(path.join(dir, "libvulkan.so.1")))) return true;
  return host.files.readText("/etc/ld.so.cache")?.includes("libvulkan.so.1") ?? false;
}

/** A GPU the kernel lists. */
export interface HostGpu {
  readonly pciVendor: string;
  readonly vendor: string;
  /** The model name where the driver publishes it (NVIDIA), else the PCI ids. */
  readonly name: string;
  readonly driverVersion: string | undefined;
}

export function hostGpus(host: GpuHost): HostGpu[] {
  if (host.platform !== "linux") return [];
  const gpus: HostGpu[] = [];
  const nvidiaVersion = host.files
    .readText("/proc/driver/nvidia/version")
    ?.match(/Kernel Module\s+(?:for \S+\s+)?([0-9][0-9.]+)/)?.[1];
  // NVIDIA publishes model names here, also inside containers that have no /sys/class/drm.
  for (const bus of host.files.list("/proc/driver/nvidia/gpus")) {
    const info = host.files.readText(`/proc/driver/nvidia/gpus/${bus}/information`) ?? "";
    const model = info.match(/^Model:\s*(.+)$/m)?.[1]?.trim();
    gpus.push({
      pciVendor: "10de",
      vendor: "NVIDIA",
      name: model ?? "NVIDIA GPU",
      driverVersion: nvidiaVersion,
    });
  }
  for (const card of host.files.list("/sys/class/drm")) {
    if (!/^card\d+$/.test(card)) continue;
    const vendor = host.files.readText(`/sys/class/drm/${card}/device/vendor`)?.trim().replace(/^0x/, "");
    const device = host.files.readText(`/sys/class/drm/${card}/device/device`)?.trim().replace(/^0x/, "");
    if (!vendor) continue;
    // NVIDIA cards were listed above with their model names.
    if (vendor === "10de" && gpus.some((gpu) => gpu.pciVendor === "10de")) continue;
    const vendorName = pciVendorNames[vendor] ?? `PCI vendor ${vendor}`;
    gpus.push({
      pciVendor: vendor,
      vendor: vendorName,
      name: `${vendorName} GPU [${vendor}:${device ?? "?"}]`,
      driverVersion: vendor === "10de" ? nvidiaVersion : undefined,
    });
  }
  return gpus;
}

/** The adapter the WebGPU provider is expected to get on this host. */
export interface AdapterInfo {
  readonly backend: "vulkan" | "metal" | "d3d12";
  readonly name: string;
  readonly vendor: string;
  readonly driver: string;
  /** A CPU implementation of the GPU API (SwiftShader, lavapipe): it never counts for `auto`. */
  readonly software: boolean;
  /** Where the description comes from (ONNX Runtime does not report the adapter itself). */
  readonly source: string;
}

/**
 * The adapter Dawn is expected to choose, or undefined when the host offers none that it could use (no
 * ICD, or only hardware ICDs without their GPU). Lavapipe is listed last: Dawn gets no adapter from
 * Debian's Mesa 22.3 lavapipe.
 */
export function expectedAdapter(host: GpuHost): AdapterInfo | undefined {
  if (host.platform === "darwin")
    return {
      backend: "metal",
      name: "Apple GPU (Metal)",
      vendor: "Apple",
      driver: "Metal",
      software: false,
      source: "platform (macOS: Metal)",
    };
  if (host.platform === "win32")
    return {
      backend: "d3d12",
      name: "default D3D12 adapter",
      vendor: "unknown vendor",
      driver: "D3D12",
      software: false,
      source: "platform (Windows: D3D12)",
    };
  const icds = vulkanIcds(host);
  const gpus = hostGpus(host);
  for (const icd of icds.filter((candidate) => !candidate.software)) {
    const gpu = gpus.find((candidate) => candidate.pciVendor === icd.pciVendor);
    if (!gpu && icd.pciVendor !== undefined) continue;
    const version = gpu?.driverVersion ?? (icd.apiVersion ? `Vulkan ${icd.apiVersion}` : undefined);
    return {
      backend: "vulkan",
      name: gpu?.name ?? `${icd.vendor} GPU`,
      vendor: gpu?.vendor ?? icd.vendor,
      driver: version ? `${icd.driver} ${version}` : icd.driver,
      software: false,
      source: `Vulkan ICD ${path.basename(icd.manifest)}${gpu ? " + kernel GPU list" : ""}`,
    };
  }
  const software = [...icds.filter((icd) => icd.software)].sort(
    (a, b) => Number(a.driver === "Mesa lavapipe") - Number(b.driver === "Mesa lavapipe"),
  )[0];
  if (!software) return undefined;
  return {
    backend: "vulkan",
    name: `${software.driver} Device`,
    vendor: software.vendor,
    driver: software.apiVersion ? `${software.driver} (Vulkan ${software.apiVersion})` : software.driver,
    software: true,
    source: `Vulkan ICD ${path.basename(software.manifest)}`,
  };
}

/** "SwiftShader Device (Google; vulkan; driver SwiftShader (Vulkan 1.0.5); software)". */
export function formatAdapter(adapter: AdapterInfo): string {
  const parts = [adapter.vendor, adapter.backend, `driver ${adapter.driver}`];
  if (adapter.software) parts.push("software emulation, not a GPU");
  return `${adapter.name} (${parts.join("; ")})`;
}
