import { RunView } from "@/app/_runs/run-view";

export const dynamic = "force-dynamic";

export default async function RunRoute(props: { params: Promise<{ id: string }> }) {
  const { id } = await props.params;
  return <RunView runId={id} />;
}
