import { AccountSettings } from "../_auth/account-settings";

export const dynamic = "force-dynamic";

export default function SettingsPage() {
  return <AccountSettings />;
}
