"use client";
/** A queued run's place in line and estimated start, refreshed while it waits (run page, run bar). */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/provider";
import { queueLine } from "./queue-words";

/** The queue moves as runs finish; a few seconds keeps the line honest without loading the server. */
const REFRESH_MS = 3000;

export function QueuePlace(props: { readonly runId: string; readonly testId: string }) {
  const trpc = useTRPC();
  const place = useQuery({
    ...trpc.run.queuePosition.queryOptions({ runId: props.runId }),
    refetchInterval: REFRESH_MS,
  });
  const line = place.data ? queueLine(place.data) : null;
  if (!place.data || line === null) return null;
  const { estimate, queued, slots } = place.data;
  const why =
    estimate && estimate.kind !== "estimate"
      ? estimate.reason
      : `Among ${queued} queued run${queued === 1 ? "" : "s"} (everyone's), with ${slots} run${slots === 1 ? "" : "s"} at a time on the live workers.`;
  return (
    <span className="muted queue-place" data-testid={props.testId} title={why}>
      {line}
    </span>
  );
}
