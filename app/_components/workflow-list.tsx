"use client";
/** The workflow list: create, open, rename, duplicate, delete (confirmed), import and export JSON. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { UnreadComments } from "@/app/_comments/unread-comments";
import Link from "next/link";
import { AppHeader } from "./app-header";
import { useRouter } from "next/navigation";
import { type ChangeEvent, useState } from "react";
import { activeRunsQuestion } from "@/app/_lib/active-runs-question";
import { describeError, downloadText, safeFileName } from "@/app/_lib/errors";
import { usePngWorkflowDrop } from "@/app/_runs/use-png-workflow-drop";
import { SharedWithMe } from "@/app/_sharing/shared-with-me";
import { useTRPC, useTRPCClient } from "@/app/_trpc/provider";
import { ConfirmDialog, Dialog } from "./dialog";

/** Larger files are refused in the browser before upload; the server enforces its own limit too. */
const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

function formatDate(date: Date | string): string {
  const value = typeof date === "string" ? new Date(date) : date;
  return value.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function RenameDialog(props: {
  readonly initial: string;
  readonly busy: boolean;
  readonly error: string | null;
  readonly onSave: (name: string) => void;
  readonly onClose: () => void;
}) {
  const [name, setName] = useState(props.initial);
  return (
    <Dialog title="Rename workflow" onClose={props.onClose} testId="rename-dialog">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          props.onSave(name.trim());
        }}
      >
        <input
          className="input"
          aria-label="New name"
          data-testid="rename-dialog.name"
          value={name}
          maxLength={200}
          onChange={(event) => setName(event.target.value)}
        />
        {props.error ? <div className="banner banner-error">{props.error}</div> : null}
        <div className="dialog-buttons">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={props.busy || name.trim() === ""}
            data-testid="rename-dialog.confirm"
          >
            Rename
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function WorkflowList() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.workflow.list.queryOptions());
  // Workflows shared with the person are listed under "Shared with me" (with their role), not with their own.
  const shared = useQuery(trpc.sharing.sharedWithMe.queryOptions());
  const sharedIds = new Set(shared.data?.map((workflow) => workflow.id) ?? []);
  const ownWorkflows = list.data?.filter((workflow) => !sharedIds.has(workflow.id));
  const trash = useQuery(trpc.workflow.listDeleted.queryOptions());
  const invalidate = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.workflow.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.workflow.listDeleted.queryKey() }),
    ]);
  const create = useMutation(trpc.workflow.create.mutationOptions());
  const rename = useMutation(trpc.workflow.rename.mutationOptions());
  const duplicate = useMutation(trpc.workflow.duplicate.mutationOptions());
  const remove = useMutation(trpc.workflow.delete.mutationOptions());
  const restore = useMutation(trpc.workflow.restore.mutationOptions());
  const importWorkflow = useMutation(trpc.workflow.import.mutationOptions());
  const client = useTRPCClient();

  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  // A DNO Studio PNG (downloaded from a run page) dropped anywhere on the list opens its workflow.
  usePngWorkflowDrop(setInfo);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [renameError, setRenameError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  // Asked fresh each time the dialog opens: runs going on it are cancelled with the workflow.
  const activeRuns = useQuery({
    ...trpc.workflow.activeRuns.queryOptions({ workflowId: deleting?.id ?? "" }),
    enabled: deleting !== null,
    staleTime: 0,
  });
  const runsQuestion = deleting && activeRuns.data ? activeRunsQuestion(activeRuns.data) : null;

  const fail = (caught: unknown) => {
    setInfo(null);
    setError(describeError(caught));
  };

  const onCreate = () => {
    const trimmed = name.trim();
    if (trimmed === "") {
      setError("Give the new workflow a name first.");
      return;
    }
    setError(null);
    create.mutate(
      { name: trimmed },
      {
        onSuccess: (workflow) => {
          void invalidate();
          router.push(`/workflows/${workflow.id}`);
        },
        onError: fail,
      },
    );
  };

  const onImportFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    setError(null);
    setInfo(null);
    if (file.size > MAX_IMPORT_BYTES) {
      setError(
        `“${file.name}” is ${(file.size / 1024 / 1024).toFixed(1)} MB; workflow files larger than ` +
          `${MAX_IMPORT_BYTES / 1024 / 1024} MB are refused. Is this the right file?`,
      );
      return;
    }
    const text = await file.text();
    importWorkflow.mutate(
      { text, fileName: file.name },
      {
        onSuccess: (workflow) => {
          setInfo(`Imported “${workflow.name}”.`);
          void invalidate();
        },
        onError: fail,
      },
    );
  };

  const onExport = async (id: string, workflowName: string) => {
    try {
      const exported = await client.workflow.export.query({ workflowId: id });
      downloadText(exported.fileName || `${safeFileName(workflowName)}.dno.json`, exported.json);
    } catch (caught) {
      fail(caught);
    }
  };

  return (
    <>
      <AppHeader />
      <main className="list-page" data-testid="workflow-list">
        <h1>Workflows</h1>
        <p className="muted">
          A workflow wires Prompt, Noise, Sampler, Reward, Guard and Optimizer nodes into a pipeline that
          nudges a diffusion model's starting noise until the picture scores well, without reward hacking.
          Every save keeps a version you can go back to.
        </p>
        <div className="list-actions">
          <form
            onSubmit={(event) => {
              event.preventDefault();
              onCreate();
            }}
          >
            <input
              className="input"
              placeholder="New workflow name"
              aria-label="New workflow name"
              data-testid="workflows.create.name"
              value={name}
              maxLength={200}
              onChange={(event) => setName(event.target.value)}
            />
            <button
              type="submit"
              className="btn btn-primary"
              disabled={create.isPending}
              data-testid="workflows.create.submit"
            >
              Create
            </button>
          </form>
          <span className="spacer" />
          <label className="btn" title="Import a workflow exported as JSON">
            Import JSON…
            <input
              type="file"
              accept=".json,application/json"
              hidden
              data-testid="workflows.import.input"
              onChange={(event) => void onImportFile(event)}
            />
          </label>
        </div>
        {error ? (
          <div className="banner banner-error" role="alert" data-testid="workflows.error">
            {error}
          </div>
        ) : null}
        {info ? (
          <div className="banner banner-info" role="status" data-testid="workflows.info">
            {info}
          </div>
        ) : null}
        {list.isPending ? <div className="loading">Loading workflows…</div> : null}
        {list.isError ? <div className="banner banner-error">{describeError(list.error)}</div> : null}
        {ownWorkflows ? (
          ownWorkflows.length === 0 ? (
            <div className="banner banner-info">
              No workflows yet. Create one above, or import a JSON file.
            </div>
          ) : (
            <table className="workflow-table" data-testid="workflows.table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Version</th>
                  <th>Updated</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {ownWorkflows.map((workflow) => (
                  <tr
                    key={workflow.id}
                    data-testid={`workflows.item.${workflow.id}`}
                    data-name={workflow.name}
                  >
                    <td>
                      <Link
                        href={`/workflows/${workflow.id}`}
                        className="workflow-name"
                        data-testid={`workflows.item.${workflow.id}.open`}
                      >
                        {workflow.name}
                      </Link>
                      {workflow.exampleSlug ? <span className="faint"> · example</span> : null}
                      <UnreadComments
                        workflowIds={ownWorkflows.map((item) => item.id)}
                        workflowId={workflow.id}
                      />
                      {workflow.description ? <div className="muted">{workflow.description}</div> : null}
                    </td>
                    <td>
                      v{workflow.headVersion.number}
                      {workflow.headVersion.message ? (
                        <div className="faint">{workflow.headVersion.message}</div>
                      ) : null}
                    </td>
                    <td className="muted">{formatDate(workflow.updatedAt)}</td>
                    <td>
                      <div className="row-actions">
                        <button
                          type="button"
                          className="btn btn-small"
                          data-testid={`workflows.item.${workflow.id}.rename`}
                          onClick={() => {
                            setRenameError(null);
                            setRenaming({ id: workflow.id, name: workflow.name });
                          }}
                        >
                          Rename
                        </button>
                        <button
                          type="button"
                          className="btn btn-small"
                          data-testid={`workflows.item.${workflow.id}.duplicate`}
                          disabled={duplicate.isPending}
                          onClick={() =>
                            duplicate.mutate(
                              { workflowId: workflow.id },
                              {
                                onSuccess: (copy) => {
                                  setInfo(`Created “${copy.name}”.`);
                                  void invalidate();
                                },
                                onError: fail,
                              },
                            )
                          }
                        >
                          Duplicate
                        </button>
                        <button
                          type="button"
                          className="btn btn-small"
                          data-testid={`workflows.item.${workflow.id}.export`}
                          onClick={() => void onExport(workflow.id, workflow.name)}
                        >
                          Export
                        </button>
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          data-testid={`workflows.item.${workflow.id}.delete`}
                          onClick={() => setDeleting({ id: workflow.id, name: workflow.name })}
                        >
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        ) : null}
        <SharedWithMe />
        {trash.data && trash.data.length > 0 ? (
          <details className="trash" data-testid="workflows.trash">
            <summary>Trash ({trash.data.length})</summary>
            <table className="workflow-table">
              <tbody>
                {trash.data.map((workflow) => (
                  <tr
                    key={workflow.id}
                    data-testid={`workflows.trash.${workflow.id}`}
                    data-name={workflow.name}
                  >
                    <td>{workflow.name}</td>
                    <td className="muted">deleted {formatDate(workflow.deletedAt)}</td>
                    <td>
                      <div className="row-actions">
                        <button
                          type="button"
                          className="btn btn-small"
                          data-testid={`workflows.trash.${workflow.id}.restore`}
                          disabled={restore.isPending}
                          onClick={() =>
                            restore.mutate(
                              { workflowId: workflow.id },
                              {
                                onSuccess: (restored) => {
                                  setError(null);
                                  setInfo(`Restored “${restored.name}”.`);
                                  void invalidate();
                                },
                                onError: fail,
                              },
                            )
                          }
                        >
                          Restore
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        ) : null}
      </main>
      {renaming ? (
        <RenameDialog
          initial={renaming.name}
          busy={rename.isPending}
          error={renameError}
          onClose={() => setRenaming(null)}
          onSave={(newName) =>
            rename.mutate(
              { workflowId: renaming.id, name: newName },
              {
                onSuccess: () => {
                  setRenaming(null);
                  void invalidate();
                },
                onError: (caught) => setRenameError(describeError(caught)),
              },
            )
          }
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete workflow?"
          message={
            <>
              {runsQuestion ? <p data-testid="confirm-dialog.active-runs">{runsQuestion}</p> : null}
              <p>
                “{deleting.name}” moves to the trash with its versions and runs; you can restore it from
                there.
              </p>
            </>
          }
          confirmLabel={runsQuestion ? "Delete and cancel" : "Delete"}
          busy={remove.isPending || activeRuns.isPending}
          onCancel={() => setDeleting(null)}
          onConfirm={() =>
            remove.mutate(
              { workflowId: deleting.id },
              {
                onSuccess: (result) => {
                  const cancelled = result.cancelledRuns;
                  setDeleting(null);
                  setError(null);
                  setInfo(
                    `Moved “${deleting.name}” to the trash` +
                      (cancelled > 0 ? `; cancelled ${cancelled} run${cancelled === 1 ? "" : "s"}.` : "."),
                  );
                  void invalidate();
                },
                onError: (caught) => {
                  setDeleting(null);
                  fail(caught);
                },
              },
            )
          }
        />
      ) : null}
    </>
  );
}
