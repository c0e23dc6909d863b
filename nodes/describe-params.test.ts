import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeParamField, describeParams, isParamVisible, paramLabel } from "./describe-params";
import { getNodeDefinition } from "./registry";
import { defineNode } from "./types";

function fieldsOf(type: string) {
  const definition = getNodeDefinition(type);
  if (!definition) throw new Error(`no ${type}`);
  return Object.fromEntries(describeParams(definition).map((field) => [field.name, field]));
}

describe("describeParams", () => {
  it("reads bounds, default, step and widget of an integer slider from zod", () => {
    const steps = fieldsOf("sampler").steps;
    expect(steps).toMatchObject({
      widget: "slider",
      label: "Steps",
      valueKind: "integer",
      default: 50,
      min: 1,
      max: 1000,
      step: 1,
      optional: false,
      advanced: false,
    });
  });

  it("reads float bounds and the log scale", () => {
    const learningRate = fieldsOf("optimizer").learningRate;
    expect(learningRate).toMatchObject({
      valueKind: "number",
      min: 0.00001,
      max: 10,
      default: 0.02,
      scale: "log",
    });
    expect(fieldsOf("sampler").eta).toMatchObject({ min: 0, max: 1, default: 1, scale: "linear" });
  });

  it("reads enum options in order, with their display labels", () => {
    const estimator = fieldsOf("optimizer").estimator;
    expect(estimator?.widget).toBe("select");
    expect(estimator?.options?.map((option) => option.value)).toEqual(["backprop", "zeroth-order", "hybrid"]);
    expect(estimator?.options?.[2]?.label).toBe("Hybrid");
  });

  it("describes seeds, seed lists and fixed-length number lists", () => {
    const noise = fieldsOf("noise");
    expect(noise.seed).toMatchObject({ widget: "seed", valueKind: "integer", min: 0, max: 4_294_967_295 });
    expect(noise.batchSeeds).toMatchObject({
      widget: "seedList",
      valueKind: "array",
      default: [],
      maxItems: 16,
      item: { valueKind: "integer", min: 0, max: 4_294_967_295 },
    });
    const mean = fieldsOf("reward").mean;
    expect(mean?.valueKind).toBe("tuple");
    expect(mean?.items?.map((item) => item.label)).toEqual(["R", "G", "B"]);
    expect(mean?.default).toEqual([0.485, 0.456, 0.406]);
  });

  it("reads string length limits and visibility conditions", () => {
    const reward = fieldsOf("reward");
    expect(reward.modelAsset).toMatchObject({ widget: "file", accept: ".onnx", default: "" });
    expect(reward.target?.visibleWhen).toEqual({ param: "kind", equals: ["classifier-probability"] });
    expect(isParamVisible(reward.target!, { kind: "classifier-probability" })).toBe(true);
    expect(isParamVisible(reward.target!, { kind: "brightness" })).toBe(false);
    expect(isParamVisible(reward.weight!, { kind: "brightness" })).toBe(true);
  });

  it("keeps declaration order and follows a changed schema (no second copy of the bounds)", () => {
    const node = defineNode({
      type: "probe",
      version: 1,
      title: "Probe",
      category: "Inputs",
      description: "A node made up for this test.",
      inputs: [],
      outputs: [],
      params: z.object({
        b: z.number().min(-3).max(7).default(2).meta({ widget: "number", label: "B", help: "b help" }),
        a: z.boolean().default(true).meta({ widget: "checkbox", label: "A", help: "a help" }),
        c: z.string().max(5).optional().meta({ widget: "text", label: "C", help: "c help" }),
      }),
    });
    const fields = describeParams(node);
    expect(fields.map((field) => field.name)).toEqual(["b", "a", "c"]);
    expect(fields[0]).toMatchObject({ min: -3, max: 7, default: 2 });
    expect(fields[1]).toMatchObject({ valueKind: "boolean", default: true, widget: "checkbox" });
    expect(fields[2]).toMatchObject({ optional: true, default: undefined, maxLength: 5 });
  });

  it("merges meta from wrapper layers (outer wins) and infers a widget when none is given", () => {
    const field = describeParamField(
      "x",
      z.int().min(0).max(9).meta({ label: "Inner", help: "inner help" }).default(3).meta({ label: "Outer" }),
    );
    expect(field).toMatchObject({ label: "Outer", help: "inner help", widget: "number", default: 3, max: 9 });
  });

  it("refuses a zod type the form cannot draw", () => {
    expect(() => describeParamField("when", z.date().default(new Date(0)))).toThrow(/when.*cannot draw/);
  });

  it("gives a param's label for messages", () => {
    expect(paramLabel(getNodeDefinition("guard")!, "gamma")).toBe("Strength (γ)");
    expect(paramLabel(getNodeDefinition("guard")!, "nope")).toBe("nope");
  });
});

describe("defineNode", () => {
  const base = {
    version: 1,
    title: "T",
    category: "Inputs",
    description: "d",
    inputs: [],
    outputs: [],
  } as const;
  it("refuses a param without a default", () => {
    expect(() =>
      defineNode({ ...base, type: "bad", params: z.object({ n: z.number().min(0).max(1) }) }),
    ).toThrow(/every parameter needs a default.*n/);
  });
  it("refuses two ports with the same name", () => {
    const port = { name: "p", type: "image", label: "P", description: "p" } as const;
    expect(() => defineNode({ ...base, type: "bad", inputs: [port, port], params: z.object({}) })).toThrow(
      /port name "p" is used twice/,
    );
  });
});
