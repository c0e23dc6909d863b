import { describe, expect, it } from "vitest";
import { findDangerousKey, parseUntrustedJson, withoutDangerousKeys } from "./parse-untrusted-json";

const limits = {
  maxBytes: 1024 * 1024,
  maxDepth: 64,
  maxBytesVariable: "MAX_IMPORT_BYTES",
  maxDepthVariable: "MAX_JSON_DEPTH",
};

function refusal(text: string, source = "workflow.json", custom = limits) {
  const result = parseUntrustedJson(text, source, custom);
  if (result.ok) throw new Error("expected a refusal");
  return result.problem;
}

describe("parseUntrustedJson", () => {
  it("parses JSON into plain objects", () => {
    expect(
      parseUntrustedJson('{"a": [1, 2.5e3, -0.1, true, null, "x\\u00e9"], "b": {}}', "x", limits),
    ).toEqual({
      ok: true,
      value: { a: [1, 2500, -0.1, true, null, "xé"], b: {} },
    });
  });

  it("accepts a UTF-8 byte-order mark", () => {
    expect(parseUntrustedJson('\uFEFF{"nodes": []}', "workflow.json", limits)).toEqual({
      ok: true,
      value: { nodes: [] },
    });
  });

  it("names line and column of the first error", () => {
    const problem = refusal('{\n  "name": "x",\n  "a": 1 "b": 2\n}');
    expect(problem).toMatchObject({ code: "malformed-json", line: 3, column: 10 });
    expect(problem.message).toBe("workflow.json, line 3, column 10: expected a comma or a closing brace.");
    expect(refusal("[1, 2 3]").message).toBe(
      "workflow.json, line 1, column 7: expected a comma or a closing bracket.",
    );
  });

  it("is strict: no comments, no trailing commas, nothing after the value, no empty text", () => {
    expect(refusal('{"a": 1 // note\n}').message).toBe(
      "workflow.json, line 1, column 9: expected no comments (JSON has none).",
    );
    expect(refusal('{"a": [1, 2,]}').code).toBe("malformed-json");
    expect(refusal('{"a": 1,}').code).toBe("malformed-json");
    expect(refusal("{} x").message).toBe(
      "workflow.json, line 1, column 4: expected the end of the text after the value.",
    );
    expect(refusal("").message).toBe("workflow.json, line 1, column 1: expected a value.");
    expect(refusal("{'a': 1}").code).toBe("malformed-json");
  });

  it("refuses text over the size limit, naming the limit and its variable", () => {
    const problem = refusal(`[${"1,".repeat(700_000)}1]`);
    expect(problem).toMatchObject({ code: "too-large", limit: 1024 * 1024 });
    expect(problem.message).toBe(
      "workflow.json is 1.3 MB; the limit is 1 MB (MAX_IMPORT_BYTES). Is this really a workflow?",
    );
  });

  it("refuses a depth bomb without overflowing the stack", () => {
    const bomb = "[".repeat(200_000) + "]".repeat(200_000);
    const problem = refusal(bomb);
    expect(problem).toMatchObject({ code: "too-deep", line: 1, column: 65, limit: 64 });
    expect(problem.message).toBe(
      "workflow.json, line 1, column 65: the data is nested more than 64 levels deep, the limit (MAX_JSON_DEPTH). A workflow is far flatter; is this really a workflow?",
    );
    expect(parseUntrustedJson("[".repeat(64) + "]".repeat(64), "x", limits).ok).toBe(true);
  });

  it.each(["__proto__", "constructor", "prototype"])("refuses the key %s anywhere", (key) => {
    const problem = refusal(`{\n  "nodes": [{"params": {"${key}": {"polluted": true}}}]\n}`);
    expect(problem).toMatchObject({ code: "dangerous-key", line: 2, column: 25 });
    expect(problem.message).toBe(
      `workflow.json, line 2, column 25: the key “${key}” is not allowed (it could change how the server's objects behave). Rename or remove it.`,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses a dangerous key spelled with a \\u escape, and ignores the words inside text values", () => {
    expect(refusal('{"a": {"\\u0063onstructor": 1}}')).toMatchObject({
      code: "dangerous-key",
      line: 1,
      column: 8,
    });
    expect(parseUntrustedJson('{"prompt": "a \\"constructor\\" of [[[[ shapes"}', "x", limits)).toEqual({
      ok: true,
      value: { prompt: 'a "constructor" of [[[[ shapes' },
    });
    expect(parseUntrustedJson(`{"p": "${"[".repeat(500)}"}`, "x", limits).ok).toBe(true);
  });

  it("finds and strips dangerous keys in parsed values", () => {
    const value = JSON.parse('{"a": [{"b": {"constructor": 1, "c": 2}}]}') as unknown;
    expect(findDangerousKey(value)).toEqual(["a", 0, "b", "constructor"]);
    expect(withoutDangerousKeys(value)).toEqual({ a: [{ b: { c: 2 } }] });
    expect(findDangerousKey({ a: [1, { b: 2 }] })).toBeNull();
  });
});
