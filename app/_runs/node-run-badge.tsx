"use client";
/** A node's state in the editor's live run: queued, running (with progress on the Optimizer), done, failed. */
import { nodeRunState, useLiveRun } from "./live-run-store";

const LABELS = {
  queued: "Queued",
  running: "Running",
  done: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
  interrupted: "Interrupted",
  refused: "Cannot run",
} as const;

export function NodeRunBadge(props: { readonly nodeId: string; readonly nodeType: string }) {
  const live = useLiveRun();
  const state = nodeRunState(live, props.nodeId, props.nodeType);
  if (!state) return null;
  return (
    <div
      className={`node-run node-run-${state.status}`}
      data-testid={`node.${props.nodeId}.run`}
      data-run-status={state.status}
    >
      <div className="node-run-head">
        <span className="node-run-label">{LABELS[state.status]}</span>
        {state.progress !== undefined ? (
          <span
            className="node-run-progress"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(state.progress * 100)}
          >
            <span style={{ width: `${Math.round(state.progress * 100)}%` }} />
          </span>
        ) : null}
      </div>
      {state.message ? <div className="node-run-message">{state.message}</div> : null}
      {state.imageUrl ? (
        // biome-ignore lint/performance/noImgElement: artifact PNGs are served as they are, no optimizer needed
        <img
          className="node-run-image"
          src={state.imageUrl}
          alt="Latest iteration"
          data-testid={`node.${props.nodeId}.image`}
        />
      ) : null}
    </div>
  );
}
