import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelSamplesResponse } from "@/server/api/model-samples-response";
import { ANONYMOUS } from "../context";
import { createTestDatabase, type TestDatabase } from "../test-database";
import { getModelSamples } from "./get-model-samples";
import { listAvailableModels } from "./list-models";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

describe("model sample grid", () => {
  it("lists the bundled model with its card, vocabulary and samples flag", async () => {
    const models = await listAvailableModels(database.ctx);
    const bundled = models.find((model) => model.id === "tiny-shapes-sd");
    expect(bundled?.hasSamples).toBe(true);
    expect(bundled?.cardSummary).toBeTruthy();
    expect(bundled?.vocabulary).toEqual(expect.arrayContaining(["red", "circle", "square"]));
  });

  it("serves the bundled model's samples.png by id", async () => {
    const bytes = await getModelSamples(database.ctx, { modelId: "tiny-shapes-sd" });
    expect([...bytes.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const response = await modelSamplesResponse(
      new Request("http://localhost/api/models/samples?model=tiny-shapes-sd"),
      database.ctx,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
  });

  it("answers paths and unknown ids like unknown models, and asks anonymous visitors to sign in", async () => {
    for (const modelId of ["../../etc/passwd", "/usr", "user:../x", "no-such-model", "tiny-shapes-sd/unet"]) {
      const response = await modelSamplesResponse(
        new Request(`http://localhost/api/models/samples?model=${encodeURIComponent(modelId)}`),
        database.ctx,
      );
      expect(response.status, modelId).toBe(404);
      expect(JSON.stringify(await response.json())).not.toContain("/work");
    }
    const missing = await modelSamplesResponse(
      new Request("http://localhost/api/models/samples"),
      database.ctx,
    );
    expect(missing.status).toBe(400);
    const anonymous = await modelSamplesResponse(
      new Request("http://localhost/api/models/samples?model=tiny-shapes-sd"),
      { db: database.db, actor: ANONYMOUS },
    );
    expect(anonymous.status).toBe(401);
  });
});
