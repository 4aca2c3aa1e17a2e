import { z } from "zod";
import { approvalView, decideApprovalInput, listApprovalsInput } from "../approvals/types.ts";
import { USER_ROLES } from "../db/schema.ts";
import { configureServerInput, unconfigureServerInput } from "../user/actions.ts";
import { getMyCapabilitiesInput, setMyCapabilitiesInput } from "../user/capabilities.ts";

/**
 * The Desk channel's messages, version 1: every message either side sends over `/desk` is one JSON text
 * frame with a `type`. Scripts and the page rely on these names; extend them, never rename them.
 * docs/reference.md#desk-messages is generated from this module.
 */
export const DESK_PROTOCOL_VERSION = 1;

/** The largest text frame a client may send; a larger one is refused with an error, the socket stays open. */
export const MAX_CLIENT_FRAME_BYTES = 256 * 1024;

const requestId = z.string().min(1).max(100).describe("Any id the client chose; the reply (or error) carries it back");
const replyTo = requestId.optional().describe("The requestId of the client message this answers, if it sent one");

// ── from the server ─────────────────────────────────────────────────────────────────────────────────────

export const hello = z.object({
  type: z.literal("hello").describe("The first message on every connection"),
  version: z.literal(DESK_PROTOCOL_VERSION).describe("The protocol version this module describes"),
  userId: z.string().nullable().describe("Whose desk this is (null: the owner key)"),
  role: z.enum(USER_ROLES).describe("The user's role when the socket opened (notification permission.changed says when it changes)"),
  channel: z.enum(["desk", "web"]).describe("What the ticket was asked for: decisions made here are audited with this channel"),
});

export const approvalRequested = z.object({
  type: z.literal("approval.requested").describe("A call waits for a decision this user may make"),
  approval: approvalView.describe("The request, arguments redacted"),
});

export const approvalDecided = z.object({
  type: z.literal("approval.decided").describe("Someone approved or rejected a request this user can see"),
  approval: approvalView.describe("The request after the decision"),
});

export const approvalExpired = z.object({
  type: z.literal("approval.expired").describe("Nobody decided in time: the call was answered as rejected"),
  approval: approvalView.describe("The expired request"),
});

export const approvalExecuted = z.object({
  type: z.literal("approval.executed").describe("An approved call ran; resultOutcome says how it ended"),
  approval: approvalView.describe("The request after its execution"),
});

export const approvalsSnapshot = z.object({
  type: z.literal("approvals.snapshot").describe("On connect: the pending requests this user may decide or made; also the reply to approvals.list"),
  requestId: replyTo,
  approvals: z.array(approvalView).describe("Newest first, arguments redacted"),
});

const effectiveItem = z.object({
  name: z.string().describe("The item's name on its server (a URI for a resource)"),
  title: z.string().nullable().describe("A tool's title from its catalog (null: none given, and for prompts and resources)"),
  description: z.string().nullable().describe("A tool's description from its catalog (null: none given)"),
  available: z.boolean().describe("Whether this user may use it"),
  dangerLevel: z.number().int().describe("0 silent, 1 notify, 2 approval"),
  removedBy: z.string().nullable().describe("The layer (server, grant, user, rule) that removed it; null when available"),
  ruleId: z.string().nullable().describe("The rule that removed it"),
  reason: z.string().nullable().describe("Why it was removed"),
});

const capabilitiesBody = {
  requestId: replyTo,
  clientName: z.string().describe("The client the narrowing applies to; empty: every client"),
  narrowing: z.record(z.string(), z.unknown()).describe("This user's own narrowing (layer 3), as SET_MY_CAPABILITIES stores it"),
  servers: z
    .array(
      z.object({
        serverId: z.string().describe("The server"),
        tools: z.array(effectiveItem).describe("Its tools"),
        prompts: z.array(effectiveItem).describe("Its prompts"),
        resources: z.array(effectiveItem).describe("Its resources"),
      }),
    )
    .describe("What GET_MY_CAPABILITIES (3010) answers: every known item with the layer that removed each missing one"),
};

export const capabilitiesSnapshot = z.object({
  type: z.literal("capabilities.snapshot").describe("On connect (users, not the owner key), and the reply to capabilities.get"),
  ...capabilitiesBody,
});

export const capabilitiesUpdated = z.object({
  type: z.literal("capabilities.updated").describe("After a change to policy, grants, servers or this user's narrowing: the new snapshot"),
  ...capabilitiesBody,
});

export const serversSnapshot = z.object({
  type: z.literal("servers.snapshot").describe("On connect and after changes (users only), and the reply to servers.list: LIST_MY_SERVERS (2003)"),
  requestId: replyTo,
  servers: z
    .array(
      z.object({
        serverId: z.string().describe("The server"),
        name: z.string().describe("Its display name"),
        configured: z.boolean().describe("Whether every required personal value is set"),
        userInputs: z
          .array(
            z.object({
              name: z.string().describe("The value's NAME ({{user:NAME}})"),
              description: z.string().optional().describe("What the value is"),
              required: z.boolean().describe("Whether calls need it"),
              configured: z.boolean().describe("Whether this user set it (never the value)"),
            }),
          )
          .describe("The personal values it asks for"),
      }),
    )
    .describe("Enabled servers and the values each asks of this user"),
});

