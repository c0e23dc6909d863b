import { describe, expect, it } from "vitest";
import { parseAllowedHosts } from "./host-allow-list";
import { hostRefusal, servingRefusal } from "./serving-guard";

const settings = { hosts: parseAllowedHosts(undefined), maxBodyBytes: 1024 };
const request = (headers: Record<string, string>) => ({ headers: new Headers(headers) });

describe("servingRefusal", () => {
  it("lets an allowed host with a small body through", () => {
    expect(
      servingRefusal(request({ host: "127.0.0.1:3100", "content-length": "10" }), { settings }),
    ).toBeNull();
  });

  it("answers a foreign Host with 421 and a plain message, before looking at the body", async () => {
    const response = servingRefusal(request({ host: "evil.example", "content-length": "99999999" }), {
      settings,
    });
    expect(response?.status).toBe(421);
    expect(response?.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await response?.text()).toBe(
      "This server does not answer to host evil.example. Add it to ALLOWED_HOSTS.\n",
    );
  });

  it("answers a body over the limit with 413; a route may pass its own larger limit", async () => {
    const big = request({ host: "localhost:3000", "content-length": "2048" });
    const response = servingRefusal(big, { settings });
    expect(response?.status).toBe(413);
    expect(await response?.text()).toContain("limit of 1 KiB (1024 bytes)");
    expect(servingRefusal(big, { settings, maxBodyBytes: 4096 })).toBeNull();
  });
});

// next.config.js is plain JavaScript (allowJs is off): import it by a non-literal path and state its type.
const NEXT_CONFIG = "../../next.config.js";
type SecurityHeaders = (dev?: boolean) => { key: string; value: string }[];

describe("securityHeaders (next.config.js)", () => {
  it("sends a CSP without eval in production, with it only for next dev", async () => {
    const { securityHeaders } = (await import(NEXT_CONFIG)) as { securityHeaders: SecurityHeaders };
    const byName = (dev: boolean) => new Map(securityHeaders(dev).map(({ key, value }) => [key, value]));
    const production = byName(false);
    expect(production.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(production.get("Content-Security-Policy")).not.toContain("unsafe-eval");
    expect(byName(true).get("Content-Security-Policy")).toContain("'unsafe-eval'");
    expect(production.get("X-Content-Type-Options")).toBe("nosniff");
    expect(production.get("X-Frame-Options")).toBe("DENY");
    expect(production.get("Referrer-Policy")).toBe("same-origin");
  });
});

describe("hostRefusal (the upload route's check)", () => {
  it("refuses a foreign Host whatever the body size, and lets loopback through", () => {
    expect(hostRefusal(request({ host: "evil.example" }), settings)?.status).toBe(421);
    expect(
      hostRefusal(request({ host: "localhost:3000", "content-length": "999999999" }), settings),
    ).toBeNull();
  });
});
