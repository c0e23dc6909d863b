/**
 * Prisma migrations without the native schema engine.
 *
 * `prisma migrate` needs a native binary that cannot be downloaded on offline machines, so this module drives
 * Prisma's own WebAssembly schema engine (@prisma/schema-engine-wasm, pinned to the engine of prisma 7.10.0)
 * through the driver adapters the app already uses. The engine does the real work: it writes migration
 * scripts in Prisma's format (`diff`) and applies pending migrations with the same `_prisma_migrations`
 * bookkeeping as `prisma migrate deploy` (`applyMigrations`, checksum = sha256 of migration.sql).
 *
 * Migrations are provider-specific: prisma/migrations holds the SQLite history, prisma/postgresql/migrations
 * the PostgreSQL one, and prisma/postgresql/schema.prisma is derived from prisma/schema.prisma.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQuery,
} from "@prisma/driver-adapter-utils";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type {
  MigrationDirectory,
  MigrationList,
  SchemaEngine,
  SchemaFilter,
} from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";
import { type DatabaseProvider, type DatabaseTarget, resolveDatabaseTarget } from "../server/db/database-url";
import { repoRoot } from "../server/db/repo-root";

type SchemaEngineGlue = typeof import("@prisma/schema-engine-wasm/schema_engine_bg");

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };
const LOCKFILE_NAME = "migration_lock.toml";

export interface ProviderLayout {
  provider: DatabaseProvider;
  /** Absolute path of the provider's schema.prisma. */
  schemaPath: string;
  /** Absolute path of the provider's migrations folder. */
  migrationsDir: string;
}

export function providerLayout(provider: DatabaseProvider, root: string = repoRoot()): ProviderLayout {
  const prismaDir = path.join(root, "prisma");
  return provider === "sqlite"
    ? {
        provider,
        schemaPath: path.join(prismaDir, "schema.prisma"),
        migrationsDir: path.join(prismaDir, "migrations"),
      }
    : {
        provider,
        schemaPath: path.join(prismaDir, "postgresql", "schema.prisma"),
        migrationsDir: path.join(prismaDir, "postgresql", "migrations"),
      };
}

const DERIVED_HEADER =
  "// GENERATED from prisma/schema.prisma by `npm run db:diff`: do not edit. Only the provider and the client\n" +
  "// output differ; PostgreSQL needs its own schema file because Prisma migrations are provider-specific.\n\n";

/** prisma/postgresql/schema.prisma as it must be: the SQLite schema with the provider and output swapped. */
export function derivePostgresSchema(sqliteSchema: string): string {
  const withProvider = sqliteSchema.replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"');
  const withOutput = withProvider.replace(
    /output(\s*)=\s*"\.\.\/server\/db\/generated\/prisma"/,
    'output$1= "../../server/db/generated/prisma-postgres"',
  );
  if (withProvider === sqliteSchema || withOutput === withProvider) {
    throw new Error(
      'prisma/schema.prisma must declare provider = "sqlite" and output = "../server/db/generated/prisma"; the PostgreSQL schema is derived from those two lines.',
    );
  }
  return DERIVED_HEADER + withOutput;
}

function readSchema(layout: ProviderLayout): string {
  return fs.readFileSync(/* turbopackIgnore: true */ layout.schemaPath, "utf8");
}

/** The migrations folder in the shape the engine expects (the same reader as the Prisma CLI). */
export function readMigrationList(layout: ProviderLayout): MigrationList {
  const lockfilePath = path.join(layout.migrationsDir, LOCKFILE_NAME);
  const lockContent = fs.existsSync(/* turbopackIgnore: true */ lockfilePath)
    ? fs.readFileSync(/* turbopackIgnore: true */ lockfilePath, "utf8")
    : null;
  const directories: MigrationDirectory[] = [];
  if (fs.existsSync(/* turbopackIgnore: true */ layout.migrationsDir)) {
    for (const entry of fs.readdirSync(/* turbopackIgnore: true */ layout.migrationsDir, {
      withFileTypes: true,
    })) {
      if (!entry.isDirectory()) continue;
      const file = path.join(layout.migrationsDir, entry.name, "migration.sql");
      let content: MigrationDirectory["migrationFile"]["content"];
      try {
        content = { tag: "ok", value: fs.readFileSync(/* turbopackIgnore: true */ file, "utf8") };
      } catch (error) {
        content = { tag: "error", value: error instanceof Error ? error.message : String(error) };
      }
      directories.push({ path: entry.name, migrationFile: { path: "migration.sql", content } });
    }
  }
  directories.sort((a, b) => a.path.localeCompare(b.path));
  return {
    baseDir: layout.migrationsDir,
    lockfile: { path: LOCKFILE_NAME, content: lockContent },
    migrationDirectories: directories,
    shadowDbInitScript: "",
  };
}

