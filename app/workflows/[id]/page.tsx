import { EditorPage } from "@/app/_editor/ui/editor-page";

export const dynamic = "force-dynamic";

export default async function WorkflowEditorRoute(props: { params: Promise<{ id: string }> }) {
  const { id } = await props.params;
  return <EditorPage workflowId={id} />;
}
