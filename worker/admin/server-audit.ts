import { MASK } from "../audit/arguments.ts";
import { literalPart } from "../vault/placeholders.ts";

/** What is left of a header value once its placeholders are out, when that cannot be a credential. */
const AUTH_SCHEME_ONLY = /^\s*(?:bearer|basic|token|bot)?\s*$/i;
/** A path segment this short, of these characters, is a route (`/v1`, `/mcp`), not a token. */
const PLAIN_SEGMENT = /^[A-Za-z0-9._~-]{0,24}$/;

/**
 * A server's settings as the audit trail keeps them. The stored configuration is encrypted, and a
 * literal credential written into a URL or a header (rather than a `{{secret:…}}` placeholder) would
 * otherwise sit in `audit_records` in clear. Placeholders, the origin, short path segments, query keys
 * and header names stay, so the record still says what changed.
 */
export function auditableServerInput<
  T extends object & { url?: string | undefined; headers?: Record<string, string> | undefined; stdio?: { env: Record<string, string> } | undefined },
>(data: T): T {
  return {
    ...data,
    ...(data.url === undefined ? {} : { url: auditableUrl(data.url) }),
    ...(data.headers === undefined ? {} : { headers: Object.fromEntries(Object.entries(data.headers).map(([name, value]) => [name, auditableHeader(value)])) }),
    ...(data.stdio === undefined ? {} : { stdio: { ...data.stdio, env: Object.fromEntries(Object.entries(data.stdio.env).map(([name, value]) => [name, auditableEnv(value)])) } }),
  };
}

/** Any literal in a stdio server's environment may be a credential: only placeholders are kept. */
function auditableEnv(value: string): string {
  return literalPart(value) === "" ? value : MASK;
}

function auditableHeader(value: string): string {
  return AUTH_SCHEME_ONLY.test(literalPart(value)) ? value : MASK;
}

function auditableUrl(text: string): string {
  // A URL parser reads "\" as "/" in http(s) URLs, so splitting such a URL by hand could keep a secret
  // path or name the wrong host: it is masked whole, origin included.
  if (text.includes("\\")) return MASK;
  // The schema has checked the URL; placeholders survive parsing percent-encoded, so split by hand.
  const match = /^(https?:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?/i.exec(text);
  if (!match) return MASK;
  const [, scheme = "", authority = "", path = "", query = ""] = match;
  const host = authority.includes("@") ? `${MASK}@${authority.slice(authority.lastIndexOf("@") + 1)}` : authority;
  const segments = path.split("/").map((segment) => (literalPart(segment) === "" || PLAIN_SEGMENT.test(segment) ? segment : MASK));
  const params = query
    .slice(1)
    .split("&")
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf("=");
      // A bare item (`?sk_live_…`) is all value as far as a credential goes.
      if (at === -1) return literalPart(pair) === "" || PLAIN_SEGMENT.test(pair) ? pair : MASK;
      const value = pair.slice(at + 1);
      return `${pair.slice(0, at)}=${literalPart(value) === "" ? value : MASK}`;
    });
  return `${scheme}${host}${segments.join("/")}${params.length > 0 ? `?${params.join("&")}` : ""}`;
}
