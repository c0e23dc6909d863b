/**
 * Test set-up for the WebGPU provider on a CPU-only machine: SwiftShader, the Vulkan driver that Debian's
 * chromium package ships, stands in for a GPU (slowly; a path and numerics check, never a speed).
 * Sets the two variables Dawn needs, VK_ICD_FILENAMES and XDG_RUNTIME_DIR, in this process before its first
 * WebGPU session. CI installs chromium and libvulkan1 (.ci/run); where either is missing the tests fail with
 * what to install instead of skipping.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { hasVulkanLoader, realGpuHost } from "../gpu-host";

const knownLocations = ["/usr/lib/chromium/vk_swiftshader_icd.json"];

function findSwiftShaderIcd(): string | undefined {
  const override = process.env.DNO_TEST_SWIFTSHADER_ICD?.trim();
  if (override) return existsSync(override) ? override : undefined;
  const known = knownLocations.find((file) => existsSync(file));
  if (known) return known;
  const listed = spawnSync("dpkg", ["-L", "chromium"], { encoding: "utf8" });
  return listed.stdout
    ?.split("\n")
    .find((line) => line.endsWith("vk_swiftshader_icd.json") && existsSync(line));
}

/** Points Vulkan at SwiftShader for this process; throws what to install when it cannot. */
export function selectSwiftShader(): { icd: string } {
  const icd = findSwiftShaderIcd();
  if (!icd) {
    throw new Error(
      "The WebGPU tests need SwiftShader's Vulkan driver (vk_swiftshader_icd.json from Debian's chromium " +
        "package) and found none: run `apt-get install chromium libvulkan1` (CI does), or set " +
        "DNO_TEST_SWIFTSHADER_ICD to its path.",
    );
  }
  if (!hasVulkanLoader(realGpuHost())) {
    throw new Error(
      "The WebGPU tests need the Vulkan loader libvulkan.so.1, which Dawn opens: run `apt-get install libvulkan1`.",
    );
  }
  // VK_DRIVER_FILES wins over VK_ICD_FILENAMES in newer loaders: only SwiftShader may be seen.
  delete process.env.VK_DRIVER_FILES;
  process.env.VK_ICD_FILENAMES = icd;
  process.env.XDG_RUNTIME_DIR = mkdtempSync(path.join(tmpdir(), "dno-xdg-test-"));
  return { icd };
}
