"use client";
/**
 * The React Flow canvas, controlled from the store: nodes and edges are derived from the snapshot, and
 * every React Flow change is translated into a store command (drag → begin/update/end move, selection,
 * measured sizes). Connections go through the registry's rules; a refusal is shown where it was dropped.
 */
import {
  Background,
  BackgroundVariant,
  Controls,
  type EdgeChange,
  type FinalConnectionState,
  MiniMap,
  type NodeChange,
  type NodeTypes,
  ReactFlow,
  useReactFlow,
  useStoreApi,
} from "@xyflow/react";
import { type DragEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { getNodeDefinition } from "@/nodes/registry";
import type { XY } from "../core/types";
import { categoryColor } from "./category-colors";
import { useEditorSelector, useEditorStore } from "./editor-context";
import { estimateFitViewport, FlowMapper, type Measured } from "./flow-mapping";
import { COMPACT_CARD_ZOOM, type CardNode, NodeCard } from "./node-card";

export const PALETTE_DRAG_TYPE = "application/x-dno-node";

const nodeTypes: NodeTypes = { card: NodeCard };
const MIN_ZOOM = 0.08;
const FIT_VIEW_OPTIONS = { maxZoom: 1, padding: 0.15 };

interface RefusedConnection {
  readonly x: number;
  readonly y: number;
  readonly reason: string;
  readonly key: number;
}

function clientPoint(event: MouseEvent | TouchEvent): XY {
  if ("changedTouches" in event) {
    const touch = event.changedTouches[0];
    return { x: touch?.clientX ?? 0, y: touch?.clientY ?? 0 };
  }
  return { x: event.clientX, y: event.clientY };
}

function minimapColor(node: CardNode): string {
  const definition = getNodeDefinition(node.data.node.type);
  return definition ? (definition.color ?? categoryColor(definition.category)) : "#888";
}

export function Canvas(props: { readonly onPaletteDrop: (type: string, position: XY) => void }) {
  const store = useEditorStore();
  const document = useEditorSelector((snapshot) => snapshot.document);
  const selectedNodeIds = useEditorSelector((snapshot) => snapshot.selectedNodeIds);
  const selectedEdgeIds = useEditorSelector((snapshot) => snapshot.selectedEdgeIds);
  const issuesByNode = useEditorSelector((snapshot) => snapshot.issuesByNode);
  const [measured, setMeasured] = useState<ReadonlyMap<string, Measured>>(() => new Map());
  const mapper = useRef(new FlowMapper());
  const { screenToFlowPosition } = useReactFlow();
  const flowStore = useStoreApi<CardNode>();
  const [refused, setRefused] = useState<RefusedConnection | null>(null);
  const { onPaletteDrop } = props;

  const nodes = useMemo(
    () => mapper.current.nodes(document, selectedNodeIds, issuesByNode, measured, true),
    [document, selectedNodeIds, issuesByNode, measured],
  );
  const edges = useMemo(() => mapper.current.edges(document, selectedEdgeIds), [document, selectedEdgeIds]);

  useEffect(() => {
    if (!refused) return;
    const timer = setTimeout(() => setRefused(null), 6000);
    return () => clearTimeout(timer);
  }, [refused]);

  const onNodesChange = useCallback(
    (changes: NodeChange<CardNode>[]) => {
      const positions = new Map<string, XY>();
      let dragEnded = false;
      let sizes: Map<string, Measured> | null = null;
      let selection: Set<string> | null = null;
      for (const change of changes) {
        if (change.type === "position") {
          if (change.position) positions.set(change.id, change.position);
          if (change.dragging !== true) dragEnded = true;
        } else if (change.type === "dimensions") {
          if (change.dimensions) {
            sizes ??= new Map();
            sizes.set(change.id, { width: change.dimensions.width, height: change.dimensions.height });
          }
        } else if (change.type === "select") {
          selection ??= new Set(store.getSnapshot().selectedNodeIds);
          if (change.selected) selection.add(change.id);
          else selection.delete(change.id);
        }
      }
      if (positions.size > 0) store.updateMove(positions);
      if (dragEnded) store.endMove();
      if (sizes) {
        const updates = sizes;
        // Zoomed out, cards draw compact (title and ports only): those heights are not the cards' real size,
        // and placement and Tidy up given them would stack full cards on each other once zoomed back in.
        if (flowStore.getState().transform[2] >= COMPACT_CARD_ZOOM) store.recordNodeSizes(updates);
        setMeasured((previous) => {
          const next = new Map(previous);
          for (const [id, size] of updates) {
            const old = previous.get(id);
            if (!old || old.width !== size.width || old.height !== size.height) next.set(id, size);
          }
          return next;
        });
      }
      if (selection) store.select({ nodes: selection, edges: store.getSnapshot().selectedEdgeIds });
    },
    [store, flowStore],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      let selection: Set<string> | null = null;
      for (const change of changes) {
        if (change.type !== "select") continue;
        selection ??= new Set(store.getSnapshot().selectedEdgeIds);
        if (change.selected) selection.add(change.id);
        else selection.delete(change.id);
      }
      if (selection) store.select({ nodes: store.getSnapshot().selectedNodeIds, edges: selection });
    },
    [store],
  );

  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      const from = state.fromHandle;
      const to = state.toHandle;
      if (!from || !to || !from.id || !to.id) return;
      const point = clientPoint(event);
      if (from.type === to.type) {
        const reason =
          from.type === "source"
            ? "Both ends are outputs. Drag from an output (right side) to an input (left side)."
            : "Both ends are inputs. Drag from an output (right side) to an input (left side).";
        setRefused({ ...point, reason, key: Date.now() });
        return;
      }
      const [source, target] = from.type === "source" ? [from, to] : [to, from];
      const result = store.connect({
        source: source.nodeId,
        sourcePort: source.id ?? "",
        target: target.nodeId,
        targetPort: target.id ?? "",
      });
      if (!result.ok) setRefused({ ...point, reason: result.reason, key: Date.now() });
      else setRefused(null);
    },
    [store],
  );

  const onDragOver = useCallback((event: DragEvent) => {
    if (event.dataTransfer.types.includes(PALETTE_DRAG_TYPE)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    }
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(PALETTE_DRAG_TYPE);
      if (!type) return;
      event.preventDefault();
      onPaletteDrop(type, screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [onPaletteDrop, screenToFlowPosition],
  );

  const onMoveEnd = useCallback(
    (_event: unknown, viewport: { x: number; y: number; zoom: number }) => store.setViewport(viewport),
    [store],
  );
  const onPaneClick = useCallback(() => setRefused(null), []);

  // Decided once at mount: a saved viewport is restored, otherwise a non-empty graph is fitted. (A prop that
  // flips later would make React Flow re-fit when the first node appears.)
  const fitOnOpen = useRef(!document.viewport && document.nodes.length > 0);
  const initialViewport = useRef(
    document.viewport ??
      estimateFitViewport(
        document,
        // The pane is not laid out yet: the window minus the side panels and the header is close enough.
        typeof window === "undefined"
          ? { width: 1000, height: 800 }
          : { width: Math.max(300, window.innerWidth - 570), height: Math.max(300, window.innerHeight - 48) },
        { ...FIT_VIEW_OPTIONS, minZoom: MIN_ZOOM },
      ),
  );

  return (
    <div className="canvas-wrap" data-testid="canvas">
      <ReactFlow<CardNode>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnectEnd={onConnectEnd}
        onDragOver={onDragOver}
        onDrop={onDrop}
        onMoveEnd={onMoveEnd}
        onPaneClick={onPaneClick}
        defaultViewport={initialViewport.current}
        fitView={fitOnOpen.current}
        fitViewOptions={FIT_VIEW_OPTIONS}
        minZoom={MIN_ZOOM}
        maxZoom={2}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Shift", "Meta", "Control"]}
        onlyRenderVisibleElements
        elevateNodesOnSelect
        colorMode="dark"
        proOptions={{ hideAttribution: true }}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1} color="#2c3340" />
        <MiniMap<CardNode> pannable zoomable nodeColor={minimapColor} data-testid="canvas.minimap" />
        <Controls showInteractive={false} />
      </ReactFlow>
      {document.nodes.length === 0 ? (
        <div className="canvas-empty">
          <p>Drag a node from the palette, or click it to add it here.</p>
          <p>Start with a Prompt and a Noise node, then a Sampler.</p>
        </div>
      ) : null}
      {refused ? (
        <div
          key={refused.key}
          className="connection-toast"
          role="alert"
          data-testid="canvas.connection-refused"
          style={{ left: refused.x, top: refused.y }}
        >
          <strong>Can't connect</strong>
          {refused.reason}
        </div>
      ) : null}
    </div>
  );
}
