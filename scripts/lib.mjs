// Shared helpers for the project's own scripts (setup, start, test): run a step with visible progress
// and stop with a message that says what to do next.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const started = Date.now();
export function step(title) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\n\x1b[1m▶ ${title}\x1b[0m  (+${seconds}s)`);
}

export function run(command, args, { env = {}, hint, allowFailure = false } = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip", NEXT_TELEMETRY_DISABLED: "1", ...env },
  });
  if (result.status !== 0 && !allowFailure) {
    console.error(`\n✖ \`${command} ${args.join(" ")}\` failed (exit ${result.status ?? result.signal}).`);
    if (hint) console.error(`  ${hint}`);
    process.exit(result.status ?? 1);
  }
  return result.status ?? 1;
}

function mtime(file) {
  try {
    return statSync(path.join(root, file)).mtimeMs;
  } catch {
    return 0;
  }
}

/** npm ci when node_modules is missing or older than the lock file. */
/**
 * better-sqlite3 (the embedded database's driver) compiles from source when its prebuilt binary cannot be
 * downloaded (offline machines, new Node versions): that needs a C++ compiler, make and Python. On Debian
 * they are installed here (as root) when missing; otherwise the message says what to install.
 */
const BUILD_TOOLS = [
  { command: "g++", debianPackage: "g++" },
  { command: "make", debianPackage: "make" },
  { command: "python3", debianPackage: "python3" },
];

function hasCommand(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

export function ensureBuildTools() {
  const missing = BUILD_TOOLS.filter((tool) => !hasCommand(tool.command)).map((tool) => tool.debianPackage);
  if (missing.length === 0) return;
  const install = `apt-get install -y ${missing.join(" ")}`;
  if (hasCommand("apt-get") && process.getuid?.() === 0) {
    step(`Installing the build tools native modules need (${missing.join(", ")}) from Debian`);
    run("apt-get", ["update", "-q"]);
    run("apt-get", ["install", "-y", "-q", ...missing], { hint: `Run: ${install}` });
    return;
  }
  console.error(
    `✖ Missing ${missing.join(", ")}: better-sqlite3 may need them to compile. On Debian/Ubuntu run: sudo ${install}`,
  );
}

export function ensureDependencies() {
  const installed = mtime("node_modules/.package-lock.json");
  if (installed === 0 || installed < mtime("package-lock.json")) {
    ensureBuildTools();
    step("Installing npm dependencies (npm ci; better-sqlite3 compiles from source, 2–4 min)");
    run("npm", ["ci", "--no-audit", "--no-fund"], {
      hint: "Check that the npm registry is reachable and that Node.js is version 20.19 or newer.",
    });
  }
}

/** Regenerates the Prisma client when it is missing or older than the schema. */
export function ensurePrismaClient() {
  const generated = mtime("server/db/generated/prisma/client.ts");
  if (generated === 0 || generated < mtime("prisma/schema.prisma")) {
    step("Generating the Prisma client");
    run("node", ["scripts/prisma-generate.mjs"], { hint: "See prisma/schema.prisma for syntax errors." });
  }
}

export function ensureNodeVersion() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`✖ Node.js ${process.versions.node} is too old: DNO Studio needs Node.js 20.19 or newer.`);
    process.exit(1);
  }
}

export function readJson(file) {
  return JSON.parse(readFileSync(path.join(root, file), "utf8"));
}

export function fileExists(file) {
  return existsSync(path.join(root, file));
}

/**
 * Where `npm start` and `npm run dev` listen: HOST, or 127.0.0.1 so that a fresh install is reachable only
 * from this machine. Returns next's -H/-p arguments and the address to open.
 */
export function listenAddress() {
  const host = process.env.HOST?.trim() || "127.0.0.1";
  const port = process.env.PORT?.trim() || "3000";
  const loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].includes(host);
  // Every interface (0.0.0.0, ::) includes loopback: this machine opens it as localhost.
  const everywhere = ["0.0.0.0", "::", "[::]"].includes(host);
  const shown =
    loopback || everywhere ? "localhost" : host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const note =
    loopback || process.env.ALLOWED_HOSTS
      ? ""
      : `\n  Listening on ${host}: other machines reach it by a name or address that must be listed in ALLOWED_HOSTS (comma-separated).`;
  return { args: ["-H", host, "-p", port], url: `http://${shown}:${port}`, note };
}
