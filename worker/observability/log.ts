export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * One JSON object per line, which Workers observability indexes field by field. Callers pass ids,
 * names and messages only: never credentials, arguments or results.
 */
export function logEvent(event: string, fields: Record<string, unknown>, level: LogLevel = "info"): void {
  const line = JSON.stringify({ level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
