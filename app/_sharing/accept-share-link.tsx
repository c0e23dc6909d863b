"use client";
/**
 * /share/<token>: the signed-in visitor accepts the link (anonymous visitors were sent to sign in first, and
 * come back here), then the workflow opens. An unknown, expired or revoked link says so and changes nothing.
 */
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";

export function AcceptShareLink(props: { readonly token: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const accept = useMutation(trpc.sharing.acceptLink.mutationOptions());
  const started = useRef(false);
  useEffect(() => {
    // Once per page: React's development double effects must not accept twice.
    if (started.current) return;
    started.current = true;
    accept.mutate(
      { token: props.token },
      { onSuccess: (result) => router.replace(`/workflows/${result.workflowId}`) },
    );
  }, [accept, props.token, router]);
  return (
    <main className="list-page" data-testid="share-link">
      <h1>Shared workflow</h1>
      {accept.isError ? (
        <>
          <div className="banner banner-error" role="alert" data-testid="share-link.error">
            {describeError(accept.error)}
          </div>
          <Link href="/">← All workflows</Link>
        </>
      ) : accept.data ? (
        <div className="banner banner-info" role="status" data-testid="share-link.accepted">
          {accept.data.changed
            ? `You now have ${accept.data.role} access to “${accept.data.workflowName}”. Opening it…`
            : `You already have ${accept.data.role} access to “${accept.data.workflowName}”. Opening it…`}
        </div>
      ) : (
        <div className="loading">Opening the link…</div>
      )}
    </main>
  );
}
