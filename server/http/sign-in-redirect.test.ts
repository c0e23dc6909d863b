import { describe, expect, it } from "vitest";
import { signInRedirectTarget } from "./sign-in-redirect";

function request(path: string, init: { method?: string; cookie?: string } = {}) {
  const headers = new Headers(init.cookie ? { cookie: init.cookie } : {});
  return { url: `http://localhost:3000${path}`, method: init.method ?? "GET", headers };
}

describe("signInRedirectTarget", () => {
  it("sends an anonymous page visit to sign in, keeping the page as next", () => {
    expect(signInRedirectTarget(request("/"))?.toString()).toBe("http://localhost:3000/sign-in");
    expect(signInRedirectTarget(request("/workflows/abc?tab=runs"))?.searchParams.get("next")).toBe(
      "/workflows/abc?tab=runs",
    );
  });

  it("lets signed-in visits, the account pages, the API and files through", () => {
    expect(signInRedirectTarget(request("/", { cookie: "better-auth.session_token=abc.def" }))).toBeNull();
    expect(signInRedirectTarget(request("/", { cookie: "__Secure-better-auth.session_token=x" }))).toBeNull();
    for (const path of [
      "/sign-in",
      "/sign-up?invitation=x",
      "/setup",
      "/reset-password",
      "/api/trpc/workflow.list",
      "/_next/static/a.js",
      "/favicon.ico",
    ]) {
      expect(signInRedirectTarget(request(path))).toBeNull();
    }
    expect(signInRedirectTarget(request("/", { method: "POST" }))).toBeNull();
    expect(signInRedirectTarget(request("/", { cookie: "other=1" }))).not.toBeNull();
  });
});
