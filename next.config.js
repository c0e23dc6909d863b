import { PHASE_DEVELOPMENT_SERVER } from "next/constants.js";

/**
 * Security headers on every response (pages, API, static files, and the proxy's refusals).
 * script-src needs 'unsafe-inline': the App Router streams its payload in inline <script> tags, and
 * nonces would force every page to render per request. `next dev` also needs 'unsafe-eval' (React's dev
 * build evaluates source maps for its error overlay); the production build never gets it.
 */
export function securityHeaders(dev = false) {
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join("; ");
  return [
    { key: "Content-Security-Policy", value: csp },
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "same-origin" },
    { key: "X-Frame-Options", value: "DENY" },
  ];
}

const MIB = 1024 * 1024;

/** @type {(phase: string) => import('next').NextConfig} */
export default function nextConfig(phase) {
  // With a proxy, Next buffers each request body up to proxyClientMaxBodySize (10 MiB by default) and hands
  // the route a body cut there; the proxy refuses bodies over MAX_BODY_BYTES, so only a larger limit needs
  // a larger buffer (server/env.ts validates the variable).
  const maxBodyBytes = Number(process.env.MAX_BODY_BYTES);
  const largeBodies = Number.isSafeInteger(maxBodyBytes) && maxBodyBytes > 10 * MIB;
  return {
    // Native addons stay outside the bundle: Next must require them from node_modules at run time.
    serverExternalPackages: [
      "onnxruntime-node",
      "better-sqlite3",
      "@prisma/adapter-better-sqlite3",
      "pg",
      "pg-boss",
    ],
    reactStrictMode: true,
    poweredByHeader: false,
    typedRoutes: false,
    ...(largeBodies ? { experimental: { proxyClientMaxBodySize: maxBodyBytes } } : {}),
    async headers() {
      return [{ source: "/:path*", headers: securityHeaders(phase === PHASE_DEVELOPMENT_SERVER) }];
    },
  };
}
