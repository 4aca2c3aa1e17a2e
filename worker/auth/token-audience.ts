import type { AppEnv } from "../env.ts";
import type { TokenAudience } from "./access-token.ts";

/**
 * The issuer is the gateway's public URL when configured, else the origin the request came to, so a
 * token minted for one deployment is refused by another.
 */
export function tokenAudience(env: AppEnv, requestUrl: string): TokenAudience {
  const issuer = (env.PUBLIC_URL || new URL(requestUrl).origin).replace(/\/+$/, "");
  return { issuer, audience: `${issuer}/mcp` };
}
