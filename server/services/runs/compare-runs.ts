/**
 * Side-by-side comparison of runs (of one workflow or several): each run's summary, curves and images, and
 * the parameter differences between the versions they executed, per node and parameter.
 */
import type { GraphDocument } from "@/nodes";
import { nodeDisplayName } from "@/nodes";
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";
import { getRun, type RunDetail } from "./get-run";

export interface ParamDifference {
  nodeId: string;
  nodeName: string;
  /** null: the node itself is missing from some runs. */
  param: string | null;
  /** One entry per compared run, in the order asked: the value (JSON), or undefined when absent. */
  values: (string | null)[];
}

export interface RunComparison {
  runs: Omit<RunDetail, "log" | "artifacts" | "document">[];
  differences: ParamDifference[];
  /** The documents the runs executed, in the same order (for node names). */
  documents: GraphDocument[];
}

function show(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function diffDocuments(documents: readonly GraphDocument[]): ParamDifference[] {
  const nodeIds = [...new Set(documents.flatMap((document) => document.nodes.map((node) => node.id)))];
  const differences: ParamDifference[] = [];
  for (const nodeId of nodeIds) {
    const nodes = documents.map((document) => document.nodes.find((node) => node.id === nodeId));
    const present = nodes.find((node) => node !== undefined);
    if (!present) continue;
    const nodeName = nodeDisplayName(present);
    if (nodes.some((node) => node === undefined || node.type !== present.type)) {
      differences.push({
        nodeId,
        nodeName,
        param: null,
        values: nodes.map((node) => (node ? node.type : null)),
      });
      continue;
    }
    const params = [...new Set(nodes.flatMap((node) => Object.keys(node?.params ?? {})))].sort();
    for (const param of params) {
      const values = nodes.map((node) => show(node?.params[param]));
      if (new Set(values).size > 1) differences.push({ nodeId, nodeName, param, values });
    }
  }
  return differences;
}

export async function compareRuns(ctx: ServiceContext, input: { runIds: string[] }): Promise<RunComparison> {
  const runIds = [...new Set(input.runIds)];
  if (runIds.length < 2) throw new AppError("VALIDATION", "Pick at least two different runs to compare.");
  if (runIds.length > 8) throw new AppError("VALIDATION", "Compare at most 8 runs at a time.");
  const details = await Promise.all(runIds.map((runId) => getRun(ctx, { runId })));
  return {
    runs: details.map(({ log: _log, artifacts: _artifacts, document: _document, ...rest }) => rest),
    differences: diffDocuments(details.map((detail) => detail.document)),
    documents: details.map((detail) => detail.document),
  };
}
