/**
 * `npm run dno` on bad input prints one clear sentence and exits with a usage code: no stack trace, no
 * JavaScript internals. Spawns the real CLI (tsx scripts/dno.ts) as a user would run it.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { outDirFailureMessage } from "@/server/cli/cli-errors";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-cli-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const tsx = path.join(process.cwd(), "node_modules", ".bin", "tsx");
  const result = spawnSync(tsx, ["scripts/dno.ts", ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

function writeFile(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function expectNoInternals(output: string): void {
  expect(output).not.toMatch(/\n\s+at |Maximum call stack|Cannot destructure|node:internal|\.ts:\d+/);
}

describe("dno CLI errors", () => {
  it("refuses a deeply nested file with the limit, without a stack trace", () => {
    const file = writeFile("deep.json", `{"nodes": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
    const { status, stderr } = runCli(["--workflow", file]);
    expect(status).toBe(2);
    expect(stderr.trim()).toBe(
      "dno: deep.json, line 1, column 74: the data is nested more than 64 levels deep, the limit (MAX_JSON_DEPTH). A workflow is far flatter; is this really a workflow?",
    );
    expectNoInternals(stderr);
  });

  it("names line and column of malformed JSON, and dangerous keys", () => {
    const broken = runCli(["--workflow", writeFile("broken.json", '{\n  "nodes": []\n  "edges": []\n}')]);
    expect(broken.status).toBe(2);
    expect(broken.stderr.trim()).toBe(
      "dno: broken.json, line 3, column 3: expected a comma or a closing brace.",
    );
    const polluted = runCli([
      "--workflow",
      writeFile("polluted.json", '{"nodes": [], "__proto__": {"x": 1}}'),
    ]);
    expect(polluted.status).toBe(2);
    expect(polluted.stderr.trim()).toBe(
      "dno: polluted.json, line 1, column 15: the key “__proto__” is not allowed (it could change how the server's objects behave). Rename or remove it.",
    );
  });

  it("says in words when --out cannot be written, before running anything", () => {
    const example = exampleWorkflows[1];
    if (!example) throw new Error("no examples");
    const workflow = writeFile("ok.json", JSON.stringify(example.document));
    const blocker = writeFile("a-file", "not a folder");
    const out = path.join(blocker, "results");
    const { status, stderr, stdout } = runCli(["--workflow", workflow, "--out", out]);
    expect(status).toBe(2);
    expect(stderr.trim()).toBe(
      `dno: Cannot write to --out ${out}: part of that path is a file, not a folder. Choose a folder you can write to.`,
    );
    expect(stdout).not.toContain("iter");
    expectNoInternals(stderr);
  });

  it("words a permission error as people read it", () => {
    const error = Object.assign(new Error("EACCES: permission denied, mkdir '/srv/x'"), { code: "EACCES" });
    expect(outDirFailureMessage("/srv/x", error)).toBe(
      "Cannot write to --out /srv/x: permission denied. Choose a folder you can write to.",
    );
  });
});
