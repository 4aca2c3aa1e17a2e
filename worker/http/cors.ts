import { createMiddleware } from "hono/factory";
import { originRefusal } from "../mcp/origin.ts";
import type { HonoEnv } from "./context.ts";

// What a browser MCP client sends beyond the safelisted headers. The SDK sends MCP-Protocol-Version on its
// discovery GETs too, so every CORS route lists the same headers.
const ALLOW_HEADERS = "Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID";
// A browser script sees only safelisted response headers unless told otherwise: it needs the session id,
// and WWW-Authenticate to find the resource metadata after a 401.
const EXPOSE_HEADERS = "Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate";
// Chromium caps the preflight cache at two hours; a longer value buys nothing there.
const MAX_AGE_SECONDS = "7200";

/**
 * CORS for the routes a browser MCP client calls. A browser origin is allowed exactly when the
 * DNS-rebinding check (`originRefusal`) lets it through, so listing an origin in
 * MCP_ALLOWED_ORIGINS both admits it and lets its pages read the answers. A refused origin gets no CORS
 * headers, and its preflight falls through to the route, which refuses it as before. No
 * Allow-Credentials: the credential is a bearer header, never a cookie.
 */
export function cors(methods: readonly string[]) {
  return createMiddleware<HonoEnv>(async (c, next) => {
    const origin = c.req.header("origin");
    const allowed = origin !== undefined && originRefusal(c) === null;

    if (allowed && c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) {
      return new Response(null, {
        status: 204,
        headers: {
          "Access-Control-Allow-Origin": origin,
          "Access-Control-Allow-Methods": methods.join(", "),
          "Access-Control-Allow-Headers": ALLOW_HEADERS,
          "Access-Control-Max-Age": MAX_AGE_SECONDS,
          Vary: "Origin",
        },
      });
    }

    await next();
    // Every answer here depends on Origin, including one to a request without it (no CORS headers), so a
    // shared cache (jwks.json is public for five minutes) must not hand one origin's answer to another.
    c.header("Vary", "Origin", { append: true });
    if (allowed) {
      c.header("Access-Control-Allow-Origin", origin);
      c.header("Access-Control-Expose-Headers", EXPOSE_HEADERS);
    }
  });
}