export const sessionsOnline = z.object({
  type: z.literal("sessions.online").describe("On connect and whenever one of this user's MCP sessions opens or ends"),
  count: z.number().int().describe("How many MCP sessions of this user are open"),
  sessions: z
    .array(
      z.object({
        sessionId: z.string().describe("The session's id (Mcp-Session-Id), for END_MY_SESSION"),
        clientName: z.string().nullable().describe("clientInfo.name of the client that opened it (null: a session opened before names were kept)"),
        openedAt: z.string().describe("ISO time the session opened"),
        keyId: z.string().nullable().describe("The API key behind its credential (its id, never the secret)"),
        oauthClient: z.boolean().describe("Whether an OAuth client opened it"),
      }),
    )
    .describe("Oldest first"),
});

export const NOTIFICATION_KINDS = ["server.offline", "server.online", "permission.changed", "user.disabled", "user.deleted", "key.revoked", "ip.refused"] as const;

export const notification = z.object({
  type: z.literal("notification").describe("Something this user should know; user.disabled, user.deleted, key.revoked and ip.refused (the user's IP allow-list no longer admits this socket's address) are followed by the socket closing"),
  kind: z
    .enum(NOTIFICATION_KINDS)
    .describe("What happened. server.offline / server.online: a server left or joined this user's servers.snapshot (disabled or removed; enabled or added)"),
  message: z.string().describe("A sentence for a person"),
  serverId: z.string().optional().describe("The server it concerns (server.offline, server.online)"),
});

export const approvalDecideResult = z.object({
  type: z.literal("approval.decide.result").describe("The reply to approval.decide: the request after the decision"),
  requestId: replyTo,
  approval: approvalView.describe("The decided request"),
});

export const capabilitiesSetResult = z.object({
  type: z.literal("capabilities.set.result").describe("The reply to capabilities.set; capabilities.updated follows"),
  requestId: replyTo,
  clientName: z.string().describe("The client the narrowing applies to"),
  narrowing: z.record(z.string(), z.unknown()).describe("The narrowing now stored"),
});

export const serversConfigureResult = z.object({
  type: z.literal("servers.configure.result").describe("The reply to servers.configure"),
  requestId: replyTo,
  serverId: z.string().describe("The server"),
  configured: z.array(z.string()).describe("The names this user has set"),
  missing: z.array(z.string()).describe("Required names still unset"),
});

export const serversUnconfigureResult = z.object({
  type: z.literal("servers.unconfigure.result").describe("The reply to servers.unconfigure"),
  requestId: replyTo,
  serverId: z.string().describe("The server"),
  removed: z.number().int().describe("How many values were deleted"),
});

export const pong = z.object({
  type: z.literal("pong").describe("The reply to ping"),
  requestId: replyTo,
});

export const deskError = z.object({
  type: z.literal("error").describe("A client message was refused or failed; the socket stays open"),
  code: z.number().int().describe("The API's error code (docs/reference.md#error-codes): its first three digits are an HTTP status"),
  message: z.string().describe("What was wrong, for a person; never a stack trace or a secret"),
  requestId: replyTo,
});

export const deskServerMessage = z.discriminatedUnion("type", [
  hello,
  approvalRequested,
  approvalDecided,
  approvalExpired,
  approvalExecuted,
  approvalsSnapshot,
  capabilitiesSnapshot,
  capabilitiesUpdated,
  serversSnapshot,
  sessionsOnline,
  notification,
  approvalDecideResult,
  capabilitiesSetResult,
  serversConfigureResult,
  serversUnconfigureResult,
  pong,
  deskError,
]);
export type DeskServerMessage = z.infer<typeof deskServerMessage>;

// ── from the client ─────────────────────────────────────────────────────────────────────────────────────

const clientBase = { requestId: requestId.optional() };

export const decideMessage = decideApprovalInput.extend({
  type: z.literal("approval.decide").describe("Approve, reject (with a reason), or approve with edited arguments; answered by approval.decide.result"),
  ...clientBase,
});

export const listApprovalsMessage = listApprovalsInput.extend({
  type: z.literal("approvals.list").describe("The requests this user may decide or made (all of them for owners and admins); answered by approvals.snapshot"),
  ...clientBase,
});

export const getCapabilitiesMessage = getMyCapabilitiesInput.extend({
  type: z.literal("capabilities.get").describe("What this user may use, for one client or all; answered by capabilities.snapshot"),
  ...clientBase,
});

export const setCapabilitiesMessage = setMyCapabilitiesInput.extend({
  type: z.literal("capabilities.set").describe("SET_MY_CAPABILITIES (3011): replace this user's own narrowing; answered by capabilities.set.result"),
  ...clientBase,
});

export const configureServerMessage = configureServerInput.extend({
  type: z.literal("servers.configure").describe("CONFIGURE_SERVER (2001): store personal values for a server; answered by servers.configure.result"),
  ...clientBase,
});

export const unconfigureServerMessage = unconfigureServerInput.extend({
  type: z.literal("servers.unconfigure").describe("UNCONFIGURE_SERVER (2002): delete this user's values for a server; answered by servers.unconfigure.result"),
  ...clientBase,
});

export const listServersMessage = z.strictObject({
  type: z.literal("servers.list").describe("LIST_MY_SERVERS (2003); answered by servers.snapshot"),
  ...clientBase,
});

export const pingMessage = z.strictObject({
  type: z.literal("ping").describe("Answered by pong"),
  ...clientBase,
});

export const deskClientMessage = z.discriminatedUnion("type", [
  decideMessage,
  listApprovalsMessage,
  getCapabilitiesMessage,
  setCapabilitiesMessage,
  configureServerMessage,
  unconfigureServerMessage,
  listServersMessage,
  pingMessage,
]);
export type DeskClientMessage = z.infer<typeof deskClientMessage>;

export const DESK_CLIENT_TYPES = deskClientMessage.options.map((option) => option.shape.type.value);
