/**
 * The execution-provider rules and the host description, on fake hosts (no GPU needed). The real WebGPU path
 * is tested on SwiftShader in webgpu.test.ts.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readOnnxConfig, readOnnxLimits } from "./config";
import { ExecutionProviderUnavailableError } from "./errors";
import {
  expectedAdapter,
  formatAdapter,
  type GpuHost,
  hasVulkanLoader,
  hostGpus,
  vulkanIcds,
} from "./gpu-host";
import { formatDevice, type ProbeResult, type ProviderProbes, selectExecutionProvider } from "./providers";
import { createOnnxRuntime, releaseCachedSessions, type SessionFactory } from "./runtime";

const swiftshaderIcd = JSON.stringify({
  file_format_version: "1.0.0",
  ICD: { library_path: "./libvk_swiftshader.so", api_version: "1.0.5" },
});
const nvidiaIcd = JSON.stringify({
  file_format_version: "1.0.0",
  ICD: { library_path: "libGLX_nvidia.so.0", api_version: "1.3.277" },
});
const radeonIcd = JSON.stringify({
  ICD: { library_path: "/usr/lib/x86_64-linux-gnu/libvulkan_radeon.so", api_version: "1.3.230" },
});
const lavapipeIcd = JSON.stringify({
  ICD: { library_path: "/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so", api_version: "1.3.230" },
});

/** A Linux host made of a few files. */
function fakeHost(files: Record<string, string>, env: Record<string, string> = {}): GpuHost {
  return {
    platform: "linux",
    env: { HOME: "/home/user", ...env },
    files: {
      readText: (file) => files[file],
      list: (dir) =>
        Object.keys(files)
          .filter((file) => file.startsWith(`${dir}/`))
          .map((file) => file.slice(dir.length + 1).split("/")[0] ?? "")
          .filter((name, index, all) => name && all.indexOf(name) === index)
          .sort(),
      isFile: (file) => file in files,
    },
  };
}

const loader = { "/usr/lib/x86_64-linux-gnu/libvulkan.so.1": "" };
const nvidiaHost = fakeHost({
  ...loader,
  "/usr/share/vulkan/icd.d/nvidia_icd.json": nvidiaIcd,
  "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json": lavapipeIcd,
  "/proc/driver/nvidia/version":
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n",
  "/proc/driver/nvidia/gpus/0000:01:00.0/information": "Model: \t\t NVIDIA GeForce RTX 4090\nIRQ: 130\n",
});
const swiftshaderHost = fakeHost(
  { ...loader, "/usr/lib/chromium/vk_swiftshader_icd.json": swiftshaderIcd },
  { VK_ICD_FILENAMES: "/usr/lib/chromium/vk_swiftshader_icd.json" },
);

function probes(
  host: GpuHost,
  results: { cuda?: ProbeResult; webgpu?: ProbeResult } = {},
): ProviderProbes & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    host,
    adapter: () => expectedAdapter(host),
    cuda: async () => {
      calls.push("cuda");
      return results.cuda ?? { ok: false, detail: "this onnxruntime-node build lists no cuda backend" };
    },
    webgpu: async () => {
      calls.push("webgpu");
      return results.webgpu ?? { ok: false, detail: "Failed to get a WebGPU adapter: No supported adapters" };
    },
  };
}

describe("ORT_EXECUTION_PROVIDER", () => {
  it("accepts webgpu next to cpu, cuda and auto", () => {
    expect(readOnnxConfig({ ORT_EXECUTION_PROVIDER: "WebGPU" }).executionProvider).toBe("webgpu");
    expect(() => readOnnxConfig({ ORT_EXECUTION_PROVIDER: "vulkan" })).toThrow(/cpu, cuda, webgpu or auto/);
  });
});

