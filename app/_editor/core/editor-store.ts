/**
 * The editor's headless core: the graph document, selection, clipboard and undo history, plus the
 * commands that change them. Plain TypeScript with no React, so every command is unit-tested without a
 * browser; the React layer subscribes through `subscribe`/`getSnapshot` (`useSyncExternalStore`) and only
 * draws the snapshot and dispatches commands.
 *
 * History stores whole immutable documents (before/after). Documents share structure between steps (only
 * the changed nodes are new objects), so a step costs a few arrays, and undo is a reference swap — which
 * also makes "undo back to the saved document" clean again by identity.
 */
import type { ConnectionRequest, GraphKit } from "./graph-kit";
import {
  boundingBox,
  DEFAULT_NODE_SIZE,
  findFreeSpot,
  PLACEMENT_GAP,
  type Rect,
  type Size,
} from "./placement";
import type { GraphDocument, GraphEdge, GraphIssue, GraphNode, XY } from "./types";

export type Viewport = { x: number; y: number; zoom: number };

export interface EditorSnapshot {
  readonly document: GraphDocument;
  readonly selectedNodeIds: ReadonlySet<string>;
  readonly selectedEdgeIds: ReadonlySet<string>;
  /** Every validation issue of the current document (recomputed only when more than positions change). */
  readonly issues: readonly GraphIssue[];
  readonly issuesByNode: ReadonlyMap<string, readonly GraphIssue[]>;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  /** The document differs from the last saved (or loaded) version. */
  readonly dirty: boolean;
  readonly savedVersionId: string | null;
  readonly clipboardSize: number;
}

export type ConnectResult = { ok: true; edgeId: string } | { ok: false; reason: string };

export interface EditorStoreOptions {
  readonly kit: GraphKit;
  readonly document: GraphDocument;
  readonly savedVersionId?: string | null;
  /** Clock for grouping typing bursts; tests pass a fake one. */
  readonly now?: () => number;
  /** Id factory; ids must be unique within the document (the store retries on a clash). */
  readonly createId?: (prefix: string) => string;
  /** Consecutive edits of the same field closer than this are one undo step. */
  readonly coalesceMs?: number;
  readonly historyLimit?: number;
  /** Where each paste starts looking for free space: this far below-right of the copied cards, per paste. */
  readonly pasteOffset?: number;
}

interface HistoryEntry {
  readonly label: string;
  readonly before: GraphDocument;
  after: GraphDocument;
  /** Entries with the same key may merge (a typing burst on one field). */
  readonly coalesceKey: string | null;
  at: number;
  /** Once another command ran, this entry no longer absorbs edits. */
  sealed: boolean;
}

interface Clipboard {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

const EMPTY_SET: ReadonlySet<string> = new Set();

/** "sampler-4" after "sampler-3": readable ids that also make stable test ids. */
function nextReadableId(prefix: string, taken: ReadonlySet<string>): string {
  const start = `${prefix}-`;
  let largest = 0;
  for (const id of taken) {
    if (!id.startsWith(start)) continue;
    const n = Number(id.slice(start.length));
    if (Number.isInteger(n) && n > largest) largest = n;
  }
  return `${start}${largest + 1}`;
}

export class EditorStore {
  private readonly kit: GraphKit;
  private readonly now: () => number;
  private readonly createIdRaw: ((prefix: string) => string) | undefined;
  private readonly coalesceMs: number;
  private readonly historyLimit: number;
  private readonly pasteOffset: number;

  private document: GraphDocument;
  private savedDocument: GraphDocument;
  private savedVersionId: string | null;
  private viewport: Viewport | undefined;
  private selectedNodeIds: ReadonlySet<string> = EMPTY_SET;
  private selectedEdgeIds: ReadonlySet<string> = EMPTY_SET;
  private undoStack: HistoryEntry[] = [];
  private redoStack: HistoryEntry[] = [];
  private clipboard: Clipboard | null = null;
  private pasteCount = 0;
  /** Card sizes the canvas measured; placement falls back to DEFAULT_NODE_SIZE for the rest. */
  private readonly nodeSizes = new Map<string, Size>();
  /** The largest size measured per node type: the guess for a card of that type never measured. */
  private readonly typeSizes = new Map<string, Size>();
  private moveStart: GraphDocument | null = null;

