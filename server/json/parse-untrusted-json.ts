/**
 * The one parser for JSON text that comes from outside (imported files, PNG-embedded workflows, tRPC bodies,
 * the CLI's --workflow file). jsonc-parser in strict mode (no comments, no trailing commas) gives the line and
 * column of the first error; on top of it: a UTF-8 byte-order mark is accepted, and the size, the nesting
 * depth and keys that can reach an object's prototype (`__proto__`, `constructor`, `prototype`) are refused
 * before any other code sees the value. superjson refuses to serialize such keys, so a value holding one
 * would be stored and then fail every read (issue 9).
 */
import { printParseErrorCode, visit } from "jsonc-parser";

/** Keys that reach or replace an object's prototype in JavaScript. */
export const DANGEROUS_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

export interface UntrustedJsonLimits {
  /** UTF-8 bytes of the text (a byte-order mark included). */
  maxBytes: number;
  /** Nesting of objects and arrays; the top-level value is depth 1. */
  maxDepth: number;
  /** Environment variables that set the limits, named in messages so an operator knows what to change. */
  maxBytesVariable?: string;
  maxDepthVariable?: string;
}

export type UntrustedJsonProblemCode = "too-large" | "too-deep" | "malformed-json" | "dangerous-key";

export interface UntrustedJsonProblem {
  code: UntrustedJsonProblemCode;
  /** A whole sentence for people, starting with the source (“workflow.json, line 3, column 7: …”). */
  message: string;
  /** 1-based, when the problem has a place in the text. */
  line?: number;
  column?: number;
  /** The limit that was exceeded, for too-large and too-deep. */
  limit?: number;
}

export type UntrustedJsonResult = { ok: true; value: unknown } | { ok: false; problem: UntrustedJsonProblem };

const BYTE_ORDER_MARK = "\uFEFF";

/** "1.4 MB" in megabytes of 2^20 bytes, as file pickers show them. */
export function formatMegabytes(bytes: number): string {
  const megabytes = bytes / (1024 * 1024);
  if (megabytes < 0.1) return `${Math.max(1, Math.round(bytes / 1024))} kB`;
  return `${megabytes >= 10 ? Math.round(megabytes) : Math.round(megabytes * 10) / 10} MB`;
}

const EXPECTED_BY_CODE: Partial<Record<ReturnType<typeof printParseErrorCode>, string>> = {
  InvalidSymbol: "a value (an object, a list, text in double quotes, a number, true, false or null)",
  InvalidNumberFormat: "a valid number",
  PropertyNameExpected: "a property name in double quotes",
  ValueExpected: "a value",
  ColonExpected: "a colon after the property name",
  CloseBraceExpected: "a closing brace",
  CloseBracketExpected: "a closing bracket",
  EndOfFileExpected: "the end of the text after the value",
  InvalidCommentToken: "no comments (JSON has none)",
  UnexpectedEndOfComment: "the end of the comment",
  UnexpectedEndOfString: "a closing double quote",
  UnexpectedEndOfNumber: "a digit",
  InvalidUnicode: "four hexadecimal digits after \\u",
  InvalidEscapeCharacter: "a valid escape after a backslash",
  InvalidCharacter: "no control character inside text",
};

function at(source: string, line: number, column: number): string {
  return `${source}, line ${line}, column ${column}`;
}

/**
 * The first place where nesting passes the limit. A plain character loop (strings skipped): jsonc-parser
 * recurses per level, so a depth bomb must be caught before it parses, and this pass costs little.
 */
function findTooDeep(text: string, maxDepth: number): { line: number; column: number } | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22) {
      // Jump to the closing quote: one not preceded by an odd number of backslashes.
      let end = text.indexOf('"', index + 1);
      while (end !== -1) {
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (end === -1) return null; // Unterminated: the parser names the place.
      index = end;
    } else if (code === 0x7b || code === 0x5b) {
      depth++;
      if (depth > maxDepth) return { line, column: index - lineStart + 1 };
    } else if (code === 0x7d || code === 0x5d) depth = Math.max(0, depth - 1);
    else if (code === 0x0a || (code === 0x0d && text.charCodeAt(index + 1) !== 0x0a)) {
      line++;
      lineStart = index + 1;
    }
  }
  return null;
}

type Container =
  | { kind: "object"; value: Record<string, unknown>; key: string | null }
  | { kind: "array"; value: unknown[] };

/**
 * Parses `text` (from `source`, e.g. “workflow.json” or “The request body”) within `limits`. Never throws;
 * every refusal names the place and, for limits, the limit and the variable that sets it.
 */
