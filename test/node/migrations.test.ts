// The migration runner (scripts/lib/migrate.ts) and `npm run db:migrate`, against a database created
// for this file: on the server named by TEST_DATABASE_URL when set, otherwise an embedded PGlite.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "../../scripts/lib/embedded-postgres.ts";
import { MIGRATIONS_FOLDER, runMigrations } from "../../scripts/lib/migrate.ts";
import { REPO_ROOT } from "../support/dev-project.ts";
import { withClient } from "../support/test-database.ts";

interface JournalEntry {
  idx: number;
  tag: string;
  when: number;
}

const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: JournalEntry[] };

/** drizzle records each applied migration as the SHA-256 of its SQL file, keyed by the journal's timestamp. */
const expectedRecords = journal.entries.map((entry) => ({
  hash: createHash("sha256").update(readFileSync(join(MIGRATIONS_FOLDER, `${entry.tag}.sql`), "utf8")).digest("hex"),
  createdAt: String(entry.when),
}));

/** Every table the migration files create, so a new migration is covered without touching this test. */
const expectedTables = readdirSync(MIGRATIONS_FOLDER)
  .filter((file) => file.endsWith(".sql"))
  .flatMap((file) => [...readFileSync(join(MIGRATIONS_FOLDER, file), "utf8").matchAll(/CREATE TABLE (?:IF NOT EXISTS )?"(?:public"\.")?([^"]+)"/g)])
  .map((match) => match[1] ?? "")
  .sort();

interface FreshDatabase {
  url: string;
  drop(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];

/** An empty, unmigrated database. */
async function freshDatabase(): Promise<FreshDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  let database: FreshDatabase;
  if (serverUrl) {
    const name = `peta_migrations_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    await withClient(serverUrl, (client) => client.query(`create database ${name}`));
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    database = {
      url: url.toString(),
      drop: async () => {
        await withClient(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
      },
    };
  } else {
    const embedded = await startEmbeddedPostgres();
    database = { url: embedded.url, drop: () => embedded.stop() };
  }
  cleanups.push(database.drop);
  return database;
}

afterAll(async () => {
  for (const drop of cleanups) await drop();
});

interface MigrationRecord {
  id: number;
  hash: string;
  createdAt: string;
}

async function migrationRecords(url: string): Promise<MigrationRecord[]> {
  return withClient(url, async (client) => {
    const result = await client.query<{ id: number; hash: string; created_at: string }>(
      "select id, hash, created_at::text from drizzle.__drizzle_migrations order by id",
    );
    return result.rows.map((row) => ({ id: row.id, hash: row.hash, createdAt: row.created_at }));
  });
}

async function publicTables(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const result = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name",
    );
    return result.rows.map((row) => row.table_name);
  });
}

async function tableExists(url: string, qualified: string): Promise<boolean> {
  return withClient(url, async (client) => {
    const result = await client.query<{ exists: boolean }>("select to_regclass($1) is not null as exists", [qualified]);
    return result.rows[0]?.exists === true;
  });
}

/** Checks the database holds exactly the journal's migrations, each once, and every table they create. */
async function expectFullyMigrated(url: string): Promise<MigrationRecord[]> {
  const records = await migrationRecords(url);
  expect(records).toHaveLength(journal.entries.length);
  expect(records.map(({ hash, createdAt }) => ({ hash, createdAt }))).toEqual(expectedRecords);
  expect(await publicTables(url)).toEqual(expectedTables);
  return records;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run db:migrate` exactly as a user types it, with DATABASE_URL set to `databaseUrl` or unset. */
function npmRunDbMigrate(databaseUrl: string | undefined): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  if (databaseUrl !== undefined) env.DATABASE_URL = databaseUrl;
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "db:migrate"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The script's own lines: npm's warnings about the machine's npm config are not the script's output. */
function scriptLines(output: string): string[] {
  return output.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("npm warn"));
}

const STACK_FRAME = /^\s+at\s/m;

describe("runMigrations", () => {
  it("the journal lists at least one migration and its files exist", () => {
    expect(journal.entries.length).toBeGreaterThan(0);
    expect(expectedTables).toEqual(expect.arrayContaining(["api_keys", "servers", "users"]));
  });

  it("applies every migration once, and a second run changes nothing", async () => {
    const { url } = await freshDatabase();
    expect(await tableExists(url, "drizzle.__drizzle_migrations")).toBe(false);
    expect(await publicTables(url)).toEqual([]);

    await runMigrations(url);
    const first = await expectFullyMigrated(url);

    // A row written between runs must survive the second run: nothing is dropped or recreated.
    await withClient(url, (client) => client.query("insert into users (id, name) values (gen_random_uuid()::text, 'survivor')"));
    await runMigrations(url);
    expect(await expectFullyMigrated(url)).toEqual(first);
    const survivors = await withClient(url, (client) => client.query("select name from users where name = 'survivor'"));
    expect(survivors.rowCount).toBe(1);
  });

  it("two runners started together on a fresh database both succeed and apply each migration once", async () => {
    const { url } = await freshDatabase();
    const results = await Promise.allSettled([runMigrations(url), runMigrations(url)]);
    expect(results.map((result) => (result.status === "rejected" ? String(result.reason) : "ok"))).toEqual(["ok", "ok"]);
    const first = await expectFullyMigrated(url);

    // And together again on the migrated database: still a no-op.
    await Promise.all([runMigrations(url), runMigrations(url)]);
    expect(await expectFullyMigrated(url)).toEqual(first);
  });

  it("leaves no advisory lock held after it returns", async () => {
    const { url } = await freshDatabase();
    await runMigrations(url);
    // pg_locks spans the whole server; only this database's locks are this runner's.
    const held = await withClient(url, (client) =>
      client.query(
        "select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
      ),
    );
    expect(held.rows[0]).toEqual({ n: 0 });
  });
});

describe("npm run db:migrate", () => {
  it("without DATABASE_URL exits 2 and says what to set", async () => {
    const result = await npmRunDbMigrate(undefined);
    expect(result.code).toBe(2);
    expect(scriptLines(result.stderr)).toEqual([
      "DATABASE_URL is not set. Example: DATABASE_URL=postgres://user:pass@host/db npm run db:migrate",
    ]);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it("with a URL that is not postgres:// exits 2 and says what it must be", async () => {
    const result = await npmRunDbMigrate("notaurl");
    expect(result.code).toBe(2);
    expect(scriptLines(result.stderr)).toEqual(["DATABASE_URL must be a postgres:// or postgresql:// URL"]);
  });

  it.each([
    ["an unreachable server", "postgres://postgres:s3cret-password@127.0.0.1:1/peta", /^Migration failed: .*ECONNREFUSED/],
    ["a URL that does not parse", "postgres://postgres:s3cret-password@[bad/peta", /^Migration failed: .*Invalid URL/],
  ])("with %s exits 1 with a one-line message, no stack trace and no password", async (_label, databaseUrl, message) => {
    const result = await npmRunDbMigrate(databaseUrl);
    expect(result.code).toBe(1);
    const lines = scriptLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.stdout + result.stderr).not.toContain("s3cret-password");
  });

  // PGlite's socket server serves its one database under any name, so only a real server can refuse one.
  it.skipIf(!process.env.TEST_DATABASE_URL)("with a database that does not exist exits 1 and names the problem", async () => {
    const base = new URL(process.env.TEST_DATABASE_URL ?? "");
    base.pathname = "/peta_no_such_database";
    const result = await npmRunDbMigrate(base.toString());
    expect(result.code).toBe(1);
    const lines = scriptLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe('Migration failed: database "peta_no_such_database" does not exist');
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it("with a good DATABASE_URL applies the migrations and exits 0", async () => {
    const { url } = await freshDatabase();
    const result = await npmRunDbMigrate(url);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.code).toBe(0);
    expect(scriptLines(result.stdout)).toEqual([`Migrations applied to ${new URL(url).host}`]);
    await expectFullyMigrated(url);
  });
});

describe("the policy_audit migration", () => {
  it("keeps the version every existing policy set is at, so audit records naming it can be explained", async () => {
    const { url } = await freshDatabase();
    const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
    const before = journal.entries.findIndex((entry) => entry.tag.endsWith("_policy_audit"));
    expect(before).toBeGreaterThan(0);
    // The database as it was before the migration, recorded as runMigrations records it, with a set at version 4.
    await withClient(url, async (client) => {
      await client.query("create schema drizzle");
      await client.query("create table drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)");
      for (const migration of migrations.slice(0, before)) {
        for (const statement of migration.sql) await client.query(statement);
        await client.query("insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)", [migration.hash, migration.folderMillis]);
      }
      await client.query(`insert into policy_sets (id, name, version, time_zone, rules) values ('set-a', 'old', 4, 'Europe/Paris', '[{"id":"r","effect":"deny"}]')`);
    });
    await runMigrations(url);
    await expectFullyMigrated(url);
    const kept = await withClient(url, (client) => client.query("select policy_set_id, version, name, server_id, time_zone, rules from policy_set_versions"));
    expect(kept.rows).toEqual([{ policy_set_id: "set-a", version: 4, name: "old", server_id: null, time_zone: "Europe/Paris", rules: [{ id: "r", effect: "deny" }] }]);
  });
});
