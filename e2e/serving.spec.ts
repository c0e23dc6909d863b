/**
 * Safe serving defaults against the production build: security headers on pages and API answers, a foreign
 * Host refused (DNS rebinding), request bodies over MAX_BODY_BYTES (4 MiB by default) refused from their
 * declared length, and the app working under its Content-Security-Policy (no violation on the list page or
 * in the editor). Raw requests go through node:http, which sends exactly the Host and lengths given.
 */
import http from "node:http";
import { expect, test } from "@playwright/test";
import { EditorPage } from "./pages/editor-page";
import { WorkflowListPage } from "./pages/workflow-list-page";

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with the headers given as they are (fetch would set Host and Content-Length itself). */
function rawRequest(
  baseURL: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | Buffer[] },
): Promise<RawAnswer> {
  const base = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: options.method ?? "GET",
        path: options.path,
        headers: options.headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    request.on("error", reject);
    for (const part of Array.isArray(options.body) ? options.body : options.body ? [options.body] : [])
      request.write(part);
    request.end();
  });
}

function expectSecurityHeaders(headers: Record<string, string | string[] | undefined>): void {
  const csp = String(headers["content-security-policy"]);
  for (const directive of [
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ]) {
    expect(csp).toContain(directive);
  }
  expect(csp).not.toContain("unsafe-eval");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
  expect(headers["x-frame-options"]).toBe("DENY");
}

test("pages, API answers and refusals carry the security headers", async ({ request }) => {
  const page = await request.get("/");
  expect(page.status()).toBe(200);
  expectSecurityHeaders(page.headers());
  const api = await request.get("/api/trpc/workflow.list");
  expect(api.status()).toBe(200);
  expectSecurityHeaders(api.headers());
});

test("a Host that is not on the allow-list is refused with a plain message", async ({ baseURL }) => {
  for (const path of ["/", "/api/trpc/workflow.list"]) {
    const answer = await rawRequest(baseURL!, { path, headers: { Host: "evil.example:3100" } });
    expect(answer.status).toBe(421);
    expect(answer.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(answer.body).toBe("This server does not answer to host evil.example. Add it to ALLOWED_HOSTS.\n");
    expectSecurityHeaders(answer.headers);
  }
  // The loopback names are answered on any port (the sign-in page: this raw request carries no session).
  const local = await rawRequest(baseURL!, { path: "/sign-in", headers: { Host: "localhost:3100" } });
  expect(local.status).toBe(200);
});

test("a request body over MAX_BODY_BYTES is refused with 413 from its length; chunked with 411", async ({
  baseURL,
  request,
}) => {
  const before = (await (await request.get("/api/trpc/workflow.list")).text()).length;
  // 6 MiB of a workflow-create body: over the 4 MiB default, refused before tRPC parses any of it.
  const chunk = Buffer.alloc(1024 * 1024, "a");
  const body = Array.from({ length: 6 }, () => chunk);
  const tooLarge = await rawRequest(baseURL!, {
    method: "POST",
    path: "/api/trpc/workflow.create",
    headers: { "content-type": "application/json", "content-length": String(6 * 1024 * 1024) },
    body,
  });
  expect(tooLarge.status).toBe(413);
  expect(tooLarge.body).toBe(
    "The request body is larger than the server's limit of 4 MiB (4194304 bytes). Send less data, or raise MAX_BODY_BYTES on the server.\n",
  );
  const chunked = await rawRequest(baseURL!, {
    method: "POST",
    path: "/api/trpc/workflow.create",
    headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    body: [Buffer.from('{"name":'), Buffer.from('"x"}')],
  });
  expect(chunked.status).toBe(411);
  expect(chunked.body).toContain("Send the request with a Content-Length header");
  // Nothing was stored: the list reads the same.
  expect((await (await request.get("/api/trpc/workflow.list")).text()).length).toBe(before);
});

test("the list page, the editor and the uploads page run under the CSP without a violation", async ({
  page,
}) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  page.on("pageerror", (error) => violations.push(`page error: ${error.message}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(
        `Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`,
      );
    });
  });
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  await list.goto();
  await list.open("Brighten with a guard");
  await expect(editor.nodes().first()).toBeVisible();
  await expect(editor.saved()).toBeVisible();
  await list.goto();
  await page.goto("/assets");
  await page.waitForLoadState("networkidle");
  expect(violations).toEqual([]);
});