export function parseUntrustedJson(
  text: string,
  source: string,
  limits: UntrustedJsonLimits,
): UntrustedJsonResult {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > limits.maxBytes) {
    const variable = limits.maxBytesVariable ? ` (${limits.maxBytesVariable})` : "";
    return {
      ok: false,
      problem: {
        code: "too-large",
        limit: limits.maxBytes,
        message: `${source} is ${formatMegabytes(bytes)}; the limit is ${formatMegabytes(limits.maxBytes)}${variable}. Is this really a workflow?`,
      },
    };
  }
  const body = text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;

  const deep = findTooDeep(body, limits.maxDepth);
  if (deep) {
    const variable = limits.maxDepthVariable ? ` (${limits.maxDepthVariable})` : "";
    return {
      ok: false,
      problem: {
        code: "too-deep",
        limit: limits.maxDepth,
        ...deep,
        message: `${at(source, deep.line, deep.column)}: the data is nested more than ${limits.maxDepth} levels deep, the limit${variable}. A workflow is far flatter; is this really a workflow?`,
      },
    };
  }

  // Fast path: the engine's parser (own data properties even for "__proto__"), with a reviver noting whether
  // a dangerous key occurs. Only a refusal pays for the slower walk below, which says where.
  // Without such a word in quotes and without \u escapes (which could spell one), no key can be dangerous.
  const mayHoldDangerousKey = /"(?:__proto__|constructor|prototype)"|\\u/.test(body);
  let dangerous = false;
  try {
    const value: unknown = mayHoldDangerousKey
      ? JSON.parse(body, (key, item: unknown) => {
          if (DANGEROUS_KEYS.has(key)) dangerous = true;
          return item;
        })
      : JSON.parse(body);
    if (!dangerous) return { ok: true, value };
  } catch {
    // Located below.
  }
  return locateProblem(body, source);
}

/** The first problem in document order, with its line and column (jsonc-parser, strict). */
function locateProblem(body: string, source: string): UntrustedJsonResult {
  let problem: UntrustedJsonProblem | null = null;
  const stack: Container[] = [];
  let root: unknown;
  let hasRoot = false;
  const place = (value: unknown) => {
    const top = stack[stack.length - 1];
    if (!top) {
      root = value;
      hasRoot = true;
    } else if (top.kind === "array") top.value.push(value);
    else if (top.key !== null) {
      // Own data property even for odd keys; dangerous keys never get here.
      Object.defineProperty(top.value, top.key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      top.key = null;
    }
  };
  visit(
    body,
    {
      onObjectBegin: () => {
        if (problem) return false;
        const value: Record<string, unknown> = {};
        place(value);
        stack.push({ kind: "object", value, key: null });
      },
      onObjectEnd: () => {
        if (!problem) stack.pop();
      },
      onArrayBegin: () => {
        if (problem) return false;
        const value: unknown[] = [];
        place(value);
        stack.push({ kind: "array", value });
      },
      onArrayEnd: () => {
        if (!problem) stack.pop();
      },
      onObjectProperty: (property, _offset, _length, startLine, startCharacter) => {
        if (problem) return;
        if (DANGEROUS_KEYS.has(property)) {
          const line = startLine + 1;
          const column = startCharacter + 1;
          problem = {
            code: "dangerous-key",
            line,
            column,
            message: `${at(source, line, column)}: the key “${property}” is not allowed (it could change how the server's objects behave). Rename or remove it.`,
          };
          return;
        }
        const top = stack[stack.length - 1];
        if (top?.kind === "object") top.key = property;
      },
      onLiteralValue: (value: unknown) => {
        if (!problem) place(value);
      },
      onError: (error, _offset, _length, startLine, startCharacter) => {
        if (problem) return;
        const line = startLine + 1;
        const column = startCharacter + 1;
        const top = stack[stack.length - 1];
        const name = printParseErrorCode(error);
        const expected =
          name === "CommaExpected"
            ? `a comma or a closing ${top?.kind === "array" ? "bracket" : "brace"}`
            : hasRoot && !top
              ? "the end of the text after the value"
              : name === "InvalidSymbol" && top?.kind === "object" && top.key === null
                ? "a property name in double quotes"
                : (EXPECTED_BY_CODE[name] ?? "valid JSON");
        problem = {
          code: "malformed-json",
          line,
          column,
          message: `${at(source, line, column)}: expected ${expected}.`,
        };
      },
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  if (problem) return { ok: false, problem };
  if (!hasRoot) {
    return {
      ok: false,
      problem: {
        code: "malformed-json",
        line: 1,
        column: 1,
        message: `${at(source, 1, 1)}: expected a value.`,
      },
    };
  }
  // The engine refused what jsonc-parser accepts (not seen in a differential fuzz): no place to name.
  void root;
  return { ok: false, problem: { code: "malformed-json", message: `${source} is not valid JSON.` } };
}

/**
 * The first dangerous key anywhere inside an already-parsed value, as a path, or null. Iterative, so a deep
 * value cannot overflow the stack here.
 */
export function findDangerousKey(value: unknown): (string | number)[] | null {
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (pending.length > 0) {
    const item = pending.pop();
    if (!item || typeof item.value !== "object" || item.value === null) continue;
    if (Array.isArray(item.value)) {
      item.value.forEach((child, index) => {
        pending.push({ value: child, path: [...item.path, index] });
      });
      continue;
    }
    for (const key of Object.keys(item.value)) {
      if (DANGEROUS_KEYS.has(key)) return [...item.path, key];
      pending.push({ value: (item.value as Record<string, unknown>)[key], path: [...item.path, key] });
    }
  }
  return null;
}

/** A copy of `value` without dangerous keys anywhere (for reading rows stored before they were refused). */
export function withoutDangerousKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => withoutDangerousKeys(item)) as T;
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (!DANGEROUS_KEYS.has(key)) out[key] = withoutDangerousKeys(child);
  }
  return out as T;
}
