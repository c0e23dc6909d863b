"use client";
/**
 * The run page's comments: threads on the run and on its iterations (each shown with the iteration's image),
 * and a box to comment on the run or on the iteration being looked at.
 */
import "./comments.css";
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "@/app/_trpc/provider";
import { CommentThreads, type TargetChoice } from "./comment-threads";
import { openCommentsText } from "./comment-words";

export function RunComments(props: {
  readonly workflowId: string;
  readonly runId: string;
  readonly versionNumber: number;
  /** The iteration shown by the slider, if any: offered (and preselected) as a target. */
  readonly iteration: number | null;
  readonly focusThreadId: string | null;
  /** Preselect the iteration in the box (after "Comment on this iteration"). */
  readonly onIteration: boolean;
}) {
  const { runId, iteration } = props;
  const targets = useMemo(() => {
    const choices: TargetChoice[] = [
      { label: `the run of version ${props.versionNumber}`, target: { kind: "run", runId } },
    ];
    if (iteration !== null) {
      choices.push({ label: `iteration ${iteration}`, target: { kind: "iteration", runId, iteration } });
    }
    return choices;
  }, [runId, iteration, props.versionNumber]);
  return (
    <CommentThreads
      workflowId={props.workflowId}
      filter={{ runId }}
      targets={targets}
      selectedTarget={props.onIteration && iteration !== null ? 1 : 0}
      focusThreadId={props.focusThreadId}
      testId="run-comments"
    />
  );
}

/** Next to the run's image: "Comment on iteration N", with the open threads already on it. */
export function IterationCommentButton(props: {
  readonly workflowId: string;
  readonly runId: string;
  readonly iteration: number;
  readonly onClick: () => void;
}) {
  const trpc = useTRPC();
  const counts = useQuery(trpc.comments.counts.queryOptions({ workflowId: props.workflowId }));
  const count = counts.data?.byIteration[`${props.runId}:${props.iteration}`] ?? 0;
  return (
    <button
      type="button"
      className="link-btn"
      onClick={props.onClick}
      data-testid="run-page.comment-iteration"
    >
      Comment on iteration {props.iteration}
      {count > 0 ? ` (${openCommentsText(count)})` : ""}
    </button>
  );
}
