/**
 * Helpers for specs with several people: tRPC calls over HTTP in one person's context, and a second person
 * invited by the owner who signs up in a fresh browser context through the auth library's HTTP API.
 */
import { type APIRequestContext, type Browser, type BrowserContext, expect, test } from "@playwright/test";
import { signedOutState } from "./accounts";

export function baseUrl(): string {
  return test.info().project.use.baseURL ?? "http://127.0.0.1:3100";
}

/** A tRPC call as the browser makes it (superjson envelope), in the given person's context. */
export async function trpc<T>(
  request: APIRequestContext,
  path: string,
  input: unknown,
  kind: "query" | "mutation" = "mutation",
): Promise<T> {
  const headers = { origin: baseUrl(), "content-type": "application/json" };
  const response =
    kind === "mutation"
      ? await request.post(`/api/trpc/${path}`, { headers, data: { json: input } })
      : await request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, {
          headers,
        });
  const body = (await response.json()) as { result?: { data?: { json?: T } }; error?: unknown };
  if (!response.ok() || body.result?.data === undefined) {
    throw new Error(`${path} failed (${response.status()}): ${JSON.stringify(body.error ?? body)}`);
  }
  return body.result.data.json as T;
}

/** Invited by the owner (`owner` is their request context), then signed up and signed in in a fresh context. */
export async function invitedPerson(
  browser: Browser,
  owner: APIRequestContext,
  person: { name: string; email: string; password: string },
): Promise<BrowserContext> {
  const invitation = await trpc<{ link: string }>(owner, "account.createInvitation", {
    email: person.email,
    role: "user",
  });
  const token = new URL(invitation.link).searchParams.get("invitation") ?? "";
  const context = await browser.newContext({ baseURL: baseUrl(), storageState: signedOutState(baseUrl()) });
  const response = await context.request.post("/api/auth/sign-up/email", {
    headers: { origin: baseUrl(), "x-dno-invitation": token },
    data: { name: person.name, email: person.email, password: person.password },
  });
  expect(response.ok(), await response.text()).toBe(true);
  return context;
}
