/**
 * Which graph nodes ONNX Runtime runs on which provider, for a model on a provider (what `check:gpu`
 * reports). ONNX Runtime's JS API does not say; its verbose session log does (VerifyEachNodeIsAssignedToAnEp,
 * and the WebGPU provider's "kernel not found" lines). That log goes to the native stderr, so the session
 * is created in a child process whose stderr is read. Placement is decided after graph optimization, with
 * the same options as the app's sessions (runtime.ts), so fused nodes (QuickGelu…) appear as they run.
 */
import { spawn } from "node:child_process";
import path from "node:path";

export interface PlacedNode {
  readonly op: string;
  readonly name: string;
}

export interface NodePlacement {
  /** Provider name (e.g. "WebGpuExecutionProvider") → how many nodes it runs. */
  readonly counts: Readonly<Record<string, number>>;
  /** The nodes left on the CPU provider. */
  readonly onCpu: readonly PlacedNode[];
  /** Of those, the ones the chosen provider reported no kernel for (the others are small shape math on int64). */
  readonly noKernel: readonly PlacedNode[];
  /** Copy nodes ONNX Runtime inserted between CPU and device nodes: transfers inside every call. */
  readonly copies: { readonly toDevice: number; readonly toHost: number };
}

const allPlaced = /All nodes placed on \[(\w+)\]\. Number of nodes: (\d+)/;
const placedHeader = /Node\(s\) placed on \[(\w+)\]\. Number of nodes: (\d+)/;
const placedLine = /VerifyEachNodeIsAssignedToAnEp\]\s+(\S+) \((.*)\)\s*$/;
const noKernelLine = /kernel not found in registries for Op type: (\S+) node name: (.*?)\s*$/;

/** Parses ONNX Runtime's verbose session log (exported for tests). */
export function parseNodePlacement(log: string): NodePlacement {
  const counts: Record<string, number> = {};
  const onCpu: PlacedNode[] = [];
  const missing = new Set<string>();
  const copies = { toDevice: 0, toHost: 0 };
  let current: string | undefined;
  for (const line of log.split("\n")) {
    const all = allPlaced.exec(line);
    if (all) {
      counts[all[1]!] = Number(all[2]);
      current = undefined;
      continue;
    }
    const header = placedHeader.exec(line);
    if (header) {
      counts[header[1]!] = Number(header[2]);
      current = header[1];
      continue;
    }
    const noKernel = noKernelLine.exec(line);
    if (noKernel) {
      missing.add(noKernel[2]!);
      continue;
    }
    const placed = placedLine.exec(line);
    if (!placed) {
      current = undefined;
      continue;
    }
    if (placed[1] === "MemcpyFromHost") copies.toDevice += 1;
    else if (placed[1] === "MemcpyToHost") copies.toHost += 1;
    if (current === "CPUExecutionProvider") onCpu.push({ op: placed[1]!, name: placed[2]! });
  }
  return { counts, onCpu, noKernel: onCpu.filter((node) => missing.has(node.name)), copies };
}

/**
 * The placement of `modelPath`'s nodes on `provider`, from a child process (same environment, so the same
 * Vulkan driver). Rejects with ONNX Runtime's first line when the session cannot be created.
 */
export function nodePlacement(
  modelPath: string,
  provider: "webgpu" | "cuda",
  timeoutMs = 600_000,
): Promise<NodePlacement> {
  const child = path.join(import.meta.dirname, "node-placement-child.mjs");
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, [child, modelPath, provider], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
    });
    const chunks: string[] = [];
    let failure = "";
    process_.stderr.setEncoding("utf8").on("data", (chunk: string) => chunks.push(chunk));
    process_.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      failure += chunk;
    });
    process_.on("error", reject);
    process_.on("close", (code) => {
      if (code === 0) resolve(parseNodePlacement(chunks.join("")));
      else
        reject(
          new Error(
            `Could not list the node placement of ${path.basename(modelPath)}: ${failure.replace("SESSION_FAILED ", "").trim() || `exit code ${code}`}`,
          ),
        );
    });
  });
}

/** "Gather ×12, Unsqueeze ×8, Cast" : op types by count, most frequent first. */
export function summarizeOps(nodes: readonly PlacedNode[]): string {
  const counts = new Map<string, number>();
  for (const node of nodes) counts.set(node.op, (counts.get(node.op) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([op, count]) => (count > 1 ? `${op} ×${count}` : op))
    .join(", ");
}
