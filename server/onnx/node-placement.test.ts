import { describe, expect, it } from "vitest";
import { parseNodePlacement, summarizeOps } from "./node-placement";

// Lines as ONNX Runtime 1.30 writes them with the verbose log on (prefixes shortened).
const log = `
2026-11-30 13:07:39.480434130 [I:onnxruntime:, webgpu_execution_provider.cc:665 GetCapability] webgpu kernel not found in registries for Op type: Cast node name: /Cast
2026-11-30 13:07:39.480434130 [I:onnxruntime:, webgpu_execution_provider.cc:665 GetCapability] webgpu kernel not found in registries for Op type: Cast node name: /Cast
2026-11-30 13:07:39.480732329 [I:onnxruntime:, webgpu_execution_provider.cc:665 GetCapability] webgpu kernel not found in registries for Op type: Gather node name: /attn/Gather_3
2026-11-30 13:07:31.534700000 [V:onnxruntime:, session_state.cc:1377 VerifyEachNodeIsAssignedToAnEp] Node placements
2026-11-30 13:07:31.534700001 [V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 3
2026-11-30 13:07:31.534700002 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Conv (/conv)
2026-11-30 13:07:31.534700003 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   QuickGelu (/Mul_1/QuickGeluFusion/)
2026-11-30 13:07:31.534700004 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   MemcpyFromHost (Memcpy)
2026-11-30 13:07:31.534713353 [V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 3
2026-11-30 13:07:31.534719194 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Cast (/Cast)
2026-11-30 13:07:31.534725225 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Unsqueeze (/attn/Unsqueeze_2)
2026-11-30 13:07:31.534725226 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Unsqueeze (/attn/Unsqueeze_3)
2026-11-30 13:07:31.534800306 [I:onnxruntime:, inference_session.cc:2700 Initialize] Session successfully initialized.
`;

describe("node placement from ONNX Runtime's verbose log", () => {
  it("lists the nodes left on the CPU and which of them have no kernel on the provider", () => {
    const placement = parseNodePlacement(log);
    expect(placement.counts).toEqual({ WebGpuExecutionProvider: 3, CPUExecutionProvider: 3 });
    expect(placement.onCpu.map((node) => node.name)).toEqual([
      "/Cast",
      "/attn/Unsqueeze_2",
      "/attn/Unsqueeze_3",
    ]);
    // Gather_3 was reported before fusion but did not end on the CPU: only nodes that did are listed.
    expect(placement.noKernel).toEqual([{ op: "Cast", name: "/Cast" }]);
    expect(summarizeOps(placement.onCpu)).toBe("Unsqueeze ×2, Cast");
    expect(placement.copies).toEqual({ toDevice: 1, toHost: 0 });
  });

  it("a model that runs entirely on one provider", () => {
    const placement = parseNodePlacement(
      "[V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]  All nodes placed on [WebGpuExecutionProvider]. Number of nodes: 53\n",
    );
    expect(placement).toEqual({
      counts: { WebGpuExecutionProvider: 53 },
      onCpu: [],
      noKernel: [],
      copies: { toDevice: 0, toHost: 0 },
    });
  });
});
