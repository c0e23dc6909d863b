import { describe, expect, it } from "vitest";
import { foreignHostMessage, isHostAllowed, parseAllowedHosts, splitHostHeader } from "./host-allow-list";

describe("parseAllowedHosts", () => {
  it("allows the loopback names by default, with HOST added unless it is a wildcard address", () => {
    expect(parseAllowedHosts(undefined).entries).toEqual(["localhost", "127.0.0.1", "[::1]"]);
    expect(parseAllowedHosts(undefined, "studio.lan").entries).toEqual([
      "localhost",
      "127.0.0.1",
      "[::1]",
      "studio.lan",
    ]);
    expect(parseAllowedHosts(undefined, "0.0.0.0").entries).toHaveLength(3);
    expect(parseAllowedHosts(undefined, "::").entries).toHaveLength(3);
    expect(parseAllowedHosts(undefined, "::1").entries).toHaveLength(3);
  });

  it("adds the listed names (trimmed, lower case, trailing dot dropped, bare IPv6 bracketed)", () => {
    const list = parseAllowedHosts(" Studio.LAN. , fe80::1,, 10.0.0.5:8080 ");
    expect(list.any).toBe(false);
    expect(list.entries).toEqual([
      "localhost",
      "127.0.0.1",
      "[::1]",
      "studio.lan",
      "[fe80::1]",
      "10.0.0.5:8080",
    ]);
  });

  it("treats * as any host", () => {
    expect(parseAllowedHosts("studio.lan, *").any).toBe(true);
  });
});

describe("splitHostHeader", () => {
  it("splits names, IPv4 and bracketed IPv6 from their port", () => {
    expect(splitHostHeader("127.0.0.1:3100")).toEqual({ name: "127.0.0.1", port: "3100" });
    expect(splitHostHeader("LocalHost")).toEqual({ name: "localhost", port: null });
    expect(splitHostHeader("[::1]:3000")).toEqual({ name: "[::1]", port: "3000" });
    expect(splitHostHeader("example.com.:80")).toEqual({ name: "example.com", port: "80" });
  });

  it("refuses malformed values", () => {
    for (const bad of ["", "a:b:c", "host:port", "[::1", "[::1]x", "evil.example/path", "user@host", "a b"]) {
      expect(splitHostHeader(bad)).toBeNull();
    }
  });
});

describe("isHostAllowed", () => {
  const defaults = parseAllowedHosts(undefined);

  it("answers the loopback names on any port (the e2e server's Host is 127.0.0.1:3100)", () => {
    for (const host of ["127.0.0.1:3100", "localhost:3000", "localhost", "[::1]:3000", "LOCALHOST."]) {
      expect(isHostAllowed(host, defaults)).toBe(true);
    }
  });

  it("refuses other names, look-alikes, a missing header and malformed values", () => {
    for (const host of [
      "evil.example",
      "evil.example:3000",
      "localhost.evil.example",
      "127.0.0.1.nip.io",
      "127.0.0.2",
      "",
      null,
      undefined,
      "localhost:3000:1",
      "localhost@evil.example",
    ]) {
      expect(isHostAllowed(host, defaults)).toBe(false);
    }
  });

  it("matches a listed port exactly and a leading-dot entry on subdomains", () => {
    const list = parseAllowedHosts("studio.lan:8080, .corp.example");
    expect(isHostAllowed("studio.lan:8080", list)).toBe(true);
    expect(isHostAllowed("studio.lan:9090", list)).toBe(false);
    expect(isHostAllowed("studio.lan", list)).toBe(false);
    expect(isHostAllowed("corp.example", list)).toBe(true);
    expect(isHostAllowed("a.b.corp.example:443", list)).toBe(true);
    expect(isHostAllowed("evilcorp.example", list)).toBe(false);
  });

  it("allows anything with *", () => {
    expect(isHostAllowed("evil.example", parseAllowedHosts("*"))).toBe(true);
  });
});

describe("foreignHostMessage", () => {
  it("names the host without its port and the variable to change", () => {
    expect(foreignHostMessage("evil.example:3000")).toBe(
      "This server does not answer to host evil.example. Add it to ALLOWED_HOSTS.",
    );
  });

  it("says what is missing when there is no Host header, and caps what it echoes", () => {
    expect(foreignHostMessage(null)).toBe(
      "This server needs a Host header naming it (localhost, or a name listed in ALLOWED_HOSTS).",
    );
    const message = foreignHostMessage(`${"a".repeat(500)} x`);
    expect(message.length).toBeLessThan(200);
    expect(message).not.toContain(" x.");
  });
});
