import { Hono } from "hono";
import type { HonoEnv } from "../../http/context.ts";
import { authorizeEndpoint } from "./authorize.ts";
import { registerRoute } from "./register.ts";
import { revokeEndpoint } from "./revoke.ts";
import { tokenEndpoint } from "./token.ts";
import { upstreamCallback } from "./upstream-sign-in.ts";

/** The OAuth 2.1 authorization server's endpoints, at the paths its RFC 8414 metadata names. */
export const oauthRoutes = new Hono<HonoEnv>()
  .route("/authorize/callback", upstreamCallback)
  .route("/authorize", authorizeEndpoint)
  .route("/token", tokenEndpoint)
  .route("/register", registerRoute)
  .route("/revoke", revokeEndpoint);
