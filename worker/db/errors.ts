import { DrizzleQueryError } from "drizzle-orm";

/** Postgres reports a unique violation as SQLSTATE 23505; drizzle wraps driver errors in `cause`. */
export function isUniqueViolation(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    if ((current as { code?: unknown }).code === "23505") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * An error's message, fit for a log line or a reply. drizzle's own reads "Failed query: <sql> params:
 * <values>", and the values may be names, emails, sealed configurations or audit arguments: the
 * driver's message (its cause) stands in for it.
 */
export function errorText(error: unknown): string {
  if (error instanceof DrizzleQueryError) return error.cause instanceof Error ? error.cause.message : "database query failed";
  return error instanceof Error ? error.message : String(error);
}

/** What a client is told to wait before retrying a request that needed the database while it was down. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * A connection could not be had at all (refused, no such database, a wrong password, connections not
 * allowed, a pooler's own error): no query ran, so whatever the driver said, the database is out of
 * reach and the request may be retried as it is.
 */
export class DatabaseUnreachable extends Error {
  constructor(cause: unknown) {
    super(`No connection to the database: ${errorText(cause)}`, { cause });
    this.name = "DatabaseUnreachable";
  }
}

// SQLSTATE classes that mean "the database is not there right now", not "this query is wrong":
// 08 connection exception, 28 invalid authorization, 3D000 no such database, 57P01-57P03 shutdown or
// starting up, 53300 too many connections. A pooler such as Hyperdrive may reach the database only when
// the first query comes, so the refusal of a connection can arrive as that query's error.
const UNAVAILABLE_SQLSTATE = /^(08|28|3D000|57P0[1-3]|53300)/;
const UNAVAILABLE_NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"]);
const UNAVAILABLE_MESSAGE = /connection terminated|connection attempt failed|failed to connect|connect(ion)? (refused|timeout)|timeout exceeded when trying to connect|socket (has been )?closed|network connection lost|hyperdrive/i;

/** Whether a failure is the database being unreachable (worth a 503 and a retry) rather than a fault in the request. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof DatabaseUnreachable) return true;
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE_CODES.has(code))) return true;
    if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