// ---------------------------------------------------------------------------------------------------------
// Loading the engine

interface EngineModuleHolder {
  dnoSchemaEngineGlue?: Promise<SchemaEngineGlue>;
}

/**
 * Node 20 cannot import a .wasm file as an ES module, which is what the package's entry point does, so the
 * module is instantiated here through the package's own JS glue. The glue keeps the instance in a module-level
 * variable, so this happens once per process.
 */
function loadSchemaEngineGlue(): Promise<SchemaEngineGlue> {
  const holder = globalThis as EngineModuleHolder;
  holder.dnoSchemaEngineGlue ??= (async () => {
    const require = createRequire(path.join(repoRoot(), "package.json"));
    const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const wasmPath = gluePath.replace(/\.js$/, ".wasm");
    const glue: SchemaEngineGlue = await import(
      /* webpackIgnore: true */ /* turbopackIgnore: true */ pathToFileURL(gluePath).href
    );
    const { instance } = await WebAssembly.instantiate(
      fs.readFileSync(/* turbopackIgnore: true */ wasmPath),
      {
        "./schema_engine_bg.js": glue,
      },
    );
    glue.__wbg_set_wasm(instance.exports);
    const start = instance.exports.__wbindgen_start;
    if (typeof start === "function") start();
    return glue;
  })();
  return holder.dnoSchemaEngineGlue;
}

interface OpenedEngine {
  engine: SchemaEngine;
  close(): Promise<void>;
}

