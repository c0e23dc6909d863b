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
    expect(bundled).toMatchObject({
      id: "tiny-shapes-sd",
      name: "tiny-shapes-sd",
      source: "bundled",
      valid: true,
      problems: [],
    });
    // The Sampler's Image size choices: the bundled graphs fix 8×8 latents, so only its 64 px.
    expect(bundled?.imageSize).toMatchObject({ adjustable: false, defaultWidth: 64, defaultHeight: 64 });
    expect(JSON.stringify(models)).not.toContain(process.cwd());
    // The build scripts' Python package next to it is not a model folder.
    expect(models.some((model) => model.id === "tiny_shapes")).toBe(false);
  });

  it("carries the bundled model's vocabulary and the first paragraph of its card", async () => {
    const models = await createCaller(database.ctx).models.list();
    const bundled = models.find((model) => model.id === "tiny-shapes-sd");
    // Exactly the words of the training captions (models/tiny_shapes/data.py), so nothing else passes.
    expect([...(bundled?.vocabulary ?? [])].sort()).toEqual(
      [
        ...["a", "two", "on", "background", "small", "large"],
        ...["red", "green", "blue", "yellow", "white", "black"],
        ...["circle", "square", "triangle", "circles", "squares", "triangles"],
      ].sort(),
    );
    expect(bundled?.cardSummary).toMatch(/^Trained from scratch on procedurally generated 64x64 scenes/);
    expect(bundled?.cardSummary).not.toContain("`");
    expect(bundled?.cardSummary).not.toContain("\n");
  });
});
