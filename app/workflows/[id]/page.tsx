import { headers } from "next/headers";
import { EditorPage, type InitialWorkflow } from "@/app/_editor/ui/editor-page";
import { createCaller } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";

export const dynamic = "force-dynamic";

/**
 * The workflow is read on the server while the page is rendered, so the editor does not wait for its
 * JavaScript to load before asking for the document (one round trip less on open). A failure is left to
 * the client's query, which shows the server's message.
 */
export default async function WorkflowEditorRoute(props: { params: Promise<{ id: string }> }) {
  const { id } = await props.params;
  let initial: InitialWorkflow | null = null;
  try {
    const caller = createCaller(await createTRPCContext({ headers: await headers() }));
    initial = await caller.workflow.get({ workflowId: id });
  } catch {
    initial = null;
  }
  return <EditorPage workflowId={id} initialWorkflow={initial} />;
}