  private issues: readonly GraphIssue[] = [];
  private issuesByNode: ReadonlyMap<string, readonly GraphIssue[]> = new Map();
  /** The document the cached issues were computed for, modulo node positions. */
  private issuesDocument: GraphDocument | null = null;
  /** Checks that need data from outside the document (the server's model list); empty until set. */
  private extraValidation: ((doc: GraphDocument) => readonly GraphIssue[]) | null = null;
  private dirtyFor: { document: GraphDocument; saved: GraphDocument; dirty: boolean } | null = null;

  private snapshot: EditorSnapshot;
  private readonly listeners = new Set<() => void>();

  constructor(options: EditorStoreOptions) {
    this.kit = options.kit;
    this.now = options.now ?? (() => Date.now());
    this.createIdRaw = options.createId;
    this.coalesceMs = options.coalesceMs ?? 800;
    this.historyLimit = options.historyLimit ?? 200;
    this.pasteOffset = options.pasteOffset ?? 40;
    this.document = options.document;
    this.savedDocument = options.document;
    this.savedVersionId = options.savedVersionId ?? null;
    this.viewport = options.document.viewport;
    this.snapshot = this.buildSnapshot(false);
  }

  // ---- subscription (useSyncExternalStore) -------------------------------------------------------------

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  getSnapshot = (): EditorSnapshot => this.snapshot;

  private emit(positionsOnly = false): void {
    this.snapshot = this.buildSnapshot(positionsOnly);
    for (const listener of this.listeners) listener();
  }

  private buildSnapshot(positionsOnly: boolean): EditorSnapshot {
    if (!positionsOnly || this.issuesDocument === null) this.refreshIssues();
    return {
      document: this.document,
      selectedNodeIds: this.selectedNodeIds,
      selectedEdgeIds: this.selectedEdgeIds,
      issues: this.issues,
      issuesByNode: this.issuesByNode,
      canUndo: this.undoStack.length > 0 || this.moveStart !== null,
      canRedo: this.redoStack.length > 0,
      dirty: this.isDirty(),
      savedVersionId: this.savedVersionId,
      clipboardSize: this.clipboard?.nodes.length ?? 0,
    };
  }

  private refreshIssues(): void {
    if (this.issuesDocument === this.document) return;
    if (this.issuesDocument !== null && sameExceptPositions(this.issuesDocument, this.document)) {
      this.issuesDocument = this.document;
      return;
    }
    const issues = [
      ...this.kit.validateGraph(this.document),
      ...(this.extraValidation?.(this.document) ?? []),
    ];
    const byNode = new Map<string, GraphIssue[]>();
    for (const issue of issues) {
      if (issue.nodeId === undefined) continue;
      const list = byNode.get(issue.nodeId);
      if (list) list.push(issue);
      else byNode.set(issue.nodeId, [issue]);
    }
    this.issues = issues;
    this.issuesByNode = byNode;
    this.issuesDocument = this.document;
  }

  private isDirty(): boolean {
    const cached = this.dirtyFor;
    if (cached && cached.document === this.document && cached.saved === this.savedDocument)
      return cached.dirty;
    const dirty = this.document !== this.savedDocument && !documentsEqual(this.document, this.savedDocument);
    this.dirtyFor = { document: this.document, saved: this.savedDocument, dirty };
    return dirty;
  }

  /**
   * Adds checks that need outside data (e.g. prompt words against the model list once it has arrived) to
   * the document's validation; null removes them. Issues are recomputed at once.
   */
  setExtraValidation(validate: ((doc: GraphDocument) => readonly GraphIssue[]) | null): void {
    this.extraValidation = validate;
    this.issuesDocument = null;
    this.emit();
  }

  // ---- reading -------------------------------------------------------------------------------------------

  /** The document to save: the graph plus the current viewport (which is not an undoable edit). */
  getDocumentForSave(): GraphDocument {
    return this.viewport ? { ...this.document, viewport: this.viewport } : this.document;
  }

  getNode(id: string): GraphNode | undefined {
    return this.document.nodes.find((node) => node.id === id);
  }

