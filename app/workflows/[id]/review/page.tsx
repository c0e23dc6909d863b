import { ReviewPage, type ReviewSource } from "@/app/_proposals/review-page";

export const dynamic = "force-dynamic";

/** Review mode: /workflows/ID/review?version=V | ?run=R | ?proposal=P (no parameter: the current version). */
export default async function ReviewRoute(props: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ version?: string; run?: string; proposal?: string; onto?: string }>;
}) {
  const { id } = await props.params;
  const query = await props.searchParams;
  const source: ReviewSource | null = query.proposal
    ? { proposalId: query.proposal, ...(query.onto === "head" ? { onto: "head" as const } : {}) }
    : query.run
      ? { runId: query.run }
      : query.version
        ? { versionId: query.version }
        : null;
  return <ReviewPage workflowId={id} source={source} />;
}
