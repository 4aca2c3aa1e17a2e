import type { AppEnv } from "../env.ts";
import type { AppContext } from "../http/context.ts";
import { readMcpConfig } from "./config.ts";

export interface OriginPolicy {
  /** Browser origins allowed besides our own; "*" allows any. */
  allowedOrigins: readonly string[];
  /** Host names the gateway answers to; empty skips the check (Cloudflare routes only our own hosts). */
  allowedHosts: readonly string[];
  /** The configured public URL, whose origin is ours even when the request came in under another name. */
  publicUrl: string;
}

/**
 * DNS-rebinding protection. A page on a hostile site that rebinds its name to the gateway's address
 * sends a Host and an Origin that match each other, so "same origin as the request" alone proves
 * nothing: the Host must be one we serve. Requests without Origin (every non-browser client) pass the
 * Origin check. Returns why a request is refused, or null.
 */
export function refuseOrigin(request: { url: string; host: string | null; origin: string | null }, policy: OriginPolicy): string | null {
  if (policy.allowedHosts.length > 0) {
    const hostname = request.host ? new URL(`http://${request.host}`).hostname : "";
    if (!policy.allowedHosts.includes(hostname)) return `Host "${request.host ?? ""}" is not served here`;
  }
  if (!request.origin) return null;
  const own = new Set([new URL(request.url).origin]);
  if (policy.publicUrl) own.add(new URL(policy.publicUrl).origin);
  if (own.has(request.origin) || policy.allowedOrigins.includes("*") || policy.allowedOrigins.includes(request.origin)) return null;
  return `Origin "${request.origin}" is not allowed`;
}

/** `refuseOrigin` for a request under this deployment's MCP_ALLOWED_* variables and PUBLIC_URL. */
export function refuseRequestOrigin(request: Request, env: AppEnv): string | null {
  const { allowedOrigins, allowedHosts } = readMcpConfig(env);
  return refuseOrigin(
    { url: request.url, host: request.headers.get("host"), origin: request.headers.get("origin") },
    { allowedOrigins, allowedHosts, publicUrl: env.PUBLIC_URL },
  );
}

/** The request's origin verdict, worked out once however many middlewares ask (CORS, then the route). */
export function originRefusal(c: AppContext): string | null {
  let verdict = c.get("originRefusal");
  if (verdict === undefined) {
    verdict = refuseRequestOrigin(c.req.raw, c.env);
    c.set("originRefusal", verdict);
  }
  return verdict;
}
