/**
 * DNS-rebinding protection: a browser page on another origin must not reach the gateway through a
 * victim's browser. Requests without Origin (every non-browser client) and from the gateway's own
 * origin pass; any other origin must be listed, or "*" must be.
 */
export function isAllowedOrigin(origin: string | null | undefined, requestUrl: string, allowed: readonly string[]): boolean {
  if (!origin) return true;
  if (origin === new URL(requestUrl).origin) return true;
  return allowed.includes("*") || allowed.includes(origin);
}
