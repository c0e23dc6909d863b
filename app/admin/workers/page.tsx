import { WorkersPanel } from "../../_admin/workers-panel";

export const dynamic = "force-dynamic";

export default function AdminWorkersPage() {
  return <WorkersPanel />;
}
