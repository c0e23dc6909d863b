import { describe, expect, it } from "vitest";
import { findJsonSyntaxProblem, parseJsonText } from "./json-text";

describe("parseJsonText", () => {
  it("parses valid JSON", () => {
    expect(parseJsonText('{"a": [1, 2.5e3, -0.1, true, null, "x\\u00e9"]}')).toEqual({
      ok: true,
      value: { a: [1, 2500, -0.1, true, null, "xé"] },
    });
  });

  it("locates a missing value on the right line and column", () => {
    const text = '{\n  "name": "x",\n  "nodes": [1, 2,]\n}';
    const result = parseJsonText(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem).toMatchObject({ line: 3, column: 18, found: '"]"' });
    expect(result.problem.expected).toContain("a value");
  });

  it("reports a truncated file at its end", () => {
    const problem = findJsonSyntaxProblem('{"a": "unterminated');
    expect(problem).toMatchObject({ line: 1, column: 20, found: "end of file", expected: "a closing quote" });
  });

  it("reports text after the value and a single-quoted key", () => {
    expect(findJsonSyntaxProblem("{} x")).toMatchObject({
      column: 4,
      expected: "the end of the file after the value",
    });
    expect(findJsonSyntaxProblem("{'a': 1}")).toMatchObject({
      column: 2,
      expected: "a property name in double quotes",
    });
  });

  it("agrees with JSON.parse on what is valid", () => {
    const samples = [
      "1",
      "-0",
      "01",
      "1.",
      "[1,]",
      '"\\x"',
      '"a\tb"',
      "[[[]]]",
      "{ }",
      "tru",
      "nul",
      "1e+",
      '{"a":1}',
    ];
    for (const sample of samples) {
      let valid = true;
      try {
        JSON.parse(sample);
      } catch {
        valid = false;
      }
      expect(findJsonSyntaxProblem(sample) === null, sample).toBe(valid);
    }
  });
});
