"use client";
/**
 * The editor screen: header with the toolbar, palette, canvas and the issues/versions panel. It owns the
 * store for one opened workflow and talks to the server (save, versions, export); everything about the
 * graph itself happens in the store.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useState } from "react";
import { useTRPC, useTRPCClient } from "@/app/_trpc/provider";
import { AppHeader } from "@/app/_components/app-header";
import { ActivityFeed } from "@/app/_comments/activity-feed";
import { commentBadges, useCommentRequest } from "@/app/_comments/comment-badges";
import { EditorCommentsPanel, useEditorCommentCounts } from "@/app/_comments/editor-comments-panel";
import { Dialog } from "@/app/_components/dialog";
import { describeError, downloadText, safeFileName } from "@/app/_lib/errors";
import { restoredNotice, savedToRunNotice } from "@/app/_lib/version-verbs";
import Link from "next/link";
import { ReviewBanner, ReviewControls, type ReviewTarget } from "@/app/_proposals/review-controls";
import { LIVE_RUN_SLOT_ID, RunControls } from "@/app/_runs/run-controls";
import { editorPermissions, type WorkflowRole } from "@/app/_sharing/access-rules";
import { ShareDialog } from "@/app/_sharing/share-dialog";
import { imageSizeIssues } from "@/nodes/graph/image-size-issues";
import { promptVocabularyIssues } from "@/nodes/graph/prompt-vocabulary";
import { registryGraphKit } from "../core/default-kit";
import { EditorStore } from "../core/editor-store";
import type { GraphDocument } from "../core/types";
import { Canvas } from "./canvas";
import { EditorStoreContext, ReadOnlyContext, useEditorSelector, useEditorStore } from "./editor-context";
import { HelpDialog } from "./help-panel";
import { IssuesPanel, useFocusNode } from "./issues-panel";
import { ModelOptionsContext } from "./node-card";
import { Palette } from "./palette";
import { useModelOptions } from "./use-model-options";
import { useEditorShortcuts } from "./use-shortcuts";
import { VersionsPanel } from "./versions-panel";

export interface OpenedWorkflow {
  readonly id: string;
  readonly name: string;
  readonly versionId: string;
  readonly versionNumber: number;
  readonly document: GraphDocument;
  /** Review mode: edits go to a proposal (create/update/run it), never to a new version. */
  readonly review?: ReviewTarget;
  /** The person's role on the workflow: hides Save/Run they could not use and says why. */
  readonly role?: WorkflowRole;
}

export function WorkflowEditor(props: { readonly workflow: OpenedWorkflow }) {
  const [store] = useState(
    () =>
      new EditorStore({
        kit: registryGraphKit,
        document: props.workflow.document,
        savedVersionId: props.workflow.versionId,
      }),
  );
  return (
    <EditorStoreContext.Provider value={store}>
      <ReactFlowProvider>
        <EditorShell workflow={props.workflow} />
      </ReactFlowProvider>
    </EditorStoreContext.Provider>
  );
}

