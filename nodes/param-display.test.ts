import { describe, expect, it } from "vitest";
import { describeParameter, displayParameter, parameterValueText } from "./param-display";

describe("parameters as the editor shows them", () => {
  it("uses the declaration's label, not the key", () => {
    expect(displayParameter("optimizer", "learningRate", 0.02)).toMatchObject({
      label: "Learning rate",
      text: "0.02",
    });
    expect(describeParameter("optimizer", "iterations").label).toBe("Iterations");
  });

  it("shows a select's option label, not its stored id", () => {
    expect(displayParameter("noise", "optimize", "initial-and-steps").text).toBe(
      "Initial and per-step noise",
    );
    expect(displayParameter("optimizer", "algorithm", "adam").text).toBe("Adam");
  });

  it("shows lists as the list field does and booleans as on/off", () => {
    expect(displayParameter("optimizer", "betas", [0.9, 0.999]).text).toBe("0.9, 0.999");
    expect(parameterValueText(true, undefined)).toBe("on");
    expect(parameterValueText(false, undefined)).toBe("off");
    expect(parameterValueText([], undefined)).toBe("(none)");
  });

  it("never cuts long text, and rounds floating-point noise", () => {
    const long = "a red circle on a blue background, drawn large and centred in the picture".repeat(3);
    expect(parameterValueText(long, undefined)).toBe(long);
    expect(parameterValueText(0.1 + 0.2, undefined)).toBe("0.3");
  });

  it("puts the unit next to the label, and falls back to the key for unknown types and keys", () => {
    expect(describeParameter("guard", "patience")).toMatchObject({
      label: "Patience",
      unit: "iterations",
      heading: "Patience (iterations)",
    });
    expect(displayParameter("no-such-type", "gamma", 1)).toMatchObject({ label: "gamma", text: "1" });
    expect(displayParameter("optimizer", "notDeclared", "x")).toMatchObject({
      label: "notDeclared",
      text: "x",
    });
    expect(parameterValueText(undefined, undefined)).toBe("(not set)");
  });
});
