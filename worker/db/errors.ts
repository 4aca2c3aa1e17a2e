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
