/**
 * Keys that reach a prototype (`__proto__`, `constructor`, `prototype`) never reach a stored row, whatever the
 * way in: a document object (create/save/run.start), a node id, a review-and-re-run change. superjson refuses
 * to send such objects, so before this a stored one made every later read of the workflow a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { AppError } from "../../errors";
import { rerunWithChanges } from "../runs/rerun-with-changes";
import { startRun } from "../runs/start-run";
import { createTestDatabase, snapshotTables, type TestDatabase } from "../test-database";
import { createWorkflow } from "./create-workflow";
import { saveWorkflow } from "./save-workflow";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

function exampleDocument(): GraphDocument {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  return structuredClone(example.document);
}

async function counts() {
  const tables = await snapshotTables(database.db);
  return { ...tables, runs: await database.db.run.count() };
}

async function refusal(action: () => Promise<unknown>): Promise<AppError> {
  const before = await counts();
  const error = await action().catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(AppError);
  expect(await counts()).toEqual(before);
  return error as AppError;
}

describe("dangerous keys never reach storage", () => {
  it.each(["constructor", "prototype", "__proto__"])(
    "refuses %s in a node's params, naming the node",
    async (key) => {
      const document = exampleDocument();
      const sampler = document.nodes.find((node) => node.type === "sampler");
      if (!sampler) throw new Error("no sampler");
      Object.defineProperty(sampler.params, key, { value: { x: 1 }, enumerable: true });
      const error = await refusal(() => createWorkflow(database.ctx, { name: "Polluted", document }));
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toBe(
        `${sampler.label} › the key “${key}” is not allowed (it could change how the server's objects behave). Rename or remove it.`,
      );
      expect(error.issues[0]).toMatchObject({ code: "dangerous-key", nodeId: sampler.id });
    },
  );

  it("refuses a node id that is a dangerous key (ids become keys of run metrics)", async () => {
    const workflow = await createWorkflow(database.ctx, { name: "Ids", document: exampleDocument() });
    const document = exampleDocument();
    const node = document.nodes[0];
    if (!node) throw new Error("empty example");
    const oldId = node.id;
    node.id = "constructor";
    for (const edge of document.edges) {
      if (edge.source === oldId) edge.source = "constructor";
      if (edge.target === oldId) edge.target = "constructor";
    }
    const error = await refusal(() =>
      saveWorkflow(database.ctx, {
        workflowId: workflow.id,
        baseVersionId: workflow.headVersion.id,
        document,
        message: "",
      }),
    );
    expect(error.message).toBe("The id “constructor” is not allowed for a node. Give it another id.");
  });

  it("refuses a review-and-re-run change whose parameter is __proto__, storing no version and no run", async () => {
    const workflow = await createWorkflow(database.ctx, { name: "Rerun", document: exampleDocument() });
    const { run } = await startRun(database.ctx, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
      checkpointEvery: 1,
    });
    const sampler = exampleDocument().nodes.find((node) => node.type === "sampler");
    if (!sampler) throw new Error("no sampler");
    const error = await refusal(() =>
      rerunWithChanges(database.ctx, {
        runId: run.id,
        changes: [{ nodeId: sampler.id, param: "__proto__", value: { polluted: true } }],
        message: "",
      }),
    );
    expect(error.message).toBe(
      `${sampler.label} › the key “__proto__” is not allowed (it could change how the server's objects behave). Rename or remove it.`,
    );
  });
});
