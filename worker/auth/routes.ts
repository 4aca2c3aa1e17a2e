import { Hono } from "hono";
import type { HonoEnv } from "../http/context.ts";
import { AppError } from "../http/errors.ts";
import { userIpRefusal } from "../policy/ip-allowlist-middleware.ts";
import { ACCESS_TOKEN_TTL_SECONDS, mintAccessToken } from "./access-token.ts";
import { authenticateApiKey } from "./authenticate.ts";
import { bearerToken } from "./credential.ts";
import { tokenAudience } from "./token-audience.ts";

/** `POST /auth/token`: exchanges a user's API key (as the bearer credential) for a short-lived access token. */
export const tokenRoute = new Hono<HonoEnv>().post("/", async (c) => {
  const apiKey = bearerToken(c.req.header("authorization"));
  if (!apiKey) throw new AppError("UNAUTHENTICATED", "Missing credential: send Authorization: Bearer pk_…");
  const principal = await authenticateApiKey(c.get("db")(), apiKey);
  if (!principal) throw new AppError("UNAUTHENTICATED", "Invalid API key, or its user is disabled");
  const refusedAddress = await userIpRefusal(c, principal.userId);
  if (refusedAddress) throw new AppError("FORBIDDEN", refusedAddress);

  const accessToken = await mintAccessToken(c.env.JWT_SIGNING_KEY, tokenAudience(c.env, c.req.url), principal);
  c.header("Cache-Control", "no-store");
  return c.json({ access_token: accessToken, token_type: "Bearer", expires_in: ACCESS_TOKEN_TTL_SECONDS });
});
