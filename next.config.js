/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native addons stay outside the bundle: Next must require them from node_modules at run time.
  serverExternalPackages: ["onnxruntime-node", "better-sqlite3", "@prisma/adapter-better-sqlite3", "pg"],
  reactStrictMode: true,
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
