import { ProposalList } from "@/app/_proposals/proposal-list";

export const dynamic = "force-dynamic";

export default async function ProposalsRoute(props: { params: Promise<{ id: string }> }) {
  const { id } = await props.params;
  return <ProposalList workflowId={id} />;
}
