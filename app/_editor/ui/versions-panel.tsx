"use client";
/**
 * Saved versions of the workflow, one verb per action (app/_lib/version-verbs.ts): “View” one read-only,
 * “Copy to canvas” as an undoable edit, or “Restore” it (the server stores a new head version equal to the old
 * one; nothing is overwritten). Each says
 * who made it (an accepted proposal credits its author and names who accepted it); pick two to see what
 * changed between them, worded like the editor (nodes/graph/readable-diff.ts); “Review” opens a version in
 * review mode, where changes become a proposal.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Background, BackgroundVariant, ReactFlow, ReactFlowProvider } from "@xyflow/react";
import Link from "next/link";
import { useMemo, useState } from "react";
import { DiffList } from "@/app/_proposals/diff-list";
import { ConfirmDialog, Dialog } from "@/app/_components/dialog";
import { describeError } from "@/app/_lib/errors";
import { copyToCanvasStep, VERSION_VERBS } from "@/app/_lib/version-verbs";
import { useTRPC, useTRPCClient } from "@/app/_trpc/provider";
import type { GraphDocument, GraphIssue } from "../core/types";
import { EditorStoreContext, ReadOnlyContext, useEditorSelector, useEditorStore } from "./editor-context";
import { FlowMapper, type Measured } from "./flow-mapping";
import type { CardNode } from "./node-card";
import { NodeCard } from "./node-card";

const previewNodeTypes = { card: NodeCard };
const NO_SELECTION: ReadonlySet<string> = new Set();
const NO_ISSUES: ReadonlyMap<string, readonly GraphIssue[]> = new Map();
const NO_SIZES: ReadonlyMap<string, Measured> = new Map();

function formatDate(date: Date | string): string {
  const value = typeof date === "string" ? new Date(date) : date;
  return value.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

interface PreviewTarget {
  readonly versionId: string;
  readonly number: number;
  readonly message: string;
  readonly document: GraphDocument;
}

function VersionPreview(props: {
  readonly target: PreviewTarget;
  readonly onClose: () => void;
  readonly onCopyToCanvas: () => void;
  readonly onRestore: () => void;
}) {
  const { document } = props.target;
  const { nodes, edges } = useMemo(() => {
    const mapper = new FlowMapper();
    return {
      nodes: mapper.nodes(document, NO_SELECTION, NO_ISSUES, NO_SIZES, false),
      edges: mapper.edges(document, NO_SELECTION),
    };
  }, [document]);
  return (
    <Dialog
      title={`Version ${props.target.number}${props.target.message ? ` — ${props.target.message}` : ""} (read-only)`}
      onClose={props.onClose}
      testId="version-preview"
      wide
    >
      <div className="preview-canvas">
        <EditorStoreContext.Provider value={null}>
          <ReadOnlyContext.Provider value={true}>
            <ReactFlowProvider>
              <ReactFlow<CardNode>
                nodes={nodes}
                edges={edges}
                nodeTypes={previewNodeTypes}
                nodesDraggable={false}
                nodesConnectable={false}
                elementsSelectable={false}
                fitView
                fitViewOptions={{ maxZoom: 1, padding: 0.1 }}
                minZoom={0.05}
                colorMode="dark"
                proOptions={{ hideAttribution: true }}
              >
                <Background variant={BackgroundVariant.Dots} gap={20} size={1} color="#2c3340" />
              </ReactFlow>
            </ReactFlowProvider>
          </ReadOnlyContext.Provider>
        </EditorStoreContext.Provider>
      </div>
      <div className="dialog-buttons">
        <span className="muted" style={{ marginRight: "auto" }}>
          {document.nodes.length} nodes, {document.edges.length} connections
        </span>
        <button type="button" className="btn" onClick={props.onClose}>
          Close
        </button>
        <button
          type="button"
          className="btn"
          title={VERSION_VERBS.copyToCanvas.help}
          onClick={props.onCopyToCanvas}
          data-testid="version-preview.load"
        >
          {VERSION_VERBS.copyToCanvas.label}
        </button>
        <button
          type="button"
          className="btn btn-primary"
          title={VERSION_VERBS.restore.help}
          onClick={props.onRestore}
          data-testid="version-preview.restore"
        >
          {VERSION_VERBS.restore.label}
        </button>
      </div>
    </Dialog>
  );
}

function VersionDiffDialog(props: {
  readonly workflowId: string;
  readonly from: { id: string; number: number };
  readonly to: { id: string; number: number };
  readonly onClose: () => void;
}) {
  const trpc = useTRPC();
  const diff = useQuery(
    trpc.version.diff.queryOptions({
      workflowId: props.workflowId,
      fromVersionId: props.from.id,
      toVersionId: props.to.id,
    }),
  );
  return (
    <Dialog
      title={`What changed from version ${props.from.number} to version ${props.to.number}`}
      onClose={props.onClose}
      testId="version-diff"
    >
      {diff.isPending ? (
        <div className="muted">Comparing…</div>
      ) : diff.isError ? (
        <div className="banner banner-error">{describeError(diff.error)}</div>
      ) : (
        <DiffList changes={diff.data.changes} summary={diff.data.summary} testId="version-diff.list" />
      )}
      <div className="dialog-buttons">
        <button type="button" className="btn" onClick={props.onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

export function VersionsPanel(props: {
  readonly workflowId: string;
  /** After Restore: the new head version (`number`) and the version it restored (`fromNumber`). */
  readonly onRestored: (
    versionId: string,
    number: number,
    document: GraphDocument,
    fromNumber: number,
  ) => void;
}) {
  const { workflowId, onRestored } = props;
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const store = useEditorStore();
  const dirty = useEditorSelector((snapshot) => snapshot.dirty);
  const headId = useEditorSelector((snapshot) => snapshot.savedVersionId);
  const versions = useQuery(trpc.version.list.queryOptions({ workflowId }));
  const restore = useMutation(trpc.version.restore.mutationOptions());
  const [preview, setPreview] = useState<PreviewTarget | null>(null);
  const [confirmRestore, setConfirmRestore] = useState<{ versionId: string; number: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Versions ticked for comparison (at most two; a third replaces the oldest pick).
  const [picked, setPicked] = useState<readonly { id: string; number: number }[]>([]);
  const [comparing, setComparing] = useState(false);

  const fetchVersion = async (versionId: string): Promise<PreviewTarget | null> => {
    setError(null);
    try {
      const version = await client.version.get.query({ versionId });
      return { versionId, number: version.number, message: version.message, document: version.document };
    } catch (caught) {
      setError(describeError(caught));
      return null;
    }
  };

  const copyToCanvas = async (versionId: string) => {
    const target = await fetchVersion(versionId);
    if (target) store.replaceDocument(target.document, copyToCanvasStep(target.number));
    setPreview(null);
  };

  const doRestore = (versionId: string, fromNumber: number) => {
    const baseVersionId = store.getSnapshot().savedVersionId;
    if (!baseVersionId) return;
    setError(null);
    restore.mutate(
      { workflowId, versionId, baseVersionId },
      {
        onSuccess: async (result) => {
          setConfirmRestore(null);
          setPreview(null);
          const restored = await fetchVersion(result.version.id);
          if (restored) onRestored(restored.versionId, restored.number, restored.document, fromNumber);
          void queryClient.invalidateQueries({ queryKey: trpc.version.list.queryKey() });
          void queryClient.invalidateQueries({ queryKey: trpc.workflow.list.queryKey() });
        },
        onError: (caught) => {
          setConfirmRestore(null);
          setError(describeError(caught));
        },
      },
    );
  };

  const askRestore = (versionId: string, number: number) => {
    if (dirty) setConfirmRestore({ versionId, number });
    else doRestore(versionId, number);
  };

  if (versions.isPending) return <div className="muted">Loading versions…</div>;
  if (versions.isError) return <div className="banner banner-error">{describeError(versions.error)}</div>;

  return (
    <div data-testid="versions.list">
      {error ? (
        <div className="banner banner-error" role="alert" data-testid="versions.error">
          {error}
        </div>
      ) : null}
      <div className="version-compare" data-testid="versions.compare-bar">
        <span className="faint">
          {picked.length < 2
            ? "Tick two versions to see what changed."
            : `v${picked[0]?.number} and v${picked[1]?.number}`}
        </span>
        <button
          type="button"
          className="btn btn-small"
          disabled={picked.length !== 2}
          onClick={() => setComparing(true)}
          data-testid="versions.compare"
        >
          Compare
        </button>
      </div>
      {versions.data.map((version) => {
        const isHead = version.id === headId;
        return (
          <div
            key={version.id}
            className={`version-item${isHead ? " current" : ""}`}
            data-testid={`versions.item.${version.number}`}
          >
            <div className="version-head">
              <input
                type="checkbox"
                aria-label={`Compare version ${version.number}`}
                checked={picked.some((item) => item.id === version.id)}
                onChange={(event) =>
                  setPicked((current) =>
                    event.target.checked
                      ? [...current, { id: version.id, number: version.number }].slice(-2)
                      : current.filter((item) => item.id !== version.id),
                  )
                }
                data-testid={`versions.item.${version.number}.pick`}
              />
              <span className="version-number">v{version.number}</span>
              {isHead ? <span className="faint">current</span> : null}
              <span className="spacer" />
              <span className="faint">{formatDate(version.createdAt)}</span>
            </div>
            <div className="version-message">
              {version.message || <span className="faint">(no message)</span>}
              {version.restoredFromVersionId ? <span className="faint"> · restored</span> : null}
            </div>
            {version.authorName ? (
              <div className="faint" data-testid={`versions.item.${version.number}.credit`}>
                by {version.authorName}
                {version.acceptedByName ? `, accepted by ${version.acceptedByName}` : ""}
              </div>
            ) : null}
            <div className="version-actions">
              <button
                type="button"
                className="btn btn-small"
                title={VERSION_VERBS.view.help}
                data-testid={`versions.item.${version.number}.preview`}
                onClick={async () => {
                  const target = await fetchVersion(version.id);
                  if (target) setPreview(target);
                }}
              >
                {VERSION_VERBS.view.label}
              </button>
              <button
                type="button"
                className="btn btn-small"
                title={VERSION_VERBS.copyToCanvas.help}
                data-testid={`versions.item.${version.number}.load`}
                onClick={() => void copyToCanvas(version.id)}
              >
                {VERSION_VERBS.copyToCanvas.label}
              </button>
              <Link
                className="btn btn-small"
                title={VERSION_VERBS.review.help}
                href={`/workflows/${workflowId}/review?version=${version.id}`}
                data-testid={`versions.item.${version.number}.review`}
              >
                {VERSION_VERBS.review.label}
              </Link>
              {!isHead ? (
                <button
                  type="button"
                  className="btn btn-small"
                  title={VERSION_VERBS.restore.help}
                  data-testid={`versions.item.${version.number}.restore`}
                  disabled={restore.isPending}
                  onClick={() => askRestore(version.id, version.number)}
                >
                  {VERSION_VERBS.restore.label}
                </button>
              ) : null}
            </div>
          </div>
        );
      })}
      {preview ? (
        <VersionPreview
          target={preview}
          onClose={() => setPreview(null)}
          onCopyToCanvas={() => {
            store.replaceDocument(preview.document, copyToCanvasStep(preview.number));
            setPreview(null);
          }}
          onRestore={() => askRestore(preview.versionId, preview.number)}
        />
      ) : null}
      {comparing && picked.length === 2 && picked[0] && picked[1] ? (
        <VersionDiffDialog
          workflowId={workflowId}
          // Older first: the diff reads as what the newer one changed.
          from={picked[0].number < picked[1].number ? picked[0] : picked[1]}
          to={picked[0].number < picked[1].number ? picked[1] : picked[0]}
          onClose={() => setComparing(false)}
        />
      ) : null}
      {confirmRestore ? (
        <ConfirmDialog
          title={`Restore version ${confirmRestore.number}?`}
          message="You have unsaved changes. Restoring replaces the canvas with that version and your unsaved changes are lost."
          confirmLabel="Discard changes and restore"
          busy={restore.isPending}
          onConfirm={() => doRestore(confirmRestore.versionId, confirmRestore.number)}
          onCancel={() => setConfirmRestore(null)}
        />
      ) : null}
    </div>
  );
}
