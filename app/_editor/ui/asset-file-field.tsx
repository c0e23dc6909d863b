"use client";
/**
 * The "file" widget: a param holding an uploaded asset's id. The user picks one of the files already
 * uploaded, or uploads a new one (progress shown); the node stores only the id, never a path.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatSize, type UploadKind, uploadFile } from "@/app/_lib/upload-file";
import { useTRPC } from "@/app/_trpc/provider";

export interface AssetFileFieldProps {
  readonly inputId: string;
  readonly testId: string;
  readonly value: string;
  readonly accept: string | undefined;
  readonly readOnly: boolean;
  readonly invalid: boolean;
  readonly onPick: (assetId: string) => void;
}

export function AssetFileField(props: AssetFileFieldProps) {
  const kind: UploadKind = props.accept?.includes(".zip") ? "model" : "scorer";
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const assets = useQuery(trpc.assets.list.queryOptions({ kind }));
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const options = assets.data ?? [];
  const current = options.find((asset) => asset.id === props.value);

  const upload = async (file: File) => {
    setError(null);
    setProgress(0);
    try {
      const { asset } = await uploadFile(file, kind, setProgress);
      await queryClient.invalidateQueries({ queryKey: trpc.assets.list.queryKey() });
      props.onPick(asset.id);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setProgress(null);
    }
  };

  return (
    <>
      <div className="param-row">
        <select
          id={props.inputId}
          className="input nodrag"
          data-testid={props.testId}
          value={props.value}
          disabled={props.readOnly || progress !== null}
          aria-invalid={props.invalid}
          onChange={(event) => props.onPick(event.target.value)}
        >
          <option value="">
            {options.length > 0 ? "— choose an uploaded file —" : "— nothing uploaded yet —"}
          </option>
          {props.value !== "" && !current ? (
            <option value={props.value}>{assets.isPending ? "(loading…)" : "(missing upload)"}</option>
          ) : null}
          {options.map((asset) => (
            <option key={asset.id} value={asset.id}>
              {asset.name} ({formatSize(asset.byteSize)})
            </option>
          ))}
        </select>
        <label className="btn btn-small nodrag" title="Upload a file from this computer">
          {progress === null ? "Upload…" : "Uploading…"}
          <input
            type="file"
            hidden
            accept={props.accept}
            data-testid={`${props.testId}.file`}
            disabled={props.readOnly || progress !== null}
            onChange={(event) => {
              const file = event.target.files?.[0];
              event.target.value = "";
              if (file) void upload(file);
            }}
          />
        </label>
      </div>
      {progress !== null ? (
        <div className="param-note" data-testid={`${props.testId}.progress`} role="status">
          <span className="spinner" aria-hidden="true" /> Uploading… {Math.round(progress * 100)} %
        </div>
      ) : current ? (
        <div className="param-note" data-testid={`${props.testId}.name`}>
          Uploaded file: {current.name}
        </div>
      ) : null}
      {error ? (
        <div className="param-error" data-testid={`${props.testId}.upload-error`} role="alert">
          {error}
        </div>
      ) : null}
    </>
  );
}
