/**
 * A committed scaled-down SD-architecture export (models/sd_arch/tiny/<arch>) copied the way a user's folder
 * looks: the model's own files only (no fixtures, no stray .onnx beside the parts), plus the unet/config.json an
 * optimum export writes. Its sample_size (default 8: 8×8 latents, 64-px pictures) keeps tests small; without it
 * the folder loads at diffusers' default 64×64 latents, where store-mode activations alone reach many GB.
 */
import { cpSync, writeFileSync } from "node:fs";
import path from "node:path";

export const TINY_SD_ARCH_DIR = path.resolve(import.meta.dirname, "../../../models/sd_arch/tiny");

export function copyTinySdArch(arch: string, into: string, sampleSize = 8): string {
  cpSync(path.join(TINY_SD_ARCH_DIR, arch), into, {
    recursive: true,
    filter: (source) =>
      path.basename(source) !== "fixtures" &&
      (!source.endsWith(".onnx") || path.basename(source) === "model.onnx"),
  });
  writeFileSync(path.join(into, "unet/config.json"), JSON.stringify({ sample_size: sampleSize }));
  return into;
}
