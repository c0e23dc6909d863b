import { AssetList } from "../_components/asset-list";

export const dynamic = "force-dynamic";

export default function AssetsPage() {
  return <AssetList />;
}
