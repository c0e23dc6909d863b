import { describe, expect, it } from "vitest";
import { readableImportDescription, runImageDescription, uniqueImportName } from "./import-names";
import { MAX_WORKFLOW_NAME_LENGTH } from "./workflow-file";

describe("uniqueImportName", () => {
  it("keeps a free name and numbers a taken one from 2", () => {
    expect(uniqueImportName("Brighten", [])).toBe("Brighten");
    expect(uniqueImportName("Brighten", ["Brighten"])).toBe("Brighten (imported 2)");
    expect(uniqueImportName("Brighten", ["Brighten", "Brighten (imported 2)"])).toBe("Brighten (imported 3)");
    // The first free number, even when a later one exists.
    expect(uniqueImportName("Brighten", ["Brighten", "Brighten (imported 3)"])).toBe("Brighten (imported 2)");
  });

  it("counts on from a name that already carries the suffix", () => {
    expect(uniqueImportName("Brighten (imported 2)", ["Brighten", "Brighten (imported 2)"])).toBe(
      "Brighten (imported 3)",
    );
  });

  it("shortens a long name so the suffix still fits", () => {
    const long = "x".repeat(MAX_WORKFLOW_NAME_LENGTH);
    const name = uniqueImportName(long, [long]);
    expect(name.length).toBe(MAX_WORKFLOW_NAME_LENGTH);
    expect(name.endsWith(" (imported 2)")).toBe(true);
  });
});

describe("descriptions", () => {
  it("describes a run image by workflow, version, step and date, without ids", () => {
    expect(
      runImageDescription({
        workflowName: "Brighten with a guard",
        versionNumber: 3,
        iteration: 12,
        runCreatedAt: new Date("2026-11-30T10:00:00Z"),
      }),
    ).toBe(
      "Opened from an image saved at iteration 12 of a run of “Brighten with a guard” (version 3) on 30 Nov 2026.",
    );
    expect(
      runImageDescription({
        workflowName: "W",
        versionNumber: 1,
        iteration: null,
        runCreatedAt: new Date(0),
      }),
    ).toContain("saved at the start of");
  });

  it("rewrites the old id-bearing description and leaves others alone", () => {
    expect(readableImportDescription("From run cmx31arac0001abcd, iteration 7.", "Brighten")).toBe(
      "Opened from an image saved at iteration 7 of a run of “Brighten”.",
    );
    expect(readableImportDescription("there and back", "Brighten")).toBe("there and back");
  });
});