  // ---- loading and saving ----------------------------------------------------------------------------------

  /** Replaces everything (a freshly opened version): history and selection are cleared, and it is clean. */
  load(document: GraphDocument, savedVersionId: string | null): void {
    this.endMove();
    this.document = document;
    this.savedDocument = document;
    this.savedVersionId = savedVersionId;
    this.viewport = document.viewport;
    this.undoStack = [];
    this.redoStack = [];
    this.selectedNodeIds = EMPTY_SET;
    this.selectedEdgeIds = EMPTY_SET;
    this.emit();
  }

  /**
   * Records that `savedDocument` (default: the current document) is now stored as `versionId`. Pass the
   * document that was actually sent: edits made while the save was in flight stay dirty.
   */
  markSaved(versionId: string, savedDocument: GraphDocument = this.document): void {
    this.savedDocument = savedDocument;
    this.savedVersionId = versionId;
    this.sealHistory();
    this.emit();
  }

  setViewport(viewport: Viewport): void {
    this.viewport = viewport;
  }

  // ---- history -----------------------------------------------------------------------------------------------

  private commit(label: string, next: GraphDocument, coalesceKey: string | null = null): void {
    this.endMove();
    if (next === this.document) return;
    const now = this.now();
    const top = this.undoStack[this.undoStack.length - 1];
    if (
      coalesceKey !== null &&
      top !== undefined &&
      !top.sealed &&
      top.coalesceKey === coalesceKey &&
      now - top.at <= this.coalesceMs
    ) {
      top.after = next;
      top.at = now;
    } else {
      if (top) top.sealed = true;
      this.undoStack.push({ label, before: this.document, after: next, coalesceKey, at: now, sealed: false });
      if (this.undoStack.length > this.historyLimit) this.undoStack.shift();
    }
    this.redoStack = [];
    this.document = next;
    this.pruneSelection();
    this.emit();
  }

  /** Ends a typing burst now (e.g. when a field loses focus). */
  sealHistory(): void {
    const top = this.undoStack[this.undoStack.length - 1];
    if (top) top.sealed = true;
  }

  undo(): boolean {
    this.endMove();
    const entry = this.undoStack.pop();
    if (!entry) return false;
    entry.sealed = true;
    this.redoStack.push(entry);
    this.document = entry.before;
    this.pruneSelection();
    this.emit();
    return true;
  }

  redo(): boolean {
    this.endMove();
    const entry = this.redoStack.pop();
    if (!entry) return false;
    this.undoStack.push(entry);
    this.document = entry.after;
    this.pruneSelection();
    this.emit();
    return true;
  }

  /** Labels of the undoable steps, oldest first (for tests and a future history panel). */
  historyLabels(): string[] {
    return this.undoStack.map((entry) => entry.label);
  }

  // ---- ids ---------------------------------------------------------------------------------------------------

  private uniqueId(prefix: string, taken: ReadonlySet<string>): string {
    if (!this.createIdRaw) return nextReadableId(prefix, taken);
    for (let attempt = 0; attempt < 100; attempt++) {
      const id = this.createIdRaw(prefix);
      if (!taken.has(id)) return id;
    }
    throw new Error(`EditorStore: could not create a unique id with prefix "${prefix}" after 100 attempts.`);
  }

  private takenIds(): Set<string> {
    const taken = new Set<string>();
    for (const node of this.document.nodes) taken.add(node.id);
    for (const edge of this.document.edges) taken.add(edge.id);
    return taken;
  }

  // ---- commands ------------------------------------------------------------------------------------------------

  /**
   * Sizes the canvas measured, so placement and Tidy up keep real cards apart. Not part of the document or
   * history. Only full-detail sizes belong here: the canvas leaves out cards drawn compact (zoomed out).
   */
  recordNodeSizes(sizes: ReadonlyMap<string, Size>): void {
    for (const [id, size] of sizes) {
      this.nodeSizes.set(id, { width: size.width, height: size.height });
      const type = this.getNode(id)?.type;
      if (type === undefined) continue;
      const known = this.typeSizes.get(type);
      this.typeSizes.set(type, {
        width: Math.max(size.width, known?.width ?? 0),
        height: Math.max(size.height, known?.height ?? 0),
      });
    }
  }

