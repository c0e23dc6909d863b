/**
 * JSON.parse with a usable error: Node 20's messages often omit where the problem is, so on failure a small
 * scanner walks the text with JSON's grammar and reports the line and column of the first bad character.
 */

export interface JsonSyntaxProblem {
  /** 0-based offset into the text. */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based, in characters. */
  column: number;
  /** What the scanner expected at that place, in words. */
  expected: string;
  /** The character found there, or "end of file". */
  found: string;
}

export type JsonTextResult = { ok: true; value: unknown } | { ok: false; problem: JsonSyntaxProblem };

export function parseJsonText(text: string): JsonTextResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, problem: findJsonSyntaxProblem(text) ?? locate(text, 0, "valid JSON") };
  }
}

function locate(text: string, offset: number, expected: string): JsonSyntaxProblem {
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < offset && index < text.length; index++) {
    if (text[index] === "\n") {
      line++;
      lineStart = index + 1;
    }
  }
  const character = text[offset];
  return {
    offset,
    line,
    column: offset - lineStart + 1,
    expected,
    found: character === undefined ? "end of file" : JSON.stringify(character),
  };
}

class ScanFailure {
  constructor(
    readonly offset: number,
    readonly expected: string,
  ) {}
}

/** Returns the first syntax problem, or null when the text is valid JSON. */
export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | null {
  let position = 0;

  const skipWhitespace = () => {
    while (position < text.length && " \t\n\r".includes(text[position] ?? "")) position++;
  };
  const fail = (expected: string): never => {
    throw new ScanFailure(position, expected);
  };
  const expectLiteral = (word: string) => {
    for (const character of word) {
      if (text[position] !== character) fail(`the literal ${word}`);
      position++;
    }
  };
  const scanString = () => {
    position++; // opening quote
    for (;;) {
      const character = text[position];
      if (character === undefined) return fail("a closing quote");
      if (character === '"') {
        position++;
        return;
      }
      if (character === "\\") {
        position++;
        const escaped = text[position];
        if (escaped === "u") {
          position++;
          for (let digit = 0; digit < 4; digit++) {
            if (!/[0-9a-fA-F]/.test(text[position] ?? "")) fail("a hexadecimal digit of a \\u escape");
            position++;
          }
          continue;
        }
        if (escaped === undefined || !'"\\/bfnrt'.includes(escaped)) fail("a valid escape after a backslash");
        position++;
        continue;
      }
      if ((character.codePointAt(0) ?? 0) < 0x20) fail("no control character inside a string");
      position++;
    }
  };
  const scanNumber = () => {
    if (text[position] === "-") position++;
    if (text[position] === "0") position++;
    else if (/[1-9]/.test(text[position] ?? "")) while (/[0-9]/.test(text[position] ?? "")) position++;
    else fail("a digit");
    if (text[position] === ".") {
      position++;
      if (!/[0-9]/.test(text[position] ?? "")) fail("a digit after the decimal point");
      while (/[0-9]/.test(text[position] ?? "")) position++;
    }
    if (text[position] === "e" || text[position] === "E") {
      position++;
      if (text[position] === "+" || text[position] === "-") position++;
      if (!/[0-9]/.test(text[position] ?? "")) fail("a digit in the exponent");
      while (/[0-9]/.test(text[position] ?? "")) position++;
    }
  };
  const scanValue = (depth: number) => {
    if (depth > 10_000) fail("less deeply nested data");
    skipWhitespace();
    const character = text[position];
    if (character === "{") {
      position++;
      skipWhitespace();
      if (text[position] === "}") {
        position++;
        return;
      }
      for (;;) {
        skipWhitespace();
        if (text[position] !== '"') fail("a property name in double quotes");
        scanString();
        skipWhitespace();
        if (text[position] !== ":") fail("a colon after the property name");
        position++;
        scanValue(depth + 1);
        skipWhitespace();
        if (text[position] === ",") {
          position++;
          continue;
        }
        if (text[position] === "}") {
          position++;
          return;
        }
        fail("a comma or a closing brace");
      }
    }
    if (character === "[") {
      position++;
      skipWhitespace();
      if (text[position] === "]") {
        position++;
        return;
      }
      for (;;) {
        scanValue(depth + 1);
        skipWhitespace();
        if (text[position] === ",") {
          position++;
          continue;
        }
        if (text[position] === "]") {
          position++;
          return;
        }
        fail("a comma or a closing bracket");
      }
    }
    if (character === '"') return scanString();
    if (character === "t") return expectLiteral("true");
    if (character === "f") return expectLiteral("false");
    if (character === "n") return expectLiteral("null");
    if (character === "-" || /[0-9]/.test(character ?? "")) return scanNumber();
    fail("a value (object, array, string, number, true, false or null)");
  };

  try {
    scanValue(0);
    skipWhitespace();
    if (position < text.length) fail("the end of the file after the value");
    return null;
  } catch (failure) {
    if (failure instanceof ScanFailure) return locate(text, failure.offset, failure.expected);
    throw failure;
  }
}
