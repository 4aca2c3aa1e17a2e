import { sql } from "drizzle-orm";

/**
 * An always-true condition that calls `now()`. Hyperdrive never caches a query that calls a STABLE or
 * VOLATILE function, and `now()` is STABLE, so reads whose staleness would be a security hole (is this
 * key still valid? which secret does this server use?) stay fresh even on a Hyperdrive config whose
 * query caching was left on. docs/deployment.md still says to turn caching off.
 */
export const NEVER_CACHED = sql`now() is not null`;