function SaveDialog(props: {
  readonly onSave: (message: string) => void;
  readonly onClose: () => void;
  readonly busy: boolean;
  readonly error: string | null;
}) {
  const [message, setMessage] = useState("");
  return (
    <Dialog title="Save a new version" onClose={props.onClose} testId="save-dialog">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          props.onSave(message.trim());
        }}
      >
        <label className="muted" htmlFor="save-message">
          What did you change? (shown in the version list)
        </label>
        <input
          id="save-message"
          className="input"
          data-testid="save-dialog.message"
          value={message}
          maxLength={500}
          placeholder="e.g. Stronger guard, 80 iterations"
          onChange={(event) => setMessage(event.target.value)}
        />
        {props.error ? (
          <div className="banner banner-error" role="alert" data-testid="save-dialog.error">
            {props.error}
          </div>
        ) : null}
        <div className="dialog-buttons">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={props.busy}
            data-testid="save-dialog.confirm"
          >
            {props.busy ? "Saving…" : "Save"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function EditorShell(props: { readonly workflow: OpenedWorkflow }) {
  const { workflow } = props;
  const store = useEditorStore();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const flow = useReactFlow();
  const dirty = useEditorSelector((snapshot) => snapshot.dirty);
  const canUndo = useEditorSelector((snapshot) => snapshot.canUndo);
  const canRedo = useEditorSelector((snapshot) => snapshot.canRedo);
  const issueCount = useEditorSelector((snapshot) => snapshot.issues.length);
  const savedVersionId = useEditorSelector((snapshot) => snapshot.savedVersionId);
  const [tab, setTab] = useState<"issues" | "versions" | "comments" | "activity">("issues");
  // Comments: counts for the canvas badges and the tab; a badge, a "Comment" action or a link with
  // ?comment=<thread> opens the panel.
  const commentCounts = useEditorCommentCounts(workflow.id);
  const commentRequest = useCommentRequest();
  const focusNode = useFocusNode();
  const [linkedThreadId, setLinkedThreadId] = useState<string | null>(null);
  useEffect(() => {
    if (commentRequest) setTab("comments");
  }, [commentRequest]);
  useEffect(() => {
    const threadId = new URLSearchParams(window.location.search).get("comment");
    if (threadId) {
      setLinkedThreadId(threadId);
      setTab("comments");
    }
  }, []);
  const [saveOpen, setSaveOpen] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [versionNumber, setVersionNumber] = useState(workflow.versionNumber);
  const permissions = editorPermissions(workflow.role);
  const [shareOpen, setShareOpen] = useState(false);

  const save = useMutation(trpc.workflow.save.mutationOptions());
  // The Sampler's model picker lists the server's models; until they arrive it shows the stored value.
  const { models, modelOptions } = useModelOptions();
  // Prompt words the Sampler's model never saw (a warning on the Prompt) and Image sizes its model cannot
  // draw (an error on the Sampler), once the model list is here.
  useEffect(() => {
    store.setExtraValidation(
      models ? (doc) => [...promptVocabularyIssues(doc, models), ...imageSizeIssues(doc, models)] : null,
    );
  }, [models, store]);
  const client = useTRPCClient();

  // Leaving with unsaved edits asks first (the browser shows its own wording).
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = "";
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, [dirty]);

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), 4000);
    return () => clearTimeout(timer);
  }, [notice]);

  const addFromPalette = useCallback(
    (type: string) => {
      const canvas = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
      const center = canvas
        ? { x: canvas.left + canvas.width / 2, y: canvas.top + canvas.height / 3 }
        : { x: window.innerWidth / 2, y: window.innerHeight / 3 };
      // Next to the selection, else near the view's centre; the store moves it into free space.
      const position = flow.screenToFlowPosition(center);
      store.addNodeInFreeSpace(type, { x: Math.round(position.x - 140), y: Math.round(position.y) });
    },
    [flow, store],
  );

  const onPaletteDrop = useCallback(
    (type: string, position: { x: number; y: number }) => {
      store.addNode(type, { x: Math.round(position.x - 140), y: Math.round(position.y - 20) });
    },
    [store],
  );

  const openSave = useCallback(() => {
    setSaveError(null);
    setSaveOpen(true);
  }, []);

  const doSave = (message: string) => {
    const baseVersionId = store.getSnapshot().savedVersionId;
    if (!baseVersionId) return;
    // The graph as sent: edits made while the request is in flight must stay "unsaved".
    const sentGraph = store.getSnapshot().document;
    const sent = store.getDocumentForSave();
    setSaveError(null);
    save.mutate(
      { workflowId: workflow.id, baseVersionId, document: sent, message },
      {
        onSuccess: (result) => {
          store.markSaved(result.version.id, sentGraph);
          setVersionNumber(result.version.number);
          setSaveOpen(false);
          setNotice(`Saved as version ${result.version.number}.`);
          void queryClient.invalidateQueries({ queryKey: trpc.version.list.queryKey() });
          void queryClient.invalidateQueries({ queryKey: trpc.workflow.list.queryKey() });
        },
        // A stale save (CONFLICT) or an invalid graph: the server's message says which; edits stay.
        onError: (error) => setSaveError(describeError(error)),
      },
    );
  };

  // Exports the last saved version (what others would get); unsaved edits are not part of it.
  const doExport = async () => {
    try {
      const exported = await client.workflow.export.query({ workflowId: workflow.id });
      downloadText(exported.fileName || `${safeFileName(workflow.name)}.dno.json`, exported.json);
    } catch (error) {
      setNotice(describeError(error));
    }
  };

  const fitView = useCallback(() => void flow.fitView({ padding: 0.15, maxZoom: 1, duration: 200 }), [flow]);
  const tidyUp = useCallback(async () => {
    const result = await store.tidyUp();
    if (result === "tidied") window.requestAnimationFrame(fitView);
    else
      setNotice(
        result === "already-tidy"
          ? "The cards are already tidy."
          : "The graph changed while it was being laid out; press Tidy up again.",
      );
  }, [store, fitView]);

  useEditorShortcuts(
    store,
    // In review mode there is no version to save: the proposal is saved from the toolbar.
    {
      save: workflow.review || !permissions.canSave ? () => undefined : openSave,
      fitView,
      showHelp: () => setHelpOpen(true),
    },
    !saveOpen && !helpOpen,
  );

  return (
    <div className="editor" data-testid="editor">
      <AppHeader nav={false}>
        <div className="editor-title">
          <span className="faint">/</span>
          <h1 data-testid="editor.name">{workflow.name}</h1>
          {workflow.review ? <ReviewBanner review={workflow.review} /> : null}
          {!workflow.review && permissions.limitNotice && workflow.role ? (
            <span
              className="access-notice"
              title={permissions.limitNotice}
              data-testid="editor.access-notice"
            >
              You have {workflow.role} access{permissions.canSave ? "" : " — changes here are not saved"}
            </span>
          ) : null}
          {dirty ? (
            <span className="unsaved" data-testid="editor.unsaved">
              Unsaved changes
            </span>
          ) : (
            <span className="saved-state" data-testid="editor.saved">
              Saved · version {versionNumber}
            </span>
          )}
        </div>
        <div className="spacer" />
        {notice ? (
          <span className="muted" role="status" data-testid="editor.notice">
            {notice}
          </span>
        ) : null}
        <div className="toolbar">
          <button
            type="button"
            className="btn btn-small"
            disabled={!canUndo}
            onClick={() => store.undo()}
            title="Undo (Ctrl/⌘+Z)"
            data-testid="toolbar.undo"
          >
            ↶ Undo
          </button>
          <button
            type="button"
            className="btn btn-small"
            disabled={!canRedo}
            onClick={() => store.redo()}
            title="Redo (Ctrl/⌘+Shift+Z)"
            data-testid="toolbar.redo"
          >
            ↷ Redo
          </button>
          <span className="sep" />
          <button
            type="button"
            className="btn btn-small"
            onClick={fitView}
            title="Fit view (F)"
            data-testid="toolbar.fit"
          >
            ⤢ Fit
          </button>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => void tidyUp()}
            title="Lay the cards out left to right along their links, with none overlapping (one undo step)"
            data-testid="toolbar.tidy"
          >
            Tidy up
          </button>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => void doExport()}
            title="Download the saved version as JSON"
            data-testid="toolbar.export"
          >
            Export
          </button>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => setHelpOpen(true)}
            title="Keyboard shortcuts (?)"
            data-testid="toolbar.help"
          >
            ?
          </button>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => commentBadges.requestOpen({ kind: "workflow" })}
            title="Comments on this workflow"
            data-testid="toolbar.comments"
          >
            Comments
            {commentCounts && commentCounts.unread > 0 ? (
              <span className="count-badge" data-testid="toolbar.comments.unread">
                {commentCounts.unread}
              </span>
            ) : null}
          </button>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => setShareOpen(true)}
            title={permissions.canShare ? "Share this workflow: people, roles and links" : "Who has access"}
            data-testid="toolbar.share"
          >
            Share
          </button>
          <span className="sep" />
          <Link
            className="btn btn-small"
            href={`/workflows/${workflow.id}/proposals`}
            data-testid="toolbar.proposals"
          >
            Proposals
          </Link>
          {!workflow.review && workflow.role === "reviewer" ? (
            <Link
              className="btn btn-small btn-primary"
              href={`/workflows/${workflow.id}/review?version=${workflow.versionId}`}
              title="Open this version in review mode: your changes become a proposal you can run"
              data-testid="toolbar.review"
            >
              Review and propose
            </Link>
          ) : null}
          {workflow.review ? (
            <ReviewControls
              workflowId={workflow.id}
              store={store}
              review={workflow.review}
              onMessage={setNotice}
            />
          ) : (
            <>
              {permissions.canRun ? (
                <RunControls
                  workflowId={workflow.id}
                  store={store}
                  onVersionSaved={(versionId, number, savedGraph) => {
                    store.markSaved(versionId, savedGraph);
                    setVersionNumber(number);
                    // Run saved the canvas first: say so, instead of a version appearing silently.
                    setNotice(savedToRunNotice(number));
                  }}
                  onMessage={setNotice}
                />
              ) : null}
              {permissions.canSave ? (
                <button
                  type="button"
                  className="btn btn-small btn-primary"
                  onClick={openSave}
                  disabled={savedVersionId === null}
                  title="Save a new version (Ctrl/⌘+S)"
                  data-testid="toolbar.save"
                >
                  Save
                </button>
              ) : null}
            </>
          )}
        </div>
      </AppHeader>
      {/* A viewer only looks: no palette, and the cards' fields, titles and ports are read-only. */}
      {workflow.role === "viewer" && !workflow.review ? (
        <aside className="side-panel" data-testid="palette.read-only">
          <p className="muted">{permissions.limitNotice}</p>
        </aside>
      ) : (
        <Palette onAdd={addFromPalette} />
      )}
      <ModelOptionsContext.Provider value={modelOptions}>
        <ReadOnlyContext.Provider value={workflow.role === "viewer" && !workflow.review}>
          <Canvas onPaletteDrop={onPaletteDrop} />
        </ReadOnlyContext.Provider>
      </ModelOptionsContext.Provider>
      <aside className="side-panel right-panel">
        <div id={LIVE_RUN_SLOT_ID} className="live-run-slot" aria-live="polite" />
        <div className="panel-tabs" role="tablist">
          <button
            type="button"
            role="tab"
            aria-selected={tab === "issues"}
            onClick={() => setTab("issues")}
            data-testid="panel.issues"
          >
            Issues<span className={`count-badge${issueCount === 0 ? " zero" : ""}`}>{issueCount}</span>
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={tab === "versions"}
            onClick={() => setTab("versions")}
            data-testid="panel.versions"
          >
            Versions
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={tab === "comments"}
            onClick={() => setTab("comments")}
            data-testid="panel.comments"
          >
            Comments
            {commentCounts && commentCounts.unread > 0 && tab !== "comments" ? (
              <span className="count-badge">{commentCounts.unread}</span>
            ) : null}
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={tab === "activity"}
            onClick={() => setTab("activity")}
            data-testid="panel.activity"
          >
            Activity
          </button>
        </div>
        <div className="panel-body">
          {tab === "comments" ? (
            <EditorCommentsPanel
              workflowId={workflow.id}
              focusThreadId={linkedThreadId}
              onFocusNode={focusNode}
            />
          ) : tab === "activity" ? (
            <ActivityFeed workflowId={workflow.id} />
          ) : tab === "issues" ? (
            <IssuesPanel />
          ) : (
            <VersionsPanel
              workflowId={workflow.id}
              onRestored={(versionId, number, document, fromNumber) => {
                store.load(document, versionId);
                setVersionNumber(number);
                setNotice(restoredNotice(fromNumber, number));
              }}
            />
          )}
        </div>
      </aside>
      {saveOpen ? (
        <SaveDialog
          onSave={doSave}
          onClose={() => setSaveOpen(false)}
          busy={save.isPending}
          error={saveError}
        />
      ) : null}
      {helpOpen ? <HelpDialog onClose={() => setHelpOpen(false)} /> : null}
      {shareOpen ? <ShareDialog workflowId={workflow.id} onClose={() => setShareOpen(false)} /> : null}
    </div>
  );
}
