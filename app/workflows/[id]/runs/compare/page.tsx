import { RunCompare } from "@/app/_runs/run-compare";

export const dynamic = "force-dynamic";

export default async function RunCompareRoute(props: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ ids?: string }>;
}) {
  const { id } = await props.params;
  const { ids } = await props.searchParams;
  const runIds = (ids ?? "")
    .split(",")
    .map((value) => value.trim())
    .filter((value) => value !== "")
    .slice(0, 8);
  return <RunCompare workflowId={id} runIds={runIds} />;
}
