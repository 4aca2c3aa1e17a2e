import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import type { HonoEnv } from "../http/context.ts";
import { AppError } from "../http/errors.ts";
import { authenticate } from "./authenticate.ts";
import { INVALID_CREDENTIAL } from "./credential.ts";
import { apiCredentialScope, type CredentialScope } from "./token-audience.ts";

export interface RequireAuthOptions {
  /** Builds the 401 response; MCP needs a JSON-RPC body and the RFC 9728 challenge, the APIs their envelope. */
  onFailure?: (reason: "missing" | "invalid", requestUrl: string, env: AppEnv) => Response;
  /** Which tokens the route accepts; by default the user's own, for the gateway's `/mcp` audience. */
  credentials?: (env: AppEnv, requestUrl: string) => CredentialScope;
}

export function requireAuth(options: RequireAuthOptions = {}) {
  return createMiddleware<HonoEnv>(async (c, next) => {
    const result = await authenticate(
      c.env,
      c.get("db"),
      (options.credentials ?? apiCredentialScope)(c.env, c.req.url),
      c.req.header("authorization"),
    );
    if (!result.ok) {
      if (options.onFailure) return options.onFailure(result.reason, c.req.url, c.env);
      throw new AppError(
        "UNAUTHENTICATED",
        result.reason === "missing"
          ? "Missing credential: send Authorization: Bearer <key or token>"
          : INVALID_CREDENTIAL,
      );
    }
    c.set("principal", result.principal);
    await next();
  });
}