  /** A card's measured size, else the largest measured for its type, else the default. */
  private sizeOf(node: GraphNode): Size {
    return this.nodeSizes.get(node.id) ?? this.typeSizes.get(node.type) ?? DEFAULT_NODE_SIZE;
  }

  private rectOf(node: GraphNode): Rect {
    const size = this.sizeOf(node);
    return { x: node.position.x, y: node.position.y, width: size.width, height: size.height };
  }

  /**
   * Click-to-add: the new card goes right of the selected cards (top-aligned), or at `fallback` (the view's
   * centre) when nothing is selected, then down to the first free space. Returns its id.
   */
  addNodeInFreeSpace(type: string, fallback: XY): string {
    const obstacles = this.document.nodes.map((node) => this.rectOf(node));
    const selected = boundingBox(
      this.document.nodes
        .filter((node) => this.selectedNodeIds.has(node.id))
        .map((node) => this.rectOf(node)),
    );
    const start = selected ? { x: selected.x + selected.width + PLACEMENT_GAP * 2, y: selected.y } : fallback;
    const wireTo = this.selectedNodeIds.size === 1 ? ([...this.selectedNodeIds][0] ?? null) : null;
    const id = this.addNode(type, findFreeSpot(start, DEFAULT_NODE_SIZE, obstacles));
    if (wireTo !== null) this.wireNewNode(wireTo, id);
    return id;
  }

  /**
   * Wires a card added next to the selected one when their ports fit: the selected card's first output that
   * the new card accepts (Sampler → new Reward), else the new card's first output the selected card still
   * takes (new Prompt → selected Sampler). The link joins the "Add" step, so one undo removes both.
   */
  private wireNewNode(selectedId: string, newId: string): void {
    const selected = this.getNode(selectedId);
    const added = this.getNode(newId);
    if (!selected || !added) return;
    const from = this.kit.portsOf(selected.type);
    const to = this.kit.portsOf(added.type);
    const candidates: ConnectionRequest[] = [
      ...from.outputs.flatMap((sourcePort) =>
        to.inputs.map((targetPort) => ({ source: selectedId, sourcePort, target: newId, targetPort })),
      ),
      ...to.outputs.flatMap((sourcePort) =>
        from.inputs.map((targetPort) => ({ source: newId, sourcePort, target: selectedId, targetPort })),
      ),
    ];
    const fitting = candidates.find((request) => this.kit.checkConnection(this.document, request).ok);
    if (!fitting) return;
    const edge: GraphEdge = { id: this.uniqueId("edge", this.takenIds()), ...fitting };
    const top = this.undoStack[this.undoStack.length - 1];
    const next = { ...this.document, edges: [...this.document.edges, edge] };
    if (top && top.after === this.document) top.after = next;
    this.document = next;
    this.emit();
  }

  /**
   * "Tidy up": lays the whole graph out automatically (left to right along the links, no overlaps) as one
   * undo step. Changes nothing when the cards already sit where the layout puts them, or when the graph was
   * edited while the layout was computed (the person can press it again).
   */
  async tidyUp(): Promise<"tidied" | "already-tidy" | "graph-changed"> {
    const before = this.document;
    if (before.nodes.length === 0) return "already-tidy";
    const origin = boundingBox(before.nodes.map((node) => this.rectOf(node)));
    const sizes = new Map(before.nodes.map((node) => [node.id, this.sizeOf(node)]));
    const positions = await this.kit.layout(before, sizes);
    if (this.document !== before) return "graph-changed";
    const layoutBox = boundingBox(
      before.nodes.flatMap((node) => {
        const position = positions.get(node.id);
        return position ? [{ ...this.rectOf(node), x: position.x, y: position.y }] : [];
      }),
    );
    // Keep the graph where the person was looking: its top-left corner stays put.
    const dx = (origin?.x ?? 0) - (layoutBox?.x ?? 0);
    const dy = (origin?.y ?? 0) - (layoutBox?.y ?? 0);
    const nodes = before.nodes.map((node) => {
      const position = positions.get(node.id);
      return position ? { ...node, position: { x: position.x + dx, y: position.y + dy } } : node;
    });
    const moved = nodes.some((node, index) => {
      const previous = before.nodes[index]?.position;
      return !previous || previous.x !== node.position.x || previous.y !== node.position.y;
    });
    if (!moved) return "already-tidy";
    this.sealHistory();
    this.commit("Tidy up", { ...before, nodes });
    return "tidied";
  }

