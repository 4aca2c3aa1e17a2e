/**
 * Replaces every value of the server's environment in `text` with `[REDACTED:NAME]`: a crashing server
 * may print its own configuration, and its last words end up in status replies and logs.
 */
export function scrubEnvValues(text: string, env: Record<string, string>): string {
  let scrubbed = text;
  // Longest first, so a value that contains another is replaced whole.
  const entries = Object.entries(env).filter(([, value]) => value.length >= 4).sort((a, b) => b[1].length - a[1].length);
  for (const [name, value] of entries) scrubbed = scrubbed.split(value).join(`[REDACTED:${name}]`);
  return scrubbed;
}
