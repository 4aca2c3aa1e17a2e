/** Both drivers (pg and Neon's) return a node-postgres style result; drizzle types it per driver as unknown. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  if (typeof result !== "object" || result === null || !("rows" in result) || !Array.isArray(result.rows)) return [];
  return result.rows as Record<string, unknown>[];
}
