import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../migrations", import.meta.url));

// Any constant works; it only has to be the same for every runner so two never interleave.
const MIGRATION_LOCK_ID = 7_201_001;

/**
 * Applies every pending migration in `migrations/`. Already-applied ones are skipped (drizzle records them
 * in `drizzle.__drizzle_migrations`), so running it twice is a no-op. An advisory lock serialises
 * concurrent runners, e.g. a deploy step racing a second one.
 */
export async function runMigrations(connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    try {
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]);
    }
  } finally {
    await client.end();
  }
}