async function openEngine(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: string,
  cleanup: () => Promise<void>,
): Promise<OpenedEngine> {
  const glue = await loadSchemaEngineGlue();
  const logs: string[] = [];
  const engine = await glue.SchemaEngine.new(
    { datamodels: [["schema.prisma", schema]] },
    (line: string) => {
      if (process.env.DNO_MIGRATE_DEBUG) console.error(line);
      logs.push(line);
    },
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  return {
    engine,
    async close() {
      engine.free();
      await cleanup();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Adapter factories for the engine

/**
 * The engine sends a whole migration script to the SQLite shadow database as one executeRaw call, which
 * better-sqlite3 refuses ("more than one statement"); such scripts go through executeScript instead.
 */
function acceptScriptsInExecuteRaw(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return new Proxy(adapter, {
    get(target, property, receiver) {
      if (property === "executeRaw") {
        return async (query: SqlQuery) => {
          try {
            return await target.executeRaw(query);
          } catch (error) {
            if (query.args.length === 0 && /more than one statement/i.test(describeError(error))) {
              await target.executeScript(query.sql);
              return 0;
            }
            throw error;
          }
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function describeError(error: unknown): string {
  // The engine names the adapters' timeout (SQLITE_BUSY, or a PostgreSQL socket's ETIMEDOUT) only as an
  // unknown variant of its error enum.
  if (error instanceof Error && /unknown variant `SocketTimeout`/.test(error.message)) {
    return (
      "the database did not answer in time: a SQLite file stayed locked by another connection for " +
      `${MIGRATION_BUSY_TIMEOUT_MS / 1000} s (another DNO Studio process writing to it?), or the PostgreSQL ` +
      "server did not answer. Stop the other process or check the server, then start again."
    );
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  if (typeof error === "object" && error !== null) return JSON.stringify(error);
  return String(error);
}

/**
 * Milliseconds a migration waits for another connection's lock on the SQLite file (a running app or worker
 * writing, or a test's client). better-sqlite3's own default is 5 s, after which the engine reported
 * SQLITE_BUSY as "unknown variant SocketTimeout"; a migration would rather wait than fail half-way through
 * start-up. Seen in the test suite on a loaded machine.
 */
export const MIGRATION_BUSY_TIMEOUT_MS = 60_000;

/**
 * The engine does not close its connections when freed, and an open better-sqlite3 handle keeps locks that
 * stop the app's own client from switching journal modes; the factory tracks them and `end` closes them.
 */
function sqliteFactory(filePath: string): {
  factory: SqlMigrationAwareDriverAdapterFactory;
  end(): Promise<void>;
} {
  const inner = new PrismaBetterSqlite3({ url: `file:${filePath}`, timeout: MIGRATION_BUSY_TIMEOUT_MS });
  const opened: SqlDriverAdapter[] = [];
  const track = (adapter: SqlDriverAdapter) => {
    opened.push(adapter);
    return adapter;
  };
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => track(await inner.connect()),
    connectToShadowDb: async () => acceptScriptsInExecuteRaw(track(await inner.connectToShadowDb())),
  };
  return {
    factory,
    async end() {
      for (const adapter of opened.splice(0)) await adapter.dispose();
    },
  };
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/** Rewrites `"char"` columns of a pg result to text; the values are already strings. */
function reportCharAsText(result: unknown): unknown {
  if (typeof result === "object" && result !== null && "fields" in result && Array.isArray(result.fields)) {
    for (const field of result.fields as Array<{ dataTypeID?: number }>) {
      if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
  }
  return result;
}

function withCharAsTextQuery<T extends object>(queryable: T): T {
  return new Proxy(queryable, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      if (property === "query") {
        return (...args: unknown[]) => {
          const result: unknown = value.apply(target, args);
          return result instanceof Promise ? result.then(reportCharAsText) : result;
        };
      }
      if (property === "connect") {
        return (...args: unknown[]) => {
          const result: unknown = value.apply(target, args);
          return result instanceof Promise
            ? result.then((client: unknown) =>
                typeof client === "object" && client !== null ? withCharAsTextQuery(client) : client,
              )
            : result;
        };
      }
      return value.bind(target);
    },
  });
}

/**
 * adapter-pg 7.10.0 cannot read PostgreSQL's internal `"char"` type (OID 18), which the engine's catalog
 * queries return (pg_class.relkind and friends); this migration-only pool reports such columns as text.
 * The app's own pool is untouched: its tables have no such column.
 */
function migrationPool(url: string): pg.Pool {
  return withCharAsTextQuery(new pg.Pool({ connectionString: url, max: 2 }));
}

/**
 * adapter-pg's own shadow database drops the database before closing its pool, which PostgreSQL refuses
 * while connections are open; here the shadow database is created and dropped explicitly, pool closed first.
 */
function postgresFactory(url: string): {
  factory: SqlMigrationAwareDriverAdapterFactory;
  end(): Promise<void>;
} {
  const pool = migrationPool(url);
  const inner = new PrismaPg(pool);
  const shadowCleanups: Array<() => Promise<void>> = [];
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: () => inner.connect(),
    connectToShadowDb: async () => {
      const database = `dno_shadow_${randomUUID().replaceAll("-", "")}`;
      await pool.query(`CREATE DATABASE "${database}"`);
      const shadowUrl = new URL(url);
      shadowUrl.pathname = `/${database}`;
      const shadowPool = migrationPool(shadowUrl.toString());
      let dropped = false;
      const drop = async () => {
        if (dropped) return;
        dropped = true;
        await shadowPool.end();
        await pool.query(`DROP DATABASE IF EXISTS "${database}"`);
      };
      shadowCleanups.push(drop);
      const adapter = await new PrismaPg(shadowPool).connect();
      return new Proxy(adapter, {
        get(target, property, receiver) {
          if (property === "dispose") return drop;
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
  };
  return {
    factory,
    async end() {
      for (const cleanup of shadowCleanups) await cleanup();
      await pool.end();
    },
  };
}

async function openEngineFor(target: DatabaseTarget, root: string): Promise<OpenedEngine> {
  const layout = providerLayout(target.provider, root);
  const schema = readSchema(layout);
  if (target.provider === "sqlite") {
    fs.mkdirSync(/* turbopackIgnore: true */ path.dirname(target.filePath), { recursive: true });
    const { factory, end } = sqliteFactory(target.filePath);
    return openEngine(factory, schema, end);
  }
  const { factory, end } = postgresFactory(target.url);
  return openEngine(factory, schema, end);
}

// ---------------------------------------------------------------------------------------------------------
// Public operations

export interface ApplyResult {
  provider: DatabaseProvider;
  appliedMigrationNames: string[];
}

/** Applies every pending migration to the database, exactly as `prisma migrate deploy` would. */
export async function applyMigrations(databaseUrl: string, root: string = repoRoot()): Promise<ApplyResult> {
  const target = resolveDatabaseTarget(databaseUrl, root);
  const layout = providerLayout(target.provider, root);
  const migrationsList = readMigrationList(layout);
  if (migrationsList.migrationDirectories.length === 0) {
    throw new Error(`No migrations found in ${layout.migrationsDir}; run \`npm run db:diff -- init\` first.`);
  }
  const opened = await openEngineFor(target, root);
  try {
    const output = await opened.engine.applyMigrations({ migrationsList, filters: NO_FILTER });
    return { provider: target.provider, appliedMigrationNames: output.appliedMigrationNames };
  } catch (error) {
    throw new Error(`Applying migrations from ${layout.migrationsDir} failed: ${describeError(error)}`, {
      cause: error,
    });
  } finally {
    await opened.close();
  }
}

export interface DiffResult {
  provider: DatabaseProvider;
  /** True when schema.prisma describes tables the migrations do not create (a migration is missing). */
  hasChanges: boolean;
  /** The SQL that would bring the migrations up to the schema (Prisma's migration.sql format). */
  script: string;
}

/**
 * Compares the migrations folder with schema.prisma: replays the migrations on a shadow database and diffs it
 * with the schema. SQLite uses an in-memory shadow database; PostgreSQL needs `serverUrl`, a server on which
 * a temporary database may be created (also for the first migration: the engine connects regardless). With no
 * migrations yet the starting point is the empty database.
 */
export async function diffMigrationsToSchema(
  provider: DatabaseProvider,
  options: { serverUrl?: string; root?: string } = {},
): Promise<DiffResult> {
  const root = options.root ?? repoRoot();
  const layout = providerLayout(provider, root);
  const schema = readSchema(layout);
  const migrationsList = readMigrationList(layout);
  const hasHistory = migrationsList.migrationDirectories.length > 0;
  let opened: OpenedEngine;
  if (provider === "sqlite") {
    const { factory, end } = sqliteFactory(":memory:");
    opened = await openEngine(factory, schema, end);
  } else {
    // The engine connects even to diff from the empty schema, and replays history on a shadow database.
    if (!options.serverUrl) {
      throw new Error(
        "Diffing the PostgreSQL migrations needs a PostgreSQL server (for a temporary shadow database): set " +
          "DNO_MIGRATE_POSTGRES_URL (or DATABASE_URL) to postgresql://user:password@host/db. Locally: " +
          "apt-get install -y postgresql && pg_ctlcluster 15 main start.",
      );
    }
    const { factory, end } = postgresFactory(options.serverUrl);
    opened = await openEngine(factory, schema, end);
  }
  try {
    const result = await opened.engine.diff({
      from: hasHistory ? { tag: "migrations", ...migrationsList } : { tag: "empty" },
      to: { tag: "schemaDatamodel", files: [{ path: layout.schemaPath, content: schema }] },
      script: true,
      exitCode: true,
      filters: NO_FILTER,
    });
    const script = result.stdout ?? "";
    return { provider, hasChanges: result.exitCode === 2, script };
  } finally {
    await opened.close();
  }
}

/** Prisma's migration folder name: UTC timestamp (strictly after the last one) and a snake_case name. */
export function nextMigrationFolderName(existing: string[], name: string, now: Date = new Date()): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (slug === "")
    throw new Error(`Migration name "${name}" has no letters or digits; use e.g. "add_run_tags".`);
  const stamps = existing
    .map((folder) => Number(folder.slice(0, 14)))
    .filter((value) => Number.isFinite(value));
  let stamp = Number(now.toISOString().replace(/[-:T]/g, "").slice(0, 14));
  const last = Math.max(0, ...stamps);
  // Folder names must stay strictly increasing even when two migrations are made within one second.
  if (stamp <= last) stamp = last + 1;
  return `${stamp}_${slug}`;
}

function lockfileContent(provider: DatabaseProvider): string {
  return `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${provider}"\n`;
}

export interface CreatedMigration {
  provider: DatabaseProvider;
  folder: string;
}

/**
 * Writes the next migration for both providers (when their schema differs from their migrations), keeping
 * the derived PostgreSQL schema in step. Returns the folders written; empty when nothing changed.
 */
export async function createMigration(
  name: string,
  options: { postgresServerUrl?: string; root?: string; now?: Date } = {},
): Promise<CreatedMigration[]> {
  const root = options.root ?? repoRoot();
  const sqliteLayout = providerLayout("sqlite", root);
  const postgresLayout = providerLayout("postgresql", root);
  fs.mkdirSync(/* turbopackIgnore: true */ path.dirname(postgresLayout.schemaPath), { recursive: true });
  fs.writeFileSync(
    /* turbopackIgnore: true */ postgresLayout.schemaPath,
    derivePostgresSchema(readSchema(sqliteLayout)),
  );

  const diffs = [
    await diffMigrationsToSchema("sqlite", { root }),
    await diffMigrationsToSchema("postgresql", { root, serverUrl: options.postgresServerUrl }),
  ];
  const existing = [sqliteLayout, postgresLayout].flatMap((layout) =>
    readMigrationList(layout).migrationDirectories.map((directory) => directory.path),
  );
  const folder = nextMigrationFolderName(existing, name, options.now);
  const created: CreatedMigration[] = [];
  for (const diff of diffs) {
    if (!diff.hasChanges) continue;
    const layout = providerLayout(diff.provider, root);
    fs.mkdirSync(/* turbopackIgnore: true */ path.join(layout.migrationsDir, folder), { recursive: true });
    fs.writeFileSync(
      /* turbopackIgnore: true */ path.join(layout.migrationsDir, folder, "migration.sql"),
      diff.script,
      "utf8",
    );
    fs.writeFileSync(
      /* turbopackIgnore: true */ path.join(layout.migrationsDir, LOCKFILE_NAME),
      lockfileContent(diff.provider),
      "utf8",
    );
    created.push({ provider: diff.provider, folder });
  }
  return created;
}

/** Problems that mean a migration was forgotten or a derived file is stale; empty when all is in step. */
export async function checkMigrations(
  options: { postgresServerUrl?: string; root?: string } = {},
): Promise<string[]> {
  const root = options.root ?? repoRoot();
  const problems: string[] = [];
  const sqliteLayout = providerLayout("sqlite", root);
  const postgresLayout = providerLayout("postgresql", root);
  const expectedPostgresSchema = derivePostgresSchema(readSchema(sqliteLayout));
  const actualPostgresSchema = fs.existsSync(/* turbopackIgnore: true */ postgresLayout.schemaPath)
    ? readSchema(postgresLayout)
    : "";
  if (actualPostgresSchema !== expectedPostgresSchema) {
    problems.push(
      "prisma/postgresql/schema.prisma is out of date with prisma/schema.prisma: run `npm run db:diff`.",
    );
  }
  const sqlite = await diffMigrationsToSchema("sqlite", { root });
  if (sqlite.hasChanges) {
    problems.push(
      `prisma/schema.prisma has changes that no SQLite migration creates: run \`npm run db:diff -- <name>\`.\n${sqlite.script}`,
    );
  }
  if (options.postgresServerUrl) {
    const postgres = await diffMigrationsToSchema("postgresql", {
      root,
      serverUrl: options.postgresServerUrl,
    });
    if (postgres.hasChanges) {
      problems.push(
        `prisma/postgresql/schema.prisma has changes that no PostgreSQL migration creates: run \`npm run db:diff -- <name>\` with DNO_MIGRATE_POSTGRES_URL set.\n${postgres.script}`,
      );
    }
  }
  return problems;
}
