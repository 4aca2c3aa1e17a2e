// `npm run db:migrate`: applies pending migrations to the database named by DATABASE_URL.
import { runMigrations } from "./lib/migrate.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set. Example: DATABASE_URL=postgres://user:pass@host/db npm run db:migrate");
  process.exit(2);
}
if (!/^postgres(ql)?:\/\//.test(url)) {
  console.error("DATABASE_URL must be a postgres:// or postgresql:// URL");
  process.exit(2);
}
try {
  await runMigrations(url);
  console.log(`Migrations applied to ${new URL(url).host}`);
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
