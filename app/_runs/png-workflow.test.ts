import { describe, expect, it } from "vitest";
import { encodePng } from "@/server/models/image";
import { WORKFLOW_PNG_KEY, readPngTextChunks, workflowTextFromPng } from "./png-workflow";

const image = { width: 2, height: 1, data: new Uint8Array([255, 0, 0, 0, 0, 255]) };

describe("PNG workflow chunks (browser reader vs the server's writer)", () => {
  it("reads back the workflow text written by the server, including non-Latin-1 text", () => {
    const text = JSON.stringify({ name: "Überbright ✨", document: { nodes: [] } });
    const png = new Uint8Array(encodePng(image, { [WORKFLOW_PNG_KEY]: text, other: "x" }));
    expect(readPngTextChunks(png)).toEqual({ [WORKFLOW_PNG_KEY]: text, other: "x" });
    expect(workflowTextFromPng(png)).toEqual({ ok: true, text });
  });

  it("says why when there is no workflow or the file is not a PNG", () => {
    const plain = new Uint8Array(encodePng(image));
    expect(workflowTextFromPng(plain)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/no workflow/),
    });
    expect(workflowTextFromPng(new TextEncoder().encode("GIF89a"))).toMatchObject({
      ok: false,
      message: "This file is not a PNG image.",
    });
  });

  it("keeps a chunk keyword such as __proto__ an ordinary entry", () => {
    const png = new Uint8Array(
      encodePng(image, { ["__proto__"]: '{"polluted": true}', [WORKFLOW_PNG_KEY]: "{}" }),
    );
    const chunks = readPngTextChunks(png);
    expect(Object.keys(chunks).sort()).toEqual(["__proto__", WORKFLOW_PNG_KEY].sort());
    expect(chunks[WORKFLOW_PNG_KEY]).toBe("{}");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
