"use client";
/** Every validation issue of the graph; clicking one selects its node and brings it into view. */
import { useReactFlow } from "@xyflow/react";
import { useCallback } from "react";
import { getNodeDefinition } from "@/nodes/registry";
import { useEditorSelector, useEditorStore } from "./editor-context";

export function useFocusNode(): (nodeId: string) => void {
  const store = useEditorStore();
  const flow = useReactFlow();
  return useCallback(
    (nodeId: string) => {
      const node = store.getNode(nodeId);
      if (!node) return;
      store.select({ nodes: [nodeId] });
      const internal = flow.getInternalNode(nodeId);
      const width = internal?.measured.width ?? 280;
      const height = internal?.measured.height ?? 200;
      void flow.setCenter(node.position.x + width / 2, node.position.y + height / 2, {
        zoom: Math.max(flow.getZoom(), 0.9),
        duration: 250,
      });
    },
    [store, flow],
  );
}

export function IssuesPanel() {
  // Only the issues: reading the document here would re-render the list on every drag frame. Issues are
  // recomputed whenever anything but positions changes (labels included), so names below stay current.
  const issues = useEditorSelector((snapshot) => snapshot.issues);
  const store = useEditorStore();
  const focusNode = useFocusNode();
  if (issues.length === 0) {
    return (
      <div className="panel-ok" data-testid="issues.none">
        ✓ No problems found. The workflow is ready to run.
      </div>
    );
  }
  return (
    <div data-testid="issues.list">
      {issues.map((issue, index) => {
        const node = issue.nodeId ? store.getNode(issue.nodeId) : undefined;
        const title = node ? (node.label ?? getNodeDefinition(node.type)?.title ?? node.type) : "Whole graph";
        return (
          <button
            // biome-ignore lint/suspicious/noArrayIndexKey: issues have no id; their order is stable per graph
            key={index}
            type="button"
            className={`issue-item ${issue.severity}`}
            data-testid={`issues.item.${index}`}
            data-node-id={issue.nodeId}
            onClick={() => {
              if (issue.nodeId) focusNode(issue.nodeId);
            }}
          >
            <div className="issue-where">
              {issue.severity === "error" ? "Error" : "Warning"} · {title}
              {issue.param ? ` · ${issue.param}` : ""}
              {issue.port ? ` · port ${issue.port}` : ""}
            </div>
            {issue.message}
          </button>
        );
      })}
    </div>
  );
}
