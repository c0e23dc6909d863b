import { describe, expect, it } from "vitest";
import { sanitizeErrorMessage } from "./sanitize-message";

describe("sanitizeErrorMessage", () => {
  it("keeps only the file name of absolute paths", () => {
    expect(
      sanitizeErrorMessage(
        "ENOENT: no such file or directory, open '/work/main/models/tiny/unet/model.onnx'",
      ),
    ).toBe("ENOENT: no such file or directory, open 'model.onnx'");
    expect(sanitizeErrorMessage("cannot read C:\\Users\\me\\model.onnx now")).toBe(
      "cannot read model.onnx now",
    );
    expect(sanitizeErrorMessage("at file:///srv/app/x.js")).toBe("at x.js");
  });

  it("removes ONNX Runtime source locations and C++ signatures", () => {
    const raw =
      "[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Got invalid dimensions for input: image for the following indices index: 2 Got: 32 Expected: 64 Status Message: /onnxruntime_src/onnxruntime/core/framework/op_kernel.cc:83 virtual OrtValue* onnxruntime::OpKernelContext::OutputMT(int, const onnxruntime::TensorShape&) shape.Size() must >=0";
    const clean = sanitizeErrorMessage(raw);
    expect(clean).not.toMatch(/onnxruntime_src|op_kernel\.cc|OpKernelContext/);
    expect(clean).toContain("Got invalid dimensions for input: image");
    expect(clean).toContain("shape.Size() must >=0");
  });

  it("drops stack frames and bounds the length", () => {
    expect(
      sanitizeErrorMessage("Boom\n    at run (/work/main/server/x.ts:1:2)\n    at next (node:internal)"),
    ).toBe("Boom");
    expect(sanitizeErrorMessage("x".repeat(2000))).toHaveLength(600);
  });
});
