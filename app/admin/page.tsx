import { AdminPanel } from "../_auth/admin-panel";

export const dynamic = "force-dynamic";

export default function AdminPage() {
  return <AdminPanel />;
}
