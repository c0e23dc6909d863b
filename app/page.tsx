import { WorkflowList } from "./_components/workflow-list";

export const dynamic = "force-dynamic";

export default function HomePage() {
  return <WorkflowList />;
}