  /** Adds a node of a registered type at `position` and selects it. Returns its id. */
  addNode(type: string, position: XY): string {
    const id = this.uniqueId(type, this.takenIds());
    const node = this.kit.createNode(type, id, { x: position.x, y: position.y });
    this.selectedNodeIds = new Set([id]);
    this.selectedEdgeIds = EMPTY_SET;
    this.commit(`Add ${type}`, { ...this.document, nodes: [...this.document.nodes, node] });
    return id;
  }

  /** Starts a drag: the positions set until `endMove` become one undo step. */
  beginMove(): void {
    if (this.moveStart !== null) return;
    this.sealHistory();
    this.moveStart = this.document;
  }

  /** Moves nodes during a drag (no history entry yet). Unknown ids are ignored. */
  updateMove(positions: ReadonlyMap<string, XY> | Readonly<Record<string, XY>>): void {
    const lookup = positions instanceof Map ? positions : new Map(Object.entries(positions));
    if (lookup.size === 0) return;
    if (this.moveStart === null) this.beginMove();
    let changed = false;
    const nodes = this.document.nodes.map((node) => {
      const position = lookup.get(node.id);
      if (!position || (position.x === node.position.x && position.y === node.position.y)) return node;
      changed = true;
      return { ...node, position: { x: position.x, y: position.y } };
    });
    if (!changed) return;
    this.document = { ...this.document, nodes };
    this.emit(true);
  }

  /** Ends a drag, recording it as one step if anything moved. */
  endMove(): void {
    const start = this.moveStart;
    if (start === null) return;
    this.moveStart = null;
    if (start === this.document) return;
    this.undoStack.push({
      label: "Move",
      before: start,
      after: this.document,
      coalesceKey: null,
      at: this.now(),
      sealed: true,
    });
    if (this.undoStack.length > this.historyLimit) this.undoStack.shift();
    this.redoStack = [];
    this.emit(true);
  }

  /** A whole move at once (keyboard nudges, tests): one undo step. */
  moveNodes(positions: ReadonlyMap<string, XY> | Readonly<Record<string, XY>>): void {
    this.beginMove();
    this.updateMove(positions);
    this.endMove();
  }

  /** Adds an edge if the registry's connection rules allow it; otherwise says why, changing nothing. */
  connect(request: ConnectionRequest): ConnectResult {
    this.endMove();
    const check = this.kit.checkConnection(this.document, request);
    if (!check.ok) return { ok: false, reason: check.reason };
    const id = this.uniqueId("edge", this.takenIds());
    const edge: GraphEdge = {
      id,
      source: request.source,
      sourcePort: request.sourcePort,
      target: request.target,
      targetPort: request.targetPort,
    };
    this.commit("Connect", { ...this.document, edges: [...this.document.edges, edge] });
    return { ok: true, edgeId: id };
  }

  /** Deletes the selected nodes with every edge attached to them, and the selected edges. */
  deleteSelection(): { nodes: number; edges: number } {
    return this.deleteElements(this.selectedNodeIds, this.selectedEdgeIds);
  }

  deleteElements(
    nodeIds: Iterable<string>,
    edgeIds: Iterable<string> = [],
  ): { nodes: number; edges: number } {
    const nodeSet = new Set(nodeIds);
    const edgeSet = new Set(edgeIds);
    const nodes = this.document.nodes.filter((node) => !nodeSet.has(node.id));
    const edges = this.document.edges.filter(
      (edge) => !edgeSet.has(edge.id) && !nodeSet.has(edge.source) && !nodeSet.has(edge.target),
    );
    const removed = {
      nodes: this.document.nodes.length - nodes.length,
      edges: this.document.edges.length - edges.length,
    };
    if (removed.nodes === 0 && removed.edges === 0) return removed;
    this.commit("Delete", { ...this.document, nodes, edges });
    return removed;
  }

