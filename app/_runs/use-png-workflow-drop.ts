"use client";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { describeError } from "@/app/_lib/errors";
import { useTRPCClient } from "@/app/_trpc/provider";
import { workflowTextFromPng } from "./png-workflow";

/** Imports the workflow of a dropped DNO Studio PNG and opens it. */
export function usePngWorkflowDrop(onMessage: (message: string) => void): void {
  const client = useTRPCClient();
  const router = useRouter();
  useEffect(() => {
    const pngOf = (event: DragEvent): File | null => {
      const files = event.dataTransfer?.files;
      if (!files || files.length === 0) return null;
      const file = files[0];
      return file && (file.type === "image/png" || file.name.toLowerCase().endsWith(".png")) ? file : null;
    };
    const onDragOver = (event: DragEvent) => {
      if (event.dataTransfer?.types.includes("Files")) event.preventDefault();
    };
    const onDrop = async (event: DragEvent) => {
      const file = pngOf(event);
      if (!file) return;
      // Capture phase: the canvas's own drop handling (palette) never sees image files.
      event.preventDefault();
      event.stopPropagation();
      const found = workflowTextFromPng(new Uint8Array(await file.arrayBuffer()));
      if (!found.ok) {
        onMessage(found.message);
        return;
      }
      try {
        const imported = await client.workflow.import.mutate({ text: found.text, fileName: file.name });
        onMessage(`Opened the workflow from ${file.name}.`);
        router.push(`/workflows/${imported.id}`);
      } catch (error) {
        onMessage(describeError(error));
      }
    };
    const drop = (event: DragEvent) => void onDrop(event);
    window.addEventListener("dragover", onDragOver, true);
    window.addEventListener("drop", drop, true);
    return () => {
      window.removeEventListener("dragover", onDragOver, true);
      window.removeEventListener("drop", drop, true);
    };
  }, [client, router, onMessage]);
}
