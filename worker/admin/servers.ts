import { z } from "zod";
import { SERVER_TRANSPORTS, type UserInput } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import { referencedNames } from "../vault/placeholders.ts";
import { HEADER_VALUE, HEADER_VALUE_RULE } from "../vault/header-value.ts";
import type { AppEnv } from "../env.ts";
import { readMcpConfig } from "../mcp/config.ts";
import { probeConnection, type ProbeReport } from "../servers/connect-probe.ts";
import { createServer, deleteServer, listServers, type ServerView, stdioServerOf, updateServer } from "../servers/store.ts";
import { stdioDefinition } from "../servers/stdio-definition.ts";
import { instancesOf, retireServerInstances, stopServerInstances } from "../servers/stdio-instances.ts";
import { pushToEveryone } from "../users/live-sessions.ts";
import type { ServerTransport } from "../db/schema.ts";
import type { StdioTemplate } from "../vault/placeholders.ts";
import { type ActionContext, defineAction } from "./action.ts";
import { auditableServerInput } from "./server-audit.ts";

// The gateway owns these on the downstream connection; letting a config override them would break the session.
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "content-type",
  "accept",
  "connection",
  "transfer-encoding",
  "mcp-session-id",
  "mcp-protocol-version",
  "last-event-id",
]);

const serverId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "must be 1-32 characters of a-z, 0-9 and '-', starting with a letter or digit")
  .describe("Stable id used in tool names (<serverId>__<tool>) and in /mcp/<serverId>");
const name = z.string().trim().min(1).max(200).describe("Display name; defaults to serverId");
const transport = z.enum(SERVER_TRANSPORTS).describe("How the gateway reaches the server: streamable-http, legacy sse, or stdio (a command it runs)");
const url = z
  .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
  .max(2048)
  .describe("The downstream MCP endpoint (not for stdio); may contain {{secret:NAME}} and {{user:NAME}} placeholders");
const headers = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be a valid HTTP header name")
      .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), "is set by the gateway and cannot be configured"),
    z.string().max(8192).regex(HEADER_VALUE, HEADER_VALUE_RULE),
  )
  .describe("Headers sent on every downstream request; values may contain {{secret:NAME}} and {{user:NAME}}");
const enabled = z.boolean().describe("A disabled server is hidden from every client");
const publicAccess = z.boolean().describe("Open to every active user without a grant (the default, as before grants existed); false: only users or roles granted it (1002, 1003)");
const userInputs = z
  .array(
    z.strictObject({
      name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 characters of A-Z, a-z, 0-9, _ . -").describe("Referenced as {{user:NAME}}"),
      description: z.string().max(500).default("").describe("Shown to users configuring the server"),
      required: z.boolean().default(true).describe("Calls fail with instructions until the user sets it"),
    }),
  )
  .max(32)
  .refine((inputs) => new Set(inputs.map((i) => i.name)).size === inputs.length, "names must be unique")
  .describe("Values each user supplies through POST /user (CONFIGURE_SERVER)");

interface ConfigParts {
  url?: string | undefined;
  headers?: Record<string, string> | undefined;
  stdio?: StdioTemplate | undefined;
}

/** A `{{user:NAME}}` nobody can set would block every call: each must be a declared user input. */
function undeclaredUserPlaceholders(config: ConfigParts, inputs: UserInput[]): string[] {
  const declared = new Set(inputs.map((input) => input.name));
  return referencedNames({ url: config.url ?? "", headers: config.headers ?? {}, stdio: config.stdio })
    .filter((ref) => ref.kind === "user" && !declared.has(ref.name))
    .map((ref) => ref.name);
}

function assertUserPlaceholdersDeclared(config: Parameters<typeof undeclaredUserPlaceholders>[0], inputs: UserInput[]): void {
  const undeclared = undeclaredUserPlaceholders(config, inputs);
  if (undeclared.length > 0) {
    throw new AppError("VALIDATION_FAILED", `Invalid input: data.userInputs: declare ${undeclared.join(", ")}, used as {{user:…}} placeholders`);
  }
}

/** A stdio server is a command and nothing else; any other is a URL and nothing else. */
function assertTransportShape(transport: ServerTransport, config: ConfigParts): void {
  if (transport === "stdio" && (!config.stdio || config.url)) {
    throw new AppError("VALIDATION_FAILED", 'Invalid input: data.stdio: transport "stdio" needs stdio ({command, args, env}) and no url');
  }
  if (transport !== "stdio" && (config.stdio || !config.url)) {
    throw new AppError("VALIDATION_FAILED", `Invalid input: data.url: transport "${transport}" needs a url and no stdio`);
  }
}

/**
 * The reply `{server}`, with what trying its connection once committed found: a `warning` when it could not
 * be reached or list its tools, `notProbed` when it was not tried. The change stands either way.
 */