  /** Changes one parameter; consecutive edits of the same field form one undo step. */
  updateParam(nodeId: string, param: string, value: unknown): void {
    const node = this.getNode(nodeId);
    if (!node) throw new Error(`updateParam: no node "${nodeId}" in the document.`);
    if (Object.is(node.params[param], value)) return;
    const next = replaceNode(this.document, nodeId, { ...node, params: { ...node.params, [param]: value } });
    this.commit(`Edit ${param}`, next, `param:${nodeId}:${param}`);
  }

  /** Sets a node's display label; an empty label falls back to the node type's title. */
  renameNode(nodeId: string, label: string): void {
    const node = this.getNode(nodeId);
    if (!node) throw new Error(`renameNode: no node "${nodeId}" in the document.`);
    const trimmed = label.trim();
    if ((node.label ?? "") === trimmed) return;
    const { label: _old, ...rest } = node;
    const renamed: GraphNode = trimmed === "" ? rest : { ...rest, label: trimmed };
    this.commit("Rename", replaceNode(this.document, nodeId, renamed));
  }

  /** Replaces the graph as one undoable edit (e.g. an old version loaded into the canvas). */
  replaceDocument(document: GraphDocument, label = "Replace graph"): void {
    this.commit(label, { ...document, viewport: undefined });
  }

  // ---- selection -------------------------------------------------------------------------------------------

  select(
    ids: { nodes?: Iterable<string>; edges?: Iterable<string> },
    mode: "replace" | "add" | "toggle" = "replace",
  ): void {
    const nodes = new Set(mode === "replace" ? [] : this.selectedNodeIds);
    const edges = new Set(mode === "replace" ? [] : this.selectedEdgeIds);
    const apply = (set: Set<string>, items: Iterable<string> | undefined) => {
      if (!items) return;
      for (const id of items) {
        if (mode === "toggle" && set.has(id)) set.delete(id);
        else set.add(id);
      }
    };
    apply(nodes, ids.nodes);
    apply(edges, ids.edges);
    this.setSelection(nodes, edges);
  }

  selectAll(): void {
    this.setSelection(
      new Set(this.document.nodes.map((node) => node.id)),
      new Set(this.document.edges.map((edge) => edge.id)),
    );
  }

  clearSelection(): void {
    this.setSelection(EMPTY_SET, EMPTY_SET);
  }

  private setSelection(nodes: ReadonlySet<string>, edges: ReadonlySet<string>): void {
    if (setsEqual(nodes, this.selectedNodeIds) && setsEqual(edges, this.selectedEdgeIds)) return;
    this.selectedNodeIds = nodes.size === 0 ? EMPTY_SET : nodes;
    this.selectedEdgeIds = edges.size === 0 ? EMPTY_SET : edges;
    this.emit(true);
  }

  private pruneSelection(): void {
    const nodeIds = new Set(this.document.nodes.map((node) => node.id));
    const edgeIds = new Set(this.document.edges.map((edge) => edge.id));
    const nodes = [...this.selectedNodeIds].filter((id) => nodeIds.has(id));
    const edges = [...this.selectedEdgeIds].filter((id) => edgeIds.has(id));
    if (nodes.length !== this.selectedNodeIds.size) this.selectedNodeIds = new Set(nodes);
    if (edges.length !== this.selectedEdgeIds.size) this.selectedEdgeIds = new Set(edges);
  }

  // ---- clipboard -------------------------------------------------------------------------------------------

  /** Copies the selected nodes and the edges between them. Returns how many nodes were copied. */
  copy(): number {
    const nodes = this.document.nodes.filter((node) => this.selectedNodeIds.has(node.id));
    if (nodes.length === 0) return 0;
    const ids = new Set(nodes.map((node) => node.id));
    const edges = this.document.edges.filter((edge) => ids.has(edge.source) && ids.has(edge.target));
    this.clipboard = { nodes, edges };
    this.pasteCount = 0;
    this.emit(true);
    return nodes.length;
  }

