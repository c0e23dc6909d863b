import { RunHistory } from "@/app/_runs/run-history";

export const dynamic = "force-dynamic";

export default async function RunHistoryRoute(props: { params: Promise<{ id: string }> }) {
  const { id } = await props.params;
  return <RunHistory workflowId={id} />;
}
