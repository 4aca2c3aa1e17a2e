import { Hono } from "hono";
import { adminRoute } from "./admin/route.ts";
import { oauthRoutes } from "./auth/oauth/routes.ts";
import { tokenRoute } from "./auth/routes.ts";
import { wellKnownRoutes } from "./auth/well-known.ts";
import { databaseMiddleware } from "./db/middleware.ts";
import { consoleRoute } from "./console/route.ts";
import { deskRoute } from "./desk/route.ts";
import { healthRoute } from "./health/route.ts";
import type { HonoEnv } from "./http/context.ts";
import { cors } from "./http/cors.ts";
import { onError, onNotFound } from "./http/error-handler.ts";
import { mcpRoute } from "./mcp/route.ts";
import { uiRoute } from "./pages/route.ts";
import { ipAllowlist } from "./policy/ip-allowlist-middleware.ts";
import { requestLog } from "./observability/request-log.ts";
import { userRoute } from "./user/route.ts";

export const app = new Hono<HonoEnv>()
  .use(requestLog)
  .use(databaseMiddleware)
  // Only what a browser MCP client calls: discovery, the token exchange and MCP itself, not /admin or /user.
  .use("/.well-known/*", cors(["GET"]))
  .use("/auth/token", cors(["POST"]))
  // A browser-based client registers and redeems its code from its own origin; /authorize is navigated to.
  .use("/token", cors(["POST"]))
  .use("/register", cors(["POST"]))
  .use("/revoke", cors(["POST"]))
  .use("/mcp/*", cors(["GET", "POST", "DELETE"]))
  // The gateway-wide IP allow-list, before authentication and any other work, on every route that signs in,
  // issues or revokes a credential, or uses one; /health and discovery stay open.
  .use("/mcp/*", ipAllowlist)
  .use("/admin/*", ipAllowlist)
  .use("/user/*", ipAllowlist)
  .use("/auth/*", ipAllowlist)
  .use("/authorize/*", ipAllowlist)
  .use("/token", ipAllowlist)
  .use("/register", ipAllowlist)
  .use("/revoke", ipAllowlist)
  .use("/desk/*", ipAllowlist)
  .use("/console/*", ipAllowlist)
  .use("/ui/*", ipAllowlist)
  .route("/health", healthRoute)
  .route("/.well-known", wellKnownRoutes)
  .route("/auth/token", tokenRoute)
  .route("/", oauthRoutes)
  .route("/admin", adminRoute)
  .route("/user", userRoute)
  .route("/mcp", mcpRoute)
  .route("/desk", deskRoute)
  .route("/console", consoleRoute)
  .route("/ui", uiRoute)
  .onError(onError)
  .notFound(onNotFound);
