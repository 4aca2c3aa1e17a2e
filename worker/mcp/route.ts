import { Hono } from "hono";
import { requireAuth } from "../auth/middleware.ts";
import { tokenAudience } from "../auth/token-audience.ts";
import type { HonoEnv } from "../http/context.ts";
import { mcpUnauthorized } from "./unauthorized.ts";

export const mcpRoute = new Hono<HonoEnv>();

mcpRoute.use(
  requireAuth({
    onFailure: (reason, requestUrl, env) => mcpUnauthorized(reason, tokenAudience(env, requestUrl).issuer),
  }),
);

// Proxying arrives with the gateway-core issue; until then an authenticated caller learns that plainly.
mcpRoute.all("/*", (c) =>
  c.json({ jsonrpc: "2.0", id: null, error: { code: -32601, message: "MCP proxying is not implemented yet" } }, 501),
);
