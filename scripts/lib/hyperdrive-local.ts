/**
 * wrangler's local Hyperdrive refuses a connection string without a password, even for a server with
 * trust auth (or PGlite) that ignores it; a placeholder satisfies it without changing what connects.
 */
export function hyperdriveLocalUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.password ||= "unused";
  return url.toString();
}
