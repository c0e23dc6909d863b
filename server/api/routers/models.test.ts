import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../services/test-database";
import { createCaller } from "../root";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

describe("models.list", () => {
  it("lists the bundled model as valid and no problems, with no server path in the response", async () => {
    const models = await createCaller(database.ctx).models.list();
    const bundled = models.find((model) => model.id === "tiny-shapes-sd");
    expect(bundled).toEqual({
      id: "tiny-shapes-sd",
      name: "tiny-shapes-sd",
      source: "bundled",
      valid: true,
      problems: [],
    });
    expect(JSON.stringify(models)).not.toContain(process.cwd());
    // The build scripts' Python package next to it is not a model folder.
    expect(models.some((model) => model.id === "tiny_shapes")).toBe(false);
  });
});