function withConnectionProbe(env: AppEnv, afterCommit: ActionContext["afterCommit"], server: ServerView): { server: ServerView } & ProbeReport {
  const reply: { server: ServerView } & ProbeReport = { server };
  afterCommit(async () => Object.assign(reply, await probeConnection(env, server)), readMcpConfig(env).connectTimeoutMs + PROBE_BOOKKEEPING_MS);
  return reply;
}

/** Time on top of the connection's own for the probe's database reads and its record of the outcome. */
const PROBE_BOOKKEEPING_MS = 2000;

export const serverActions = [
  defineAction({
    code: 2010,
    name: "CREATE_SERVER",
    auditInput: auditableServerInput,
    mutates: true,
    summary:
      "Registers a downstream MCP server, then tries its connection once (HTTP transports, within MCP_CONNECT_TIMEOUT_MS) and lists its tools: never refused for it, the reply says what failed.",
    returns: "`{server, warning?: string, notProbed?: string}`: `warning` says what failed (the transport, the URL without its secrets, the HTTP status); `notProbed` why it was not tried ({{user:…}} values, a secret not yet set, disabled)",
    input: z.strictObject({
      serverId,
      name: name.optional(),
      transport,
      url: url.optional(),
      headers: headers.default({}),
      stdio: stdioDefinition.optional(),
      userInputs: userInputs.default([]),
      enabled: enabled.default(true),
      publicAccess: publicAccess.default(true),
    }),
    async run({ db, env, afterCommit, vault }, data) {
      afterCommit(() => pushToEveryone(env, { kind: "refresh" }));
      assertTransportShape(data.transport, data);
      assertUserPlaceholdersDeclared(data, data.userInputs);
      return withConnectionProbe(env, afterCommit, await createServer(db, await vault(), { ...data, url: data.url ?? "" }));
    },
  }),
  defineAction({
    code: 2011,
    name: "GET_SERVERS",
    summary: "Lists servers, or one server by id.",
    returns: "`{servers: Server[]}`",
    input: z.strictObject({ serverId: serverId.optional() }),
    async run({ db, vault }, data) {
      return { servers: await listServers(db, await vault(), data) };
    },
  }),
  defineAction({
    code: 2012,
    name: "UPDATE_SERVER",
    auditInput: auditableServerInput,
    mutates: true,
    summary:
      "Changes a server's settings; omitted fields keep their values, headers are replaced whole. A change of transport, url or headers tries the connection once, as CREATE_SERVER does.",
    returns: "`{server, warning?: string, notProbed?: string}` (the last two as for CREATE_SERVER, when the connection changed)",
    input: z.strictObject({
      serverId,
      name: name.optional(),
      transport: transport.optional(),
      url: url.optional(),
      headers: headers.optional(),
      stdio: stdioDefinition.optional(),
      userInputs: userInputs.optional(),
      enabled: enabled.optional(),
      publicAccess: publicAccess.optional(),
    }),
    async run({ db, env, afterCommit, vault }, { serverId, ...patch }) {
      afterCommit(() => pushToEveryone(env, { kind: "refresh" }));
      const ring = await vault();
      // Only a change to how the server is reached needs (and decrypts) its current configuration.
      const reachedDifferently = [patch.transport, patch.url, patch.headers, patch.stdio, patch.userInputs].some((part) => part !== undefined);
      const [current] = reachedDifferently ? await listServers(db, ring, { serverId }) : [];
      if (current) {
        const next = { url: patch.url ?? current.url, headers: patch.headers ?? current.headers, stdio: patch.stdio ?? current.stdio };
        assertTransportShape(patch.transport ?? current.transport, next);
        assertUserPlaceholdersDeclared(next, patch.userInputs ?? current.userInputs);
        // A running instance keeps the environment it started with: it is stopped, to start with the new one.
        if (current.stdio) await stopServerInstances(db, env, serverId, current.stdio);
      }
      const server = await updateServer(db, ring, serverId, patch);
      const connectionChanged = [patch.transport, patch.url, patch.headers].some((part) => part !== undefined);
      return connectionChanged ? withConnectionProbe(env, afterCommit, server) : { server };
    },
  }),
  defineAction({
    code: 2013,
    name: "DELETE_SERVER",
    mutates: true,
    summary: "Removes a server; a stdio server's instances are stopped for good.",
    returns: "`{serverId, deleted: true}`",
    input: z.strictObject({ serverId }),
    async run({ db, env, afterCommit, vault }, data) {
      afterCommit(() => pushToEveryone(env, { kind: "refresh" }));
      // Listed before the delete (a per-user server's instances are found through its users' vault
      // records), retired once it has committed: a delete that fails leaves them able to run.
      const stdio = await stdioServerOf(db, await vault(), data.serverId);
      if (stdio) {
        const instances = (await instancesOf(db, data.serverId, stdio.stdio)).map((found) => found.instance);
        afterCommit(() => retireServerInstances(env, data.serverId, instances, stdio.row.createdAt.getTime()));
      }
      await deleteServer(db, data.serverId);
      return { serverId: data.serverId, deleted: true };
    },
  }),
];