describe("selection rules", () => {
  it("cpu probes nothing", async () => {
    const fake = probes(nvidiaHost, { webgpu: { ok: true } });
    expect(await selectExecutionProvider("cpu", fake)).toEqual({ requested: "cpu", provider: "cpu" });
    expect(fake.calls).toEqual([]);
  });

  it("auto takes CUDA when its build loads, without trying WebGPU", async () => {
    const fake = probes(nvidiaHost, { cuda: { ok: true }, webgpu: { ok: true } });
    expect((await selectExecutionProvider("auto", fake)).provider).toBe("cuda");
    expect(fake.calls).toEqual(["cuda"]);
  });

  it("auto takes WebGPU on a hardware adapter when CUDA is missing, and names the adapter", async () => {
    const device = await selectExecutionProvider("auto", probes(nvidiaHost, { webgpu: { ok: true } }));
    expect(device.provider).toBe("webgpu");
    expect(device.adapter).toMatchObject({
      backend: "vulkan",
      name: "NVIDIA GeForce RTX 4090",
      vendor: "NVIDIA",
      driver: "NVIDIA 550.54.14",
      software: false,
    });
    expect(formatDevice(device)).toBe(
      "webgpu · NVIDIA GeForce RTX 4090 (NVIDIA; vulkan; driver NVIDIA 550.54.14)",
    );
  });

  it("auto does not count a software adapter (SwiftShader): CPU, with the reason", async () => {
    const device = await selectExecutionProvider("auto", probes(swiftshaderHost, { webgpu: { ok: true } }));
    expect(device.provider).toBe("cpu");
    expect(device.note).toMatch(/only WebGPU adapter is SwiftShader Device .*software emulation/);
    expect(formatDevice(device)).toBe("cpu (auto)");
  });

  it("auto without any adapter falls back to the CPU", async () => {
    const device = await selectExecutionProvider("auto", probes(nvidiaHost));
    expect(device.provider).toBe("cpu");
    expect(device.note).toMatch(/no WebGPU adapter: Failed to get a WebGPU adapter/);
  });

  it("webgpu by name accepts a software adapter but says what it is", async () => {
    const device = await selectExecutionProvider("webgpu", probes(swiftshaderHost, { webgpu: { ok: true } }));
    expect(device.provider).toBe("webgpu");
    expect(device.adapter?.software).toBe(true);
    expect(device.note).toMatch(/software emulation/);
  });

  it("webgpu without an adapter: a typed error naming the drivers found and what to install", async () => {
    const attempt = selectExecutionProvider("webgpu", probes(nvidiaHost));
    await expect(attempt).rejects.toBeInstanceOf(ExecutionProviderUnavailableError);
    await expect(attempt).rejects.toThrow(
      /"webgpu" is not available on this host \(no WebGPU adapter: .*Vulkan drivers found: Mesa lavapipe, NVIDIA\)\. Install your GPU vendor's Vulkan driver/,
    );
  });

  it("webgpu without the Vulkan loader names the Debian package, before any native call", async () => {
    const host = fakeHost({ "/usr/share/vulkan/icd.d/nvidia_icd.json": nvidiaIcd });
    const fake = probes(host, { webgpu: { ok: true } });
    const attempt = selectExecutionProvider("webgpu", fake);
    await expect(attempt).rejects.toThrow(
      /libvulkan\.so\.1 is not installed\)\. .*apt-get install libvulkan1/,
    );
    expect(fake.calls).toEqual([]);
  });

  it("cuda without the CUDA build: the install command and the other choices", async () => {
    const attempt = selectExecutionProvider("cuda", probes(nvidiaHost, { webgpu: { ok: true } }));
    await expect(attempt).rejects.toThrow(/ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node/);
    await expect(attempt).rejects.toThrow(/ORT_EXECUTION_PROVIDER=webgpu/);
  });
});

