"use client";
/**
 * Uploaded files (scoring models and diffusion models): upload, see where each is used, delete unused ones.
 * The editor's file field and model picker list the same uploads.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { AppHeader } from "./app-header";
import { useState } from "react";
import { describeError } from "@/app/_lib/errors";
import { formatSize, type UploadKind, uploadFile } from "@/app/_lib/upload-file";
import { useTRPC } from "@/app/_trpc/provider";
import { ConfirmDialog } from "./dialog";

const KIND_LABELS: Record<UploadKind, string> = { scorer: "Scoring model", model: "Diffusion model" };

export function AssetList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const assets = useQuery(trpc.assets.list.queryOptions());
  const remove = useMutation(trpc.assets.delete.mutationOptions());
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<{ id: string; name: string } | null>(null);

  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.assets.list.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.models.list.queryKey() });
  };

  const onUpload = async (file: File, kind: UploadKind) => {
    setError(null);
    setInfo(null);
    setProgress(0);
    try {
      const { asset, existing } = await uploadFile(file, kind, setProgress);
      setInfo(existing ? `“${asset.name}” was already uploaded.` : `Uploaded “${asset.name}”.`);
      await refresh();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setProgress(null);
    }
  };

  const uploadButton = (kind: UploadKind, accept: string, text: string) => (
    <label className="btn" title={`Upload a ${KIND_LABELS[kind].toLowerCase()} from this computer`}>
      {text}
      <input
        type="file"
        hidden
        accept={accept}
        disabled={progress !== null}
        data-testid={`assets.upload.${kind}`}
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = "";
          if (file) void onUpload(file, kind);
        }}
      />
    </label>
  );

  return (
    <>
      <AppHeader />
      <main className="list-page" data-testid="asset-list">
        <h1>Uploaded files</h1>
        <p className="muted">
          Scoring models (.onnx, for the Reward node's “Custom ONNX scoring model”) and diffusion models (a
          diffusers ONNX export as a .zip, for the Sampler). Files are checked when uploaded; one that a
          workflow uses cannot be deleted until the workflow picks another.
        </p>
        <div className="list-actions">
          {uploadButton("scorer", ".onnx", "Upload scoring model (.onnx)…")}
          {uploadButton("model", ".zip", "Upload diffusion model (.zip)…")}
          <span className="spacer" />
          <Link href="/" className="btn" data-testid="assets.back">
            Back to workflows
          </Link>
        </div>
        {progress !== null ? (
          <div className="banner" role="status" data-testid="assets.progress">
            <span className="spinner" aria-hidden="true" /> Uploading… {Math.round(progress * 100)} %
          </div>
        ) : null}
        {error ? (
          <div className="banner banner-error" role="alert" data-testid="assets.error">
            {error}
          </div>
        ) : null}
        {info ? (
          <div className="banner" role="status" data-testid="assets.info">
            {info}
          </div>
        ) : null}
        {assets.error ? <div className="banner banner-error">{describeError(assets.error)}</div> : null}
        {assets.data && assets.data.length === 0 ? (
          <p className="muted" data-testid="assets.empty">
            Nothing uploaded yet.
          </p>
        ) : null}
        {assets.data && assets.data.length > 0 ? (
          <table className="workflow-table" data-testid="assets.table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Size</th>
                <th>Uploaded by</th>
                <th>Uploaded</th>
                <th>Used by</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {assets.data.map((asset) => (
                <tr key={asset.id} data-testid={`assets.row.${asset.id}`}>
                  <td data-testid={`assets.row.${asset.id}.name`}>{asset.name}</td>
                  <td>{KIND_LABELS[asset.kind]}</td>
                  <td>{formatSize(asset.byteSize)}</td>
                  <td>{asset.uploadedById ?? "—"}</td>
                  <td>
                    {new Date(asset.createdAt).toLocaleString(undefined, {
                      dateStyle: "medium",
                      timeStyle: "short",
                    })}
                  </td>
                  <td data-testid={`assets.row.${asset.id}.used-by`}>
                    {asset.usedBy.length === 0 && asset.usedByOthers === 0
                      ? "—"
                      : asset.usedBy.map((use, index) => (
                          <span key={use.workflowId}>
                            {index > 0 ? ", " : null}
                            {use.inTrash ? (
                              `${use.workflowName} (in the trash)`
                            ) : (
                              <Link href={`/workflows/${use.workflowId}`}>{use.workflowName}</Link>
                            )}
                          </span>
                        ))}
                    {/* Workflows the person may not open are counted, never named. */}
                    {asset.usedByOthers > 0
                      ? `${asset.usedBy.length > 0 ? ", " : ""}${asset.usedByOthers} workflow${asset.usedByOthers === 1 ? "" : "s"} of other people`
                      : null}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="btn btn-small btn-danger"
                      disabled={asset.usedBy.length + asset.usedByOthers > 0 || remove.isPending}
                      title={
                        asset.usedBy.length + asset.usedByOthers > 0
                          ? "Used by a workflow: pick another file there first"
                          : "Delete this upload"
                      }
                      data-testid={`assets.delete.${asset.id}`}
                      onClick={() => setConfirming({ id: asset.id, name: asset.name })}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </main>
      {confirming ? (
        <ConfirmDialog
          title="Delete upload"
          message={`Delete “${confirming.name}”? Workflows can no longer use it until it is uploaded again.`}
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            setError(null);
            remove.mutate(
              { assetId: confirming.id },
              {
                onSuccess: () => {
                  setInfo(`Deleted “${confirming.name}”.`);
                  void refresh();
                },
                onError: (failure) => setError(describeError(failure)),
                onSettled: () => setConfirming(null),
              },
            );
          }}
        />
      ) : null}
    </>
  );
}