  /** Pastes copies with new ids, shifted, keeping the edges between them; selects them. Returns the new ids. */
  paste(): string[] {
    const clipboard = this.clipboard;
    if (!clipboard) return [];
    this.pasteCount += 1;
    // The copies move as one group, from a diagonal offset that grows with each paste down to the first
    // space where they cover no card (the originals and earlier pastes included).
    const group = boundingBox(clipboard.nodes.map((node) => this.rectOf(node)));
    const offset = this.pasteOffset * this.pasteCount;
    const spot = group
      ? findFreeSpot(
          { x: group.x + offset, y: group.y + offset },
          group,
          this.document.nodes.map((node) => this.rectOf(node)),
        )
      : { x: 0, y: 0 };
    const shift = group ? { x: spot.x - group.x, y: spot.y - group.y } : { x: 0, y: 0 };
    const taken = this.takenIds();
    const idMap = new Map<string, string>();
    const nodes = clipboard.nodes.map((node) => {
      const id = this.uniqueId(node.type, taken);
      taken.add(id);
      idMap.set(node.id, id);
      if (this.nodeSizes.has(node.id)) this.nodeSizes.set(id, this.nodeSizes.get(node.id)!);
      const copy = { ...node, id, position: { x: node.position.x + shift.x, y: node.position.y + shift.y } };
      return node.label === undefined ? copy : { ...copy, label: renumberLabel(node.label, node.id, id) };
    });
    const edges = clipboard.edges.map((edge) => {
      const id = this.uniqueId("edge", taken);
      taken.add(id);
      return { ...edge, id, source: idMap.get(edge.source)!, target: idMap.get(edge.target)! };
    });
    this.selectedNodeIds = new Set(nodes.map((node) => node.id));
    this.selectedEdgeIds = new Set(edges.map((edge) => edge.id));
    this.commit("Paste", {
      ...this.document,
      nodes: [...this.document.nodes, ...nodes],
      edges: [...this.document.edges, ...edges],
    });
    return nodes.map((node) => node.id);
  }
}

/** "Sampler 1" copied as node "sampler-3" becomes "Sampler 3"; a label the user chose stays as it is. */
function renumberLabel(label: string, oldId: string, newId: string): string {
  const oldNumber = /-(\d+)$/.exec(oldId)?.[1];
  const newNumber = /-(\d+)$/.exec(newId)?.[1];
  if (!oldNumber || !newNumber || !label.endsWith(` ${oldNumber}`)) return label;
  return `${label.slice(0, -oldNumber.length)}${newNumber}`;
}

function replaceNode(document: GraphDocument, nodeId: string, next: GraphNode): GraphDocument {
  return { ...document, nodes: document.nodes.map((node) => (node.id === nodeId ? next : node)) };
}

function setsEqual(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const item of a) if (!b.has(item)) return false;
  return true;
}

/** Same nodes (by identity, ignoring position) and the same edges: validation results still hold. */
function sameExceptPositions(a: GraphDocument, b: GraphDocument): boolean {
  if (a.edges !== b.edges || a.nodes.length !== b.nodes.length) return false;
  for (let i = 0; i < a.nodes.length; i++) {
    const x = a.nodes[i]!;
    const y = b.nodes[i]!;
    if (x === y) continue;
    if (x.id !== y.id || x.type !== y.type || x.version !== y.version || x.params !== y.params) return false;
    if (x.label !== y.label) return false;
  }
  return true;
}

/** Structural equality of two documents, ignoring the viewport (panning is not an edit). */
export function documentsEqual(a: GraphDocument, b: GraphDocument): boolean {
  if (a.schemaVersion !== b.schemaVersion) return false;
  if (a.nodes.length !== b.nodes.length || a.edges.length !== b.edges.length) return false;
  for (let i = 0; i < a.nodes.length; i++) {
    if (!deepEqual(a.nodes[i], b.nodes[i])) return false;
  }
  for (let i = 0; i < a.edges.length; i++) {
    if (!deepEqual(a.edges[i], b.edges[i])) return false;
  }
  return true;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    return a.every((item, index) => deepEqual(item, b[index]));
  }
  const aRecord = a as Record<string, unknown>;
  const bRecord = b as Record<string, unknown>;
  const aKeys = Object.keys(aRecord).filter((key) => aRecord[key] !== undefined);
  const bKeys = Object.keys(bRecord).filter((key) => bRecord[key] !== undefined);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((key) => deepEqual(aRecord[key], bRecord[key]));
}
