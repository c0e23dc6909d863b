import { describe, expect, it } from "vitest";
import { samplerNode } from "./defs/sampler";
import type { GraphDocument } from "./graph/document";
import { parseGraphDocument } from "./graph/document";
import { exampleWorkflows } from "./graph/examples";
import { imageSizeIssues } from "./graph/image-size-issues";
import { validateGraph } from "./graph/validate";
import {
  allowedImageSizes,
  type ImageSizeRule,
  imageSizeChoices,
  imageSizeProblem,
  MODEL_DEFAULT_IMAGE_SIZE,
  resolvedImageSize,
} from "./image-size";
import { displayParameter } from "./param-display";

/** SD-1.5 as the server describes it: dynamic axes, VAE ×8, three UNet down-samplings, 512 px default. */
const SD15: ImageSizeRule = {
  adjustable: true,
  defaultWidth: 512,
  defaultHeight: 512,
  vaeScale: 8,
  granularity: 64,
  min: 64,
  max: 1024,
};
/** The bundled tiny-shapes-sd: its graphs fix 8×8 latents (64 px). */
const FIXED: ImageSizeRule = {
  adjustable: false,
  defaultWidth: 64,
  defaultHeight: 64,
  vaeScale: 8,
  granularity: 16,
  min: 64,
  max: 64,
};

function exampleWithSampler(params: Record<string, unknown>): { doc: GraphDocument; samplerId: string } {
  const example = exampleWorkflows.find((workflow) => workflow.slug === "brighten-with-a-guard");
  if (!example) throw new Error("example missing");
  const doc = structuredClone(example.document);
  const sampler = doc.nodes.find((node) => node.type === "sampler");
  if (!sampler) throw new Error("no sampler");
  Object.assign(sampler.params, params);
  return { doc, samplerId: sampler.id };
}

describe("the granularity rule", () => {
  it("allows the model default and multiples of the granularity between min and max", () => {
    expect(allowedImageSizes(SD15)).toEqual([
      64, 128, 192, 256, 320, 384, 448, 512, 576, 640, 704, 768, 832, 896, 960, 1024,
    ]);
    expect(imageSizeProblem(MODEL_DEFAULT_IMAGE_SIZE, SD15)).toBeUndefined();
    expect(imageSizeProblem(256, SD15)).toBeUndefined();
    expect(imageSizeProblem(320, SD15)).toBeUndefined();
    // 288 px = 36 latent cells: 36 → 18 → 9 → 5 would not meet 9 again on the way up.
    expect(imageSizeProblem(288, SD15)).toBe(
      "288 px is not possible: choose “Model default” (512 px) or a multiple of 64 px from 64 to 1024",
    );
    expect(imageSizeProblem(1088, SD15)).toMatch(/^1088 px is not possible/);
  });

  it("keeps a fixed-size model at its size and names the only size it draws", () => {
    expect(allowedImageSizes(FIXED)).toEqual([]);
    expect(imageSizeProblem(MODEL_DEFAULT_IMAGE_SIZE, FIXED)).toBeUndefined();
    expect(imageSizeProblem(64, FIXED)).toBeUndefined();
    expect(imageSizeProblem(128, FIXED)).toBe(
      "128 px is not possible: this model draws only 64×64 px (its graphs fix the size); choose “Model default”",
    );
  });

  it("resolves the default to the model's size and a choice to a square", () => {
    expect(resolvedImageSize(0, SD15)).toEqual({ width: 512, height: 512 });
    expect(resolvedImageSize(256, SD15)).toEqual({ width: 256, height: 256 });
  });

  it("offers the editor only valid choices, keeping an impossible current value marked", () => {
    const choices = imageSizeChoices(SD15, 0);
    expect(choices[0]).toEqual({ value: 0, label: "Model default (512 px)" });
    expect(choices.map((choice) => choice.value).slice(1)).toEqual(allowedImageSizes(SD15));
    expect(imageSizeChoices(FIXED, 0)).toEqual([{ value: 0, label: "Model default (64 px)" }]);
    expect(imageSizeChoices(FIXED, 256).at(-1)).toEqual({ value: 256, label: "256 px (not possible)" });
    // Before the model list arrives: the default and the stored value, unjudged.
    expect(imageSizeChoices(undefined, 256)).toEqual([
      { value: 0, label: "Model default" },
      { value: 256, label: "256 px" },
    ]);
  });
});

describe("the Sampler's Image size parameter", () => {
  it("defaults to the model's default, also for documents saved before it existed", () => {
    expect(samplerNode.params.parse({}).imageSize).toBe(MODEL_DEFAULT_IMAGE_SIZE);
    const { doc } = exampleWithSampler({});
    const sampler = doc.nodes.find((node) => node.type === "sampler")!;
    delete sampler.params.imageSize;
    const parsed = parseGraphDocument(doc);
    expect(parsed.ok).toBe(true);
    expect(validateGraph(doc).filter((issue) => issue.param === "imageSize")).toEqual([]);
  });

  it("refuses sizes off the 8-px grid or above the limit, naming the node and the parameter", () => {
    for (const bad of [100, 4096, -64]) {
      const { doc, samplerId } = exampleWithSampler({ imageSize: bad });
      const issues = validateGraph(doc).filter((issue) => issue.nodeId === samplerId);
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ param: "imageSize", severity: "error" });
      expect(issues[0]!.message).toMatch(/^Sampler .*Image size/);
    }
    const { doc } = exampleWithSampler({ imageSize: 256 });
    expect(validateGraph(doc).filter((issue) => issue.param === "imageSize")).toEqual([]);
  });

  it("reads as “Model default” or pixels outside the editor", () => {
    expect(displayParameter("sampler", "imageSize", 0)).toMatchObject({
      text: "Model default",
      heading: "Image size (px)",
    });
    expect(displayParameter("sampler", "imageSize", 256).text).toBe("256");
  });
});

describe("imageSizeIssues (needs the model list)", () => {
  const models = [
    { id: "tiny-shapes-sd", imageSize: FIXED },
    { id: "user:sd15", imageSize: SD15 },
  ];

  it("is an error on the Sampler's Image size naming the sizes the model allows", () => {
    const { doc, samplerId } = exampleWithSampler({ model: "tiny-shapes-sd", imageSize: 128 });
    const issues = imageSizeIssues(doc, models);
    expect(issues).toEqual([
      {
        code: "image-size-unsupported",
        severity: "error",
        blocks: "run",
        nodeId: samplerId,
        param: "imageSize",
        message: expect.stringMatching(
          /^.+ › Image size: 128 px is not possible: this model draws only 64×64 px \(its graphs fix the size\); choose “Model default”\.$/,
        ),
      },
    ]);
  });

  it("accepts allowed sizes and the default, and says nothing about models without a rule", () => {
    expect(imageSizeIssues(exampleWithSampler({ model: "user:sd15", imageSize: 256 }).doc, models)).toEqual(
      [],
    );
    expect(
      imageSizeIssues(exampleWithSampler({ model: "tiny-shapes-sd", imageSize: 0 }).doc, models),
    ).toEqual([]);
    expect(imageSizeIssues(exampleWithSampler({ model: "user:other", imageSize: 256 }).doc, models)).toEqual(
      [],
    );
    expect(
      imageSizeIssues(exampleWithSampler({ model: "user:sd15", imageSize: 320 + 8 }).doc, models),
    ).toHaveLength(1);
  });
});
