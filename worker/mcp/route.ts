import { Hono } from "hono";
import type { McpSession } from "../../durable-objects/mcp-session.ts";
import { authenticate } from "../auth/authenticate.ts";
import { type PresentedCredential, presentCredential } from "../auth/credential.ts";
import { principalSubject } from "../auth/principal.ts";
import { mcpCredentialScope } from "../auth/token-audience.ts";
import { resourceMetadataUrl } from "../auth/well-known.ts";
import { isDatabaseUnavailable } from "../db/errors.ts";
import type { AppContext, HonoEnv } from "../http/context.ts";
import { AppError } from "../http/errors.ts";
import { readMeasuredJsonBody } from "../http/json-body.ts";
import { logEvent } from "../observability/log.ts";
import { errorText } from "../db/errors.ts";
import { SpentBudgets, takeBodyBytes } from "./byte-budget.ts";
import { storedUserIpList, userIpRefusal } from "../policy/ip-allowlist-middleware.ts";
import { readMcpConfig } from "./config.ts";
import { unreachableEndpoint } from "./endpoint.ts";
import { SERVER_ID_PATTERN } from "./names.ts";
import { originRefusal } from "./origin.ts";
import { isRequest, isSupportedVersion, JSONRPC_ERRORS, type JsonRpcMessage, validateMessage } from "./protocol.ts";
import { isIssuedSessionId, newSessionId } from "./session-id.ts";
import { addressRefused, databaseUnavailable, SESSION_HEADER, sessionNotFound, transportError } from "./session/responses.ts";
import type { RequestFrom } from "./session/types.ts";
import { decideEra, isStatelessEraVersion } from "./stateless/era.ts";
import { statelessPost } from "./stateless/front.ts";
import { mcpUnauthorized } from "./unauthorized.ts";

/**
 * Streamable HTTP at `/mcp` (every server the caller may use, aggregated) and `/mcp/<serverId>` (one
 * server, original names). The Worker checks Host and Origin, the credential and the message shapes,
 * then hands the session's Durable Object exactly what it needs. Only `initialize` asks the database
 * who the caller is; inside a session, the credential is compared with the one that opened it.
 */
export const mcpRoute = new Hono<HonoEnv>();

/** Deeper than this is no real MCP message, and deep enough to overflow the stack of what walks it. */
const MAX_MESSAGE_DEPTH = 64;

mcpRoute.use(async (c, next) => {
  const refused = originRefusal(c);
  if (refused) return transportError(403, JSONRPC_ERRORS.INVALID_REQUEST, `Forbidden: ${refused}`);
  const version = c.req.header("mcp-protocol-version");
  // A POST's version is judged with its body, in post(): the era is decided per request.
  if (version && isStatelessEraVersion(version) && c.req.method !== "POST") {
    return transportError(405, JSONRPC_ERRORS.INVALID_REQUEST, `Method not allowed: ${version} is stateless and POST only (GET and DELETE belong to 2025 sessions)`);
  }
  if (version && c.req.method !== "POST") {
    const refused = unsupportedSessionVersion(version);
    if (refused) return refused;
  }
  await next();
});

for (const path of ["/", "/:serverId"]) {
  mcpRoute.post(path, (c) => handle(c, post));
  mcpRoute.get(path, (c) => handle(c, get));
  mcpRoute.delete(path, (c) => handle(c, remove));
}
mcpRoute.all("/*", () => transportError(405, JSONRPC_ERRORS.INVALID_REQUEST, "Method not allowed: use POST, GET or DELETE"));

/** A session request naming a version no session speaks (a 2026 one was routed by the era check already). */
function unsupportedSessionVersion(version: string): Response | null {
  return isSupportedVersion(version) ? null : transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, `Unsupported MCP-Protocol-Version: ${version}`);
}

type Handler = (c: AppContext, scope: string | null, credential: PresentedCredential) => Promise<Response>;

/** Scope and credential first; every failure after that is a JSON-RPC error, never the /admin envelope. */
async function handle(c: AppContext, handler: Handler): Promise<Response> {
  const serverId = c.req.param("serverId");
  if (serverId !== undefined && !SERVER_ID_PATTERN.test(serverId)) {
    return transportError(404, JSONRPC_ERRORS.INVALID_REQUEST, `No MCP endpoint for "${serverId}"`);
  }
  try {
    const presented = await presentCredential(c.env, mcpCredentialScope(c.env, c.req.url), c.req.header("authorization"));
    if (!presented.ok) return mcpUnauthorized(presented.reason, resourceMetadataUrl(c.env, c.req.url));
    return await handler(c, serverId ?? null, presented.credential);
  } catch (error) {
    if (isDatabaseUnavailable(error)) return databaseUnavailable();
    logEvent("request.unhandled_error", { path: c.req.path, error: errorText(error) }, "error");
    return transportError(500, JSONRPC_ERRORS.INTERNAL_ERROR, "Internal error");
  }
}

function requestFrom(c: AppContext, credential: PresentedCredential): RequestFrom {
  return { credential, ip: c.req.header("cf-connecting-ip") ?? null };
}

/** The session named by the request's header, or the error response that ends the request. */
async function existingSession(c: AppContext): Promise<DurableObjectStub<McpSession> | Response> {
  const sessionId = c.req.header(SESSION_HEADER);
  if (!sessionId) return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, `Bad Request: the ${SESSION_HEADER} header is required`);
  // Ids carry a MAC only this deployment can make: a forged one wakes no object and creates no storage.
  if (!(await isIssuedSessionId(c.env.JWT_SIGNING_KEY, sessionId))) return sessionNotFound();
  return c.env.MCP_SESSION.getByName(sessionId);
}

