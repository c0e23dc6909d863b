import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeParams } from "./describe-params";
import { getNodeDefinition, isKnownNodeType, listNodeDefinitions, nodeTypeIds } from "./registry";
import { PORT_COLORS, PORT_TYPES } from "./types";

const repoRoot = path.resolve(import.meta.dirname, "..");
const generatorPath = path.join(repoRoot, "scripts", "generate-node-index.mjs");

interface GeneratorModule {
  renderNodeIndex(sources: Record<string, string>): string;
  readNodeSources(): Record<string, string>;
  renderKindIndex(group: string, sources: Record<string, string>): string;
  renderImplementationIndex(group: string, sources: Record<string, string>): string;
  generatedIndexes(): { file: string; render(): string }[];
}
async function loadGenerator(): Promise<GeneratorModule> {
  // A plain .mjs script without type declarations: import it through a variable path.
  const specifier: string = generatorPath;
  return (await import(specifier)) as GeneratorModule;
}

describe("node registry", () => {
  it("holds the six node types of the method, with unique ids", () => {
    expect([...nodeTypeIds].sort()).toEqual(["guard", "noise", "optimizer", "prompt", "reward", "sampler"]);
    expect(new Set(nodeTypeIds).size).toBe(nodeTypeIds.length);
    expect(listNodeDefinitions().map((definition) => definition.type)).toEqual(nodeTypeIds);
  });

  it("finds definitions by type id and rejects unknown ones", () => {
    expect(getNodeDefinition("sampler")?.title).toBe("Sampler");
    expect(isKnownNodeType("optimizer")).toBe(true);
    expect(isKnownNodeType("upscaler")).toBe(false);
    expect(getNodeDefinition("upscaler")).toBeUndefined();
  });

  it("lists inputs first and the optimizer last (palette order)", () => {
    expect(nodeTypeIds[0]).toBe("noise");
    expect(nodeTypeIds.at(-1)).toBe("optimizer");
  });

  for (const definition of listNodeDefinitions()) {
    describe(definition.type, () => {
      it("has defaults for every param that pass its own schema", () => {
        const defaults = definition.params.parse({});
        expect(definition.params.safeParse(defaults).success).toBe(true);
        for (const field of describeParams(definition)) {
          expect(field.default, `${definition.type}.${field.name} default`).not.toBeUndefined();
        }
      });

      it("explains itself and every port and param in words", () => {
        expect(definition.title.length).toBeGreaterThan(0);
        expect(definition.description.length).toBeGreaterThan(80);
        expect(Number.isInteger(definition.version) && definition.version >= 1).toBe(true);
        for (const port of [...definition.inputs, ...definition.outputs]) {
          expect(port.label.length, `${definition.type}.${port.name} label`).toBeGreaterThan(0);
          expect(port.description.length, `${definition.type}.${port.name} description`).toBeGreaterThan(0);
          expect(PORT_TYPES).toContain(port.type);
        }
        for (const field of describeParams(definition)) {
          expect(field.label, `${definition.type}.${field.name} label`).not.toBe(field.name);
          expect(field.help.length, `${definition.type}.${field.name} help`).toBeGreaterThan(10);
        }
      });

      it("bounds every number, string and list param", () => {
        for (const field of describeParams(definition)) {
          const where = `${definition.type}.${field.name}`;
          if (field.valueKind === "number" || field.valueKind === "integer") {
            expect(field.min, `${where} min`).toBeTypeOf("number");
            expect(field.max, `${where} max`).toBeTypeOf("number");
          }
          if (field.valueKind === "string")
            expect(field.maxLength, `${where} maxLength`).toBeTypeOf("number");
          if (field.valueKind === "array") expect(field.maxItems, `${where} maxItems`).toBeTypeOf("number");
          for (const item of [...(field.items ?? []), ...(field.item ? [field.item] : [])]) {
            expect(item.min, `${where} item min`).toBeTypeOf("number");
            expect(item.max, `${where} item max`).toBeTypeOf("number");
          }
        }
      });

      it("uses widgets that fit the value kinds, and conditions that name real params and values", () => {
        const fields = describeParams(definition);
        for (const field of fields) {
          const where = `${definition.type}.${field.name}`;
          if (field.widget === "select") expect(field.valueKind, where).toBe("enum");
          if (field.widget === "seed") expect(field.valueKind, where).toBe("integer");
          if (field.widget === "seedList") expect(field.item?.valueKind, where).toBe("integer");
          if (field.widget === "slider") expect(["number", "integer"], where).toContain(field.valueKind);
          if (["text", "textarea", "file", "model"].includes(field.widget))
            expect(field.valueKind, where).toBe("string");
          const conditions = [field.visibleWhen].filter((condition) => condition !== undefined);
          for (const condition of conditions) {
            const controller = fields.find((candidate) => candidate.name === condition.param);
            expect(controller, `${where} visibleWhen.param`).toBeDefined();
            const allowed = controller?.options?.map((option) => option.value) ?? [];
            for (const value of condition.equals)
              expect(allowed, `${where} visibleWhen value`).toContain(value);
          }
        }
        for (const port of definition.inputs) {
          if (!port.requiredWhen) continue;
          const controller = fields.find((candidate) => candidate.name === port.requiredWhen?.param);
          expect(controller, `${definition.type}.${port.name} requiredWhen`).toBeDefined();
        }
      });
    });
  }

  it("gives every port type a colour", () => {
    for (const type of PORT_TYPES) expect(PORT_COLORS[type]).toMatch(/^#[0-9a-f]{6}$/i);
  });
});

describe("generated node index", () => {
  it("matches the files in nodes/defs (run `npm run nodes:index` when this fails)", async () => {
    const generator = await loadGenerator();
    const { readFileSync } = await import("node:fs");
    const committed = readFileSync(path.join(repoRoot, "nodes", "defs", "index.generated.ts"), "utf8");
    expect(committed).toBe(generator.renderNodeIndex(generator.readNodeSources()));
  });

  it("adds a new node file to the index, and refuses a file without exactly one declaration", async () => {
    const generator = await loadGenerator();
    const sources = {
      ...generator.readNodeSources(),
      "upscale.ts": 'export const upscaleNode = defineNode({ type: "upscale" });\n',
    };
    const rendered = generator.renderNodeIndex(sources);
    expect(rendered).toContain('import { upscaleNode } from "./upscale";');
    expect(rendered).toContain("  upscaleNode,");
    expect(() => generator.renderNodeIndex({ "broken.ts": "export const x = 1;\n" })).toThrow(/broken\.ts/);
  });

  it("--check passes on the committed index", () => {
    const output = execFileSync("node", [generatorPath, "--check"], { cwd: repoRoot, encoding: "utf8" });
    expect(output).toContain("up to date");
  });

  it("covers the kind indexes too, each matching its folder", async () => {
    const generator = await loadGenerator();
    const { readFileSync } = await import("node:fs");
    const files = generator.generatedIndexes().map(({ file }) => path.relative(repoRoot, file));
    expect(files).toEqual([
      "nodes/defs/index.generated.ts",
      "nodes/kinds/guards/index.generated.ts",
      "server/kinds/guards/index.generated.ts",
      "nodes/kinds/rewards/index.generated.ts",
      "server/kinds/rewards/index.generated.ts",
    ]);
    for (const { file, render } of generator.generatedIndexes()) {
      expect(readFileSync(file, "utf8"), path.relative(repoRoot, file)).toBe(render());
    }
  });

  it("adds a new kind file and its implementation, keyed by id and checked against the declared ids", async () => {
    const generator = await loadGenerator();
    const declaration = generator.renderKindIndex("rewards", {
      "brightness.ts": 'export const brightnessRewardKind = defineRewardKind({ id: "brightness" });\n',
      "test-constant.ts":
        'export const testConstantRewardKind = defineRewardKind({ id: "test-constant" });\n',
    });
    expect(declaration).toContain('import { testConstantRewardKind } from "./test-constant";');
    expect(declaration).toContain("  testConstantRewardKind,\n] as const;");
    const implementation = generator.renderImplementationIndex("rewards", {
      "test-constant.ts":
        'export const testConstantReward = defineRewardImplementation("test-constant", { create: () => r });\n',
    });
    expect(implementation).toContain('  "test-constant": testConstantReward,');
    expect(implementation).toContain("} satisfies { readonly [K in RewardKind]: RewardImplementation };");
    expect(() => generator.renderKindIndex("guards", { "broken.ts": "export const x = 1;\n" })).toThrow(
      /nodes\/kinds\/guards\/broken\.ts/,
    );
    expect(() =>
      generator.renderImplementationIndex("guards", {
        "two.ts":
          'export const a = defineGuardImplementation("a", {});\nexport const b = defineGuardImplementation("b", {});\n',
      }),
    ).toThrow(/found 2/);
  });
});
