import { authenticate } from "../../auth/authenticate.ts";
import { mcpCredentialScope } from "../../auth/token-audience.ts";
import { resourceMetadataUrl } from "../../auth/well-known.ts";
import type { AppContext } from "../../http/context.ts";
import { takeBodyBytes } from "../byte-budget.ts";
import { readMcpConfig } from "../config.ts";
import { userIpRefusal } from "../../policy/ip-allowlist-middleware.ts";
import { ROUTED_METHODS } from "../core/resolve.ts";
import { unreachableEndpoint } from "../endpoint.ts";
import { parseExposedName, parseExposedUri, SERVER_ID_PATTERN } from "../names.ts";
import type { JsonRpcRequest } from "../protocol.ts";
import { addressRefused } from "../session/responses.ts";
import { mcpUnauthorized } from "../unauthorized.ts";
import { bridgeName } from "./bridge.ts";
import type { StatelessClient } from "./era.ts";

/**
 * A 2026-07-28 request: it names no session, so every one is authenticated afresh (a revoked key or a
 * disabled user is refused on its next request), then handed to the bridge object of (caller, endpoint,
 * server), which holds the downstream session for all of that caller's stateless requests.
 */
export async function statelessPost(c: AppContext, scope: string | null, request: JsonRpcRequest, client: StatelessClient, bodyBytes: number): Promise<Response> {
  const auth = await authenticate(c.env, c.get("db"), mcpCredentialScope(c.env, c.req.url), c.req.header("authorization"));
  if (!auth.ok) return mcpUnauthorized(auth.reason, resourceMetadataUrl(c.env, c.req.url));
  const refusedAddress = await userIpRefusal(c, auth.principal.userId);
  if (refusedAddress) return addressRefused(refusedAddress);
  const unreachable = scope && request.method === "server/discover" ? await unreachableEndpoint(c, auth.principal, scope) : null;
  if (unreachable) return unreachable;
  const spent = await takeBodyBytes(c.env, readMcpConfig(c.env), auth.principal.userId, bodyBytes);
  if (spent) return spent;
  const bridge = bridgeName(auth.principal, scope, scope ?? routedServer(request));
  return c.env.SERVER_BRIDGE.getByName(bridge).handle({
    bridge,
    principal: auth.principal,
    ip: c.req.header("cf-connecting-ip") ?? null,
    scope,
    request,
    client,
    acceptsSse: (c.req.header("accept") ?? "").includes("text/event-stream"),
    paramHeaders: Object.fromEntries([...c.req.raw.headers].filter(([name]) => name.startsWith("mcp-param-"))),
  });
}

/**
 * The server a request on `/mcp` goes to, from the name, URI or task id it carries; null for the
 * gateway's own methods (lists, discover), which the "every server" bridge answers, and for a name no
 * server could own, which that bridge refuses with the same error a session gives.
 */
function routedServer(request: JsonRpcRequest): string | null {
  if (!ROUTED_METHODS.has(request.method)) return null;
  const params = request.params ?? {};
  const ref = (params.ref ?? {}) as { name?: unknown; uri?: unknown };
  const name = [params.name, params.taskId, ref.name].find((value): value is string => typeof value === "string");
  const uri = [params.uri, ref.uri].find((value): value is string => typeof value === "string");
  const serverId = (name !== undefined ? parseExposedName(name)?.serverId : undefined) ?? (uri !== undefined ? parseExposedUri(uri)?.serverId : undefined);
  return serverId !== undefined && SERVER_ID_PATTERN.test(serverId) ? serverId : null;
}
