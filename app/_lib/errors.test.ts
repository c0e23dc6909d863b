import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { describeError } from "./errors";

describe("describeError", () => {
  it("shows a plain-text refusal (no tRPC JSON) as a sentence, not a parse error", () => {
    const error = new TRPCClientError<never>("Unexpected token 'T', \"The reques\"... is not valid JSON", {
      meta: { response: new Response("too big", { status: 413 }) },
    });
    expect(describeError(error)).toBe(
      "The request is larger than the server accepts. Send less data (a smaller file).",
    );
  });

  it("shows the server's message followed by the issues it does not already contain", () => {
    const error = TRPCClientError.from({
      error: {
        message: "Workflow “x” cannot be created: 2 problems.",
        code: -32600,
        data: {
          code: "BAD_REQUEST",
          httpStatus: 400,
          appCode: "VALIDATION",
          issues: [
            { message: "Sampler 1 › Steps must be between 1 and 1000; got 5000" },
            { message: "Noise 1 › Seed must be a whole number; got 1.5." },
          ],
          details: {},
        },
      },
    });
    expect(describeError(error)).toBe(
      "Workflow “x” cannot be created: 2 problems.\n• Sampler 1 › Steps must be between 1 and 1000; got 5000.\n• Noise 1 › Seed must be a whole number; got 1.5.",
    );
  });
});
