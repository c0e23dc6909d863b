"use client";
/**
 * tRPC + React Query wiring for every page: one QueryClient per browser tab, one tRPC client talking to
 * /api/trpc with superjson (the server's transformer, so Dates arrive as Dates).
 */
import "@/app/_lib/zod-without-eval";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { ReactNode } from "react";
import { useState } from "react";
import superjson from "superjson";
import type { AppRouter } from "@/server/api/root";
import { signInAgainOnUnauthorized } from "../_auth/sign-in-again";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

function makeQueryClient(): QueryClient {
  return new QueryClient({
    // A session that ended while the page was open: go sign in again (app/_auth/sign-in-again.ts).
    queryCache: new QueryCache({ onError: signInAgainOnUnauthorized }),
    mutationCache: new MutationCache({ onError: signInAgainOnUnauthorized }),
    defaultOptions: {
      // Workflows change only through this UI; refetching on every focus would just flicker.
      queries: { staleTime: 5_000, refetchOnWindowFocus: false, retry: 1 },
    },
  });
}

export function TrpcProviders({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        // Subscriptions (live run progress) travel as server-sent events; everything else is batched.
        splitLink({
          condition: (op) => op.type === "subscription",
          true: httpSubscriptionLink({ url: "/api/trpc", transformer: superjson }),
          false: httpBatchLink({ url: "/api/trpc", transformer: superjson }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
