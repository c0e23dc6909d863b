import { ProposalView } from "@/app/_proposals/proposal-view";

export const dynamic = "force-dynamic";

export default async function ProposalRoute(props: { params: Promise<{ id: string; proposalId: string }> }) {
  const { id, proposalId } = await props.params;
  return <ProposalView workflowId={id} proposalId={proposalId} />;
}
