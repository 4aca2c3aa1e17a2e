import { Pool as NeonPool, neonConfig } from "@neondatabase/serverless";
import { drizzle as drizzleNeon } from "drizzle-orm/neon-serverless";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { Pool as PgPool } from "pg";
import type { AppEnv } from "../env.ts";
import { AppError } from "../http/errors.ts";
import * as schema from "./schema.ts";

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** A per-request database handle. Pools connect lazily, so a request that never queries costs nothing. */
export interface DatabaseHandle {
  db: Database;
  close(): Promise<void>;
}

/**
 * Hyperdrive is preferred: it pools and caches close to the database. Without it, a `DATABASE_URL`
 * reaches Neon over WebSockets, the only transport its serverless driver speaks.
 */
export function openDatabase(env: AppEnv, options: { idleTimeoutMs?: number } = {}): DatabaseHandle {
  const idleTimeoutMillis = options.idleTimeoutMs ?? 10_000;
  if (env.HYPERDRIVE) {
    // One connection is enough per request: Hyperdrive does the pooling.
    const pool = new PgPool({ connectionString: env.HYPERDRIVE.connectionString, max: 1, idleTimeoutMillis });
    pool.on("error", () => {}); // an idle socket closed by the far side must not become an unhandled error
    return { db: drizzlePg(pool, { schema }), close: () => pool.end() };
  }
  if (env.DATABASE_URL) {
    if (env.NEON_WS_PROXY) {
      neonConfig.wsProxy = env.NEON_WS_PROXY;
      neonConfig.useSecureWebSocket = false;
      neonConfig.pipelineConnect = false;
    }
    const pool = new NeonPool({ connectionString: env.DATABASE_URL, max: 1, idleTimeoutMillis });
    pool.on("error", () => {});
    return { db: drizzleNeon(pool, { schema }), close: () => pool.end() };
  }
  throw new AppError("INTERNAL", "No database is configured: bind HYPERDRIVE or set DATABASE_URL");
}
