import fs from "node:fs";
import path from "node:path";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { TrpcProviders } from "../_trpc/provider";
import { AppHeader } from "./app-header";

const APP = path.resolve(import.meta.dirname, "..");

function pagesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name.startsWith("_") || entry.name === "api" ? [] : pagesUnder(full);
    return entry.name === "page.tsx" ? [full] : [];
  });
}

/** The files a page's own imports point at (one level: pages are thin and render one component). */
function importedFiles(file: string): string[] {
  const source = fs.readFileSync(file, "utf8");
  return [...source.matchAll(/from "((?:@\/app|\.{1,2})\/[^"]+)"/g)].flatMap((match) => {
    const spec = match[1]!;
    const base = spec.startsWith("@/app/")
      ? path.join(APP, spec.slice(6))
      : path.resolve(path.dirname(file), spec);
    return [`${base}.tsx`, `${base}.ts`].filter((candidate) => fs.existsSync(candidate));
  });
}

function drawsHeader(file: string): boolean {
  return /<AppHeader\b/.test(fs.readFileSync(file, "utf8"));
}

describe("AppHeader", () => {
  it("links the app name home and shows the main links unless the page has its own toolbar", () => {
    // The header's account and notification menus ask the API (nothing is fetched while rendering to markup).
    const withNav = renderToStaticMarkup(
      <TrpcProviders>
        <AppHeader />
      </TrpcProviders>,
    );
    expect(withNav).toMatch(/<a [^>]*data-testid="nav.home" href="\/">.*DNO Studio<\/a>/);
    expect(withNav).toContain('href="/assets"');
    const bare = renderToStaticMarkup(
      <TrpcProviders>
        <AppHeader nav={false}>
          <span>toolbar</span>
        </AppHeader>
      </TrpcProviders>,
    );
    expect(bare).not.toContain('href="/assets"');
    expect(bare).toContain("<span>toolbar</span>");
  });

  it("is on every page: through a layout above it or the component the page renders", () => {
    const pages = pagesUnder(APP);
    expect(pages.length).toBeGreaterThanOrEqual(6);
    const missing = pages.filter((page) => {
      if (drawsHeader(page)) return false;
      for (let dir = path.dirname(page); dir !== APP; dir = path.dirname(dir)) {
        const layout = path.join(dir, "layout.tsx");
        if (fs.existsSync(layout) && drawsHeader(layout)) return false;
      }
      return !importedFiles(page).some(drawsHeader);
    });
    expect(missing.map((page) => path.relative(APP, page))).toEqual([]);
  });
});

describe("favicon", () => {
  it("ships /favicon.ico (a 32×32 PNG icon) and the SVG icon, so browsers get no 404", () => {
    const ico = fs.readFileSync(path.join(APP, "favicon.ico"));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([0, 1, 1]);
    const offset = ico.readUInt32LE(18);
    expect(ico.subarray(offset, offset + 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(ico.readUInt32BE(offset + 16)).toBe(32);
    expect(fs.readFileSync(path.join(APP, "icon.svg"), "utf8")).toMatch(/^<svg [^>]*viewBox="0 0 32 32"/);
  });
});
