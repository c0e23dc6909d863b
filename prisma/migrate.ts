/**
 * Migration command line (the native `prisma migrate` cannot run on offline machines; see migration-runner.ts).
 *
 *   tsx prisma/migrate.ts apply            apply pending migrations to DATABASE_URL (default: the SQLite file)
 *   tsx prisma/migrate.ts diff <name>      write the next migration for SQLite and PostgreSQL from schema.prisma
 *   tsx prisma/migrate.ts check            exit 1 if schema.prisma has changes no migration creates
 *
 * PostgreSQL migrations after the first need a server for a temporary shadow database:
 * DNO_MIGRATE_POSTGRES_URL=postgresql://… (DATABASE_URL is used when it is a PostgreSQL URL).
 */
import { redactPassword } from "../server/db/database-url";
import { databaseUrl } from "../server/env";
import { applyMigrations, checkMigrations, createMigration } from "./migration-runner";

function postgresServerUrl(): string | undefined {
  const explicit = process.env.DNO_MIGRATE_POSTGRES_URL;
  if (explicit) return explicit;
  const url = process.env.DATABASE_URL;
  return url?.startsWith("postgres") ? url : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "apply": {
      const url = databaseUrl();
      const result = await applyMigrations(url);
      const names = result.appliedMigrationNames;
      console.log(
        names.length === 0
          ? `Database ${redactPassword(url)} is up to date.`
          : `Applied ${names.length} migration(s) to ${redactPassword(url)}:\n  ${names.join("\n  ")}`,
      );
      return 0;
    }
    case "diff": {
      const name = rest.join("_") || "migration";
      const created = await createMigration(name, { postgresServerUrl: postgresServerUrl() });
      if (created.length === 0) {
        console.log("No changes: the migrations already create everything in prisma/schema.prisma.");
      } else {
        for (const migration of created)
          console.log(`Wrote ${migration.provider} migration ${migration.folder}`);
      }
      return 0;
    }
    case "check": {
      const problems = await checkMigrations({ postgresServerUrl: postgresServerUrl() });
      for (const problem of problems) console.error(problem);
      if (problems.length === 0) console.log("Migrations are in step with prisma/schema.prisma.");
      return problems.length === 0 ? 0 : 1;
    }
    default:
      console.error("Usage: tsx prisma/migrate.ts apply | diff <name> | check");
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
