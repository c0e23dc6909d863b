/**
 * Messages between a worker supervisor (worker-supervisor.ts: in the web server or in `npm run worker`) and
 * its worker child (child-main.ts), over the child's IPC channel. The child forwards its run events so
 * progress reaches the supervising process's bus at once; the supervisor forwards cancels and wake-ups.
 */
import type { RunEvent } from "./run-events";

export type ParentMessage =
  | { type: "cancel"; runId: string }
  | { type: "wake" }
  /** Stop taking runs; running ones go back to the queue after their current iteration; then exit. */
  | { type: "stop" };

export type ChildMessage =
  | { type: "ready"; workerId: string }
  /** Sent every second: a child that stops sending is blocked in a native call. */
  | { type: "heartbeat" }
  | { type: "event"; event: RunEvent };

function hasType(message: unknown): message is { type: unknown } {
  return typeof message === "object" && message !== null && "type" in message;
}

export function isParentMessage(message: unknown): message is ParentMessage {
  if (!hasType(message)) return false;
  if (message.type === "cancel") return "runId" in message && typeof message.runId === "string";
  return message.type === "wake" || message.type === "stop";
}

export function isChildMessage(message: unknown): message is ChildMessage {
  if (!hasType(message)) return false;
  if (message.type === "event") {
    return (
      "event" in message &&
      typeof message.event === "object" &&
      message.event !== null &&
      "runId" in message.event &&
      typeof message.event.runId === "string"
    );
  }
  if (message.type === "ready") return "workerId" in message && typeof message.workerId === "string";
  return message.type === "heartbeat";
}
