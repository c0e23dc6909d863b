/**
 * Sends a file to the upload endpoint (app/api/uploads) as the raw request body, reporting progress.
 * XMLHttpRequest rather than fetch: fetch has no upload progress events.
 */

export type UploadKind = "scorer" | "model";

export interface UploadedAsset {
  id: string;
  kind: UploadKind;
  name: string;
  byteSize: number;
  modelId: string | null;
}

export function uploadFile(
  file: File,
  kind: UploadKind,
  onProgress: (fraction: number) => void,
): Promise<{ asset: UploadedAsset; existing: boolean }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    const query = new URLSearchParams({ kind, name: file.name });
    request.open("POST", `/api/uploads?${query.toString()}`);
    request.setRequestHeader("content-type", "application/octet-stream");
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    request.onerror = () =>
      reject(new Error("The upload did not reach the server. Check the connection and try again."));
    request.onload = () => {
      let body: { asset?: UploadedAsset; existing?: boolean; error?: string } = {};
      try {
        body = JSON.parse(request.responseText) as typeof body;
      } catch {
        // A refusal from a proxy in front of the app may be plain text.
        body = { error: request.responseText.trim() || `The upload failed (HTTP ${request.status}).` };
      }
      if (request.status >= 200 && request.status < 300 && body.asset) {
        resolve({ asset: body.asset, existing: body.existing === true });
      } else {
        reject(new Error(body.error ?? `The upload failed (HTTP ${request.status}).`));
      }
    };
    request.send(file);
  });
}

/** "1.4 MB": sizes in lists. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} B`;
}
