import { Pool as NeonPool, neonConfig } from "@neondatabase/serverless";
import { drizzle as drizzleNeon } from "drizzle-orm/neon-serverless";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { Pool as PgPool } from "pg";
import type { AppEnv } from "../env.ts";
import { AppError } from "../http/errors.ts";
import { DatabaseUnreachable } from "./errors.ts";
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
    markConnectFailures(pool);
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
    markConnectFailures(pool);
    return { db: drizzleNeon(pool, { schema }), close: () => pool.end() };
  }
  throw new AppError("INTERNAL", "No database is configured: bind HYPERDRIVE or set DATABASE_URL");
}

type ConnectCallback<Client> = (error: Error | undefined, client: Client | undefined, release: (release?: unknown) => void) => void;

interface ConnectingPool<Client> {
  connect(): Promise<Client>;
  connect(callback: ConnectCallback<Client>): void;
}

/**
 * Every failure to get a connection becomes `DatabaseUnreachable`, whatever its SQLSTATE or message:
 * the pool's `query` and drizzle's transactions all go through `connect`, so a request learns that the
 * database is out of reach, not that its query failed. Errors of queries that did run pass untouched.
 */
function markConnectFailures<Client>(pool: ConnectingPool<Client>): void {
  const connect = pool.connect.bind(pool) as (callback?: ConnectCallback<Client>) => Promise<Client> | void;
  pool.connect = ((callback?: ConnectCallback<Client>) => {
    if (callback) return connect((error, client, release) => callback(error && new DatabaseUnreachable(error), client, release));
    return (connect() as Promise<Client>).catch((error: unknown) => {
      throw new DatabaseUnreachable(error);
    });
  }) as ConnectingPool<Client>["connect"];
}
