import { AppHeader } from "@/app/_components/app-header";
import { AcceptShareLink } from "@/app/_sharing/accept-share-link";

export const dynamic = "force-dynamic";

/** A share link: the token stays in the address only; the server stores its hash. */
export default async function ShareLinkPage(props: { params: Promise<{ token: string }> }) {
  const { token } = await props.params;
  return (
    <>
      <AppHeader />
      <AcceptShareLink token={token} />
    </>
  );
}
