import { Hono } from "hono";
import type { McpSession } from "../../durable-objects/mcp-session.ts";
import { requireAuth } from "../auth/middleware.ts";
import { principalSubject } from "../auth/principal.ts";
import { randomBase64Url } from "../auth/crypto.ts";
import { mcpCredentialScope } from "../auth/token-audience.ts";
import { resourceMetadataUrl } from "../auth/well-known.ts";
import type { AppContext, HonoEnv } from "../http/context.ts";
import { AppError } from "../http/errors.ts";
import { readJsonBody } from "../http/json-body.ts";
import { SERVER_ID_PATTERN } from "./names.ts";
import { refuseRequestOrigin } from "./origin.ts";
import { isRequest, isSupportedVersion, JSONRPC_ERRORS, type JsonRpcMessage, validateMessage } from "./protocol.ts";
import { SESSION_HEADER, sessionNotFound, transportError } from "./session/responses.ts";
import type { Caller } from "./session/types.ts";
import { isServerEnabled } from "../servers/store.ts";
import { mcpUnauthorized } from "./unauthorized.ts";

/**
 * Streamable HTTP at `/mcp` (every server the caller may use, aggregated) and `/mcp/<serverId>` (one
 * server, original names). The Worker authenticates, checks Origin and the message shapes, then hands
 * the session's Durable Object exactly what it needs.
 */
export const mcpRoute = new Hono<HonoEnv>();

mcpRoute.use(async (c, next) => {
  const refused = refuseRequestOrigin(c.req.raw, c.env);
  if (refused) return transportError(403, JSONRPC_ERRORS.INVALID_REQUEST, `Forbidden: ${refused}`);
  const version = c.req.header("mcp-protocol-version");
  if (version && !isSupportedVersion(version)) {
    return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, `Unsupported MCP-Protocol-Version: ${version}`);
  }
  await next();
});

mcpRoute.use(
  requireAuth({
    credentials: mcpCredentialScope,
    onFailure: (reason, requestUrl, env) => mcpUnauthorized(reason, resourceMetadataUrl(env, requestUrl)),
  }),
);

for (const path of ["/", "/:serverId"]) {
  mcpRoute.post(path, (c) => withScope(c, (scope) => post(c, scope)));
  mcpRoute.get(path, (c) => withScope(c, (scope) => get(c, scope)));
  mcpRoute.delete(path, (c) => withScope(c, (scope) => remove(c, scope)));
}
mcpRoute.all("/*", () => transportError(405, JSONRPC_ERRORS.INVALID_REQUEST, "Method not allowed: use POST, GET or DELETE"));

function withScope(c: AppContext, handler: (scope: string | null) => Promise<Response>): Promise<Response> {
  const serverId = c.req.param("serverId");
  if (serverId !== undefined && !SERVER_ID_PATTERN.test(serverId)) {
    return Promise.resolve(transportError(404, JSONRPC_ERRORS.INVALID_REQUEST, `No MCP endpoint for "${serverId}"`));
  }
  return handler(serverId ?? null);
}

function caller(c: AppContext): Caller {
  const principal = c.get("principal");
  return { subject: principalSubject(principal), principal, ip: c.req.header("cf-connecting-ip") ?? null };
}

/** The session named by the request's header, or the error response that ends the request. */
function existingSession(c: AppContext): DurableObjectStub<McpSession> | Response {
  const sessionId = c.req.header(SESSION_HEADER);
  if (!sessionId) return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, `Bad Request: the ${SESSION_HEADER} header is required`);
  // Our ids are 43 base64url characters; anything else cannot name a session, so no DO is woken for it.
  if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return sessionNotFound();
  return c.env.MCP_SESSION.getByName(sessionId);
}

async function post(c: AppContext, scope: string | null): Promise<Response> {
  let body: unknown;
  try {
    body = await readJsonBody(c.req.raw);
  } catch (error) {
    if (error instanceof AppError && error.kind === "PAYLOAD_TOO_LARGE") {
      return transportError(413, JSONRPC_ERRORS.INVALID_REQUEST, error.message);
    }
    return transportError(400, JSONRPC_ERRORS.PARSE_ERROR, "Parse error: the body is not valid JSON");
  }

  const batch = Array.isArray(body);
  const raw = batch ? (body as unknown[]) : [body];
  if (raw.length === 0) return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, "Invalid Request: empty batch");
  const messages: JsonRpcMessage[] = [];
  for (const item of raw) {
    const checked = validateMessage(item);
    if (typeof checked === "string") return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, `Invalid Request: ${checked}`);
    messages.push(checked);
  }

  const initialize = messages.find((m) => isRequest(m) && m.method === "initialize");
  if (initialize && isRequest(initialize)) {
    if (messages.length > 1) {
      return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, "Invalid Request: initialize must be sent alone");
    }
    if (scope && !(await isServerEnabled(c.get("db")(), scope))) {
      return transportError(404, JSONRPC_ERRORS.INVALID_REQUEST, `No enabled server "${scope}"`);
    }
    const sessionId = randomBase64Url(32);
    return c.env.MCP_SESSION.getByName(sessionId).open({ sessionId, caller: caller(c), scope, initialize });
  }

  const stub = existingSession(c);
  if (stub instanceof Response) return stub;
  const accept = c.req.header("accept") ?? "";
  return stub.receive({
    caller: caller(c),
    scope,
    messages,
    batch,
    acceptsSse: accept.includes("text/event-stream"),
  });
}

async function get(c: AppContext, scope: string | null): Promise<Response> {
  if (!(c.req.header("accept") ?? "").includes("text/event-stream")) {
    return transportError(406, JSONRPC_ERRORS.INVALID_REQUEST, "Not Acceptable: GET opens an SSE stream; accept text/event-stream");
  }
  const stub = existingSession(c);
  if (stub instanceof Response) return stub;
  return stub.listen({ caller: caller(c), scope, lastEventId: c.req.header("last-event-id") ?? null });
}

async function remove(c: AppContext, scope: string | null): Promise<Response> {
  const stub = existingSession(c);
  if (stub instanceof Response) return stub;
  return stub.close({ caller: caller(c), scope });
}