/** Users whose byte budget is spent, as this isolate last heard from their session or the stateless front. */
const spentBudgets = new SpentBudgets();

async function post(c: AppContext, scope: string | null, credential: PresentedCredential): Promise<Response> {
  // Before the body: a spent budget or a declared size over the cap costs the isolate no read at all.
  const spent = spentBudgets.refusal(credential);
  if (spent) return spent;
  const config = readMcpConfig(c.env);
  let body: { value: unknown; bytes: number };
  try {
    body = await readMeasuredJsonBody(c.req.raw, { maxBytes: config.maxBodyBytes, maxDepth: MAX_MESSAGE_DEPTH });
  } catch (error) {
    if (error instanceof AppError && error.kind === "PAYLOAD_TOO_LARGE") {
      return transportError(413, JSONRPC_ERRORS.LIMIT_EXCEEDED, `Payload too large: a request body may hold at most ${config.maxBodyBytes} bytes (MCP_MAX_BODY_BYTES)`);
    }
    if (error instanceof AppError && error.kind === "VALIDATION_FAILED") return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, `Invalid Request: ${error.message}`);
    return transportError(400, JSONRPC_ERRORS.PARSE_ERROR, "Parse error: the body is not valid JSON");
  }
  const response = await postMessages(c, scope, credential, body.value, body.bytes);
  spentBudgets.learn(credential, response, config.bytesPerMinute);
  return response;
}

async function postMessages(c: AppContext, scope: string | null, credential: PresentedCredential, body: unknown, bodyBytes: number): Promise<Response> {
  const era = decideEra(c.req.raw.headers, body);
  if (era.era === "refused") return era.response;
  if (era.era === "stateless-notification") return new Response(null, { status: 202 });
  if (era.era === "stateless") return statelessPost(c, scope, era.request, era.client, bodyBytes);
  const version = c.req.header("mcp-protocol-version");
  const refused = version ? unsupportedSessionVersion(version) : null;
  if (refused) return refused;

  const batch = Array.isArray(body);
  const raw = batch ? (body as unknown[]) : [body];
  if (raw.length === 0) return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, "Invalid Request: empty batch");
  const { maxBatch } = readMcpConfig(c.env);
  if (raw.length > maxBatch) {
    return transportError(400, JSONRPC_ERRORS.LIMIT_EXCEEDED, `Invalid Request: a batch may hold at most ${maxBatch} messages (MCP_MAX_BATCH); this one has ${raw.length}`);
  }
  const messages: JsonRpcMessage[] = [];
  for (const item of raw) {
    const checked = validateMessage(item);
    if (typeof checked === "string") return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, `Invalid Request: ${checked}`);
    messages.push(checked);
  }

  const initialize = messages.find((m) => isRequest(m) && m.method === "initialize");
  if (initialize && isRequest(initialize)) {
    if (messages.length > 1) return transportError(400, JSONRPC_ERRORS.INVALID_REQUEST, "Invalid Request: initialize must be sent alone");
    // The one read of who the caller is: the session records it, and is told when it changes.
    const auth = await authenticate(c.env, c.get("db"), mcpCredentialScope(c.env, c.req.url), c.req.header("authorization"));
    if (!auth.ok) return mcpUnauthorized(auth.reason, resourceMetadataUrl(c.env, c.req.url));
    const spent = await takeBodyBytes(c.env, readMcpConfig(c.env), auth.principal.userId, bodyBytes);
    if (spent) return spent;
    const refusedAddress = await userIpRefusal(c, auth.principal.userId);
    if (refusedAddress) return addressRefused(refusedAddress);
    const unreachable = scope ? await unreachableEndpoint(c, auth.principal, scope) : null;
    if (unreachable) return unreachable;
    const sessionId = await newSessionId(c.env.JWT_SIGNING_KEY);
    const caller = { subject: principalSubject(auth.principal), principal: auth.principal, ip: c.req.header("cf-connecting-ip") ?? null };
    // The session checks every later request against the user's list itself; changes to it are pushed.
    const ipList = await storedUserIpList(c, auth.principal.userId);
    return c.env.MCP_SESSION.getByName(sessionId).open({ sessionId, caller, credential: auth.credential, scope, initialize, ipList });
  }

  const stub = await existingSession(c);
  if (stub instanceof Response) return stub;
  const accept = c.req.header("accept") ?? "";
  return stub.receive({ from: requestFrom(c, credential), scope, messages, batch, bodyBytes, acceptsSse: accept.includes("text/event-stream") });
}

async function get(c: AppContext, scope: string | null, credential: PresentedCredential): Promise<Response> {
  if (!(c.req.header("accept") ?? "").includes("text/event-stream")) {
    return transportError(406, JSONRPC_ERRORS.INVALID_REQUEST, "Not Acceptable: GET opens an SSE stream; accept text/event-stream");
  }
  const stub = await existingSession(c);
  if (stub instanceof Response) return stub;
  return stub.listen({ from: requestFrom(c, credential), scope, lastEventId: c.req.header("last-event-id") ?? null });
}

async function remove(c: AppContext, scope: string | null, credential: PresentedCredential): Promise<Response> {
  const stub = await existingSession(c);
  if (stub instanceof Response) return stub;
  return stub.close({ from: requestFrom(c, credential), scope });
}