describe("host description", () => {
  it("finds the Vulkan loader in the linker cache or a library folder", () => {
    expect(hasVulkanLoader(fakeHost(loader))).toBe(true);
    expect(hasVulkanLoader(fakeHost({ "/etc/ld.so.cache": "ld.so-1.7.0\0libvulkan.so.1\0/lib/x" }))).toBe(
      true,
    );
    expect(hasVulkanLoader(fakeHost({ "/opt/vk/libvulkan.so.1": "" }, { LD_LIBRARY_PATH: "/opt/vk" }))).toBe(
      true,
    );
    expect(hasVulkanLoader(fakeHost({}))).toBe(false);
  });

  it("reads the ICDs named by VK_ICD_FILENAMES instead of the standard folders", () => {
    const icds = vulkanIcds(swiftshaderHost);
    expect(icds).toEqual([
      expect.objectContaining({
        driver: "SwiftShader",
        vendor: "Google",
        apiVersion: "1.0.5",
        software: true,
      }),
    ]);
    expect(formatAdapter(expectedAdapter(swiftshaderHost)!)).toBe(
      "SwiftShader Device (Google; vulkan; driver SwiftShader (Vulkan 1.0.5); software emulation, not a GPU)",
    );
  });

  it("a hardware ICD without its GPU does not count; lavapipe alone is software", () => {
    const host = fakeHost({
      ...loader,
      "/usr/share/vulkan/icd.d/radeon_icd.x86_64.json": radeonIcd,
      "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json": lavapipeIcd,
    });
    expect(expectedAdapter(host)).toMatchObject({ name: "Mesa lavapipe Device", software: true });
  });

  it("an AMD card under /sys/class/drm with Mesa's RADV", () => {
    const host = fakeHost({
      ...loader,
      "/usr/share/vulkan/icd.d/radeon_icd.x86_64.json": radeonIcd,
      "/sys/class/drm/card0/device/vendor": "0x1002\n",
      "/sys/class/drm/card0/device/device": "0x73bf\n",
      "/sys/class/drm/card0-DP-1/status": "connected",
    });
    expect(hostGpus(host)).toEqual([
      { pciVendor: "1002", vendor: "AMD", name: "AMD GPU [1002:73bf]", driverVersion: undefined },
    ]);
    expect(expectedAdapter(host)).toMatchObject({
      name: "AMD GPU [1002:73bf]",
      vendor: "AMD",
      driver: "Mesa RADV Vulkan 1.3.230",
      software: false,
    });
  });

  it("macOS uses Metal and needs no Vulkan loader", () => {
    const host: GpuHost = { ...fakeHost({}), platform: "darwin" };
    expect(hasVulkanLoader(host)).toBe(true);
    expect(expectedAdapter(host)).toMatchObject({ backend: "metal", software: false });
  });
});

describe("device memory budget (ORT_DEVICE_MEMORY_MB)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "dno-budget-"));
  const file = (name: string, bytes: number) => {
    const target = path.join(dir, name);
    writeFileSync(target, Buffer.alloc(bytes, name));
    return target;
  };
  // Sessions are not created for real: the budget is checked before ONNX Runtime sees the file.
  const fakeSessions: SessionFactory = async () => ({
    inputMetadata: [],
    outputMetadata: [],
    run: async () => ({}),
    release: async () => undefined,
  });
  const runtime = (provider: "webgpu" | "cpu", budgetBytes: number) =>
    createOnnxRuntime(
      { executionProvider: provider, intraOpThreads: 1, limits: { deviceMemoryBytes: budgetBytes } },
      { createSession: fakeSessions, probes: probes(nvidiaHost, { webgpu: { ok: true } }) },
    );

  it("reads the budget in MiB, 0 meaning none", () => {
    expect(readOnnxLimits({}).deviceMemoryBytes).toBe(0);
    expect(readOnnxLimits({ ORT_DEVICE_MEMORY_MB: "2048" }).deviceMemoryBytes).toBe(2048 * 1024 ** 2);
    expect(() => readOnnxLimits({ ORT_DEVICE_MEMORY_MB: "lots" })).toThrow(/ORT_DEVICE_MEMORY_MB/);
  });

  it("refuses a model that would not fit, before creating its session, naming the sizes and the setting", async () => {
    await releaseCachedSessions();
    const device = await runtime("webgpu", 4 * 1024 ** 2);
    const unet = file("unet.onnx", 2 * 1024 ** 2);
    const vae = file("vae.onnx", 1024 ** 2);
    await device.load(unet, { name: "unet" });
    // The same model again is already on the device.
    await device.load(unet, { name: "unet" });
    await expect(device.load(vae, { name: "vae_decoder" })).rejects.toThrow(
      'Model "vae_decoder" needs about 1.5 MiB of device memory (1.0 MiB of weights and working memory), and the ' +
        "models already on the device take 3.0 MiB of the 4.0 MiB budget (ORT_DEVICE_MEMORY_MB).",
    );
    // The CPU provider has no device budget.
    const cpu = await runtime("cpu", 4 * 1024 ** 2);
    await cpu.load(vae, { name: "vae_decoder" });
    await releaseCachedSessions();
  });
});
