import type { z } from "zod";
import { decideApproval } from "../approvals/decide.ts";
import { listApprovals } from "../approvals/store.ts";
import type { ApprovalChannel } from "../approvals/types.ts";
import { errorText, isDatabaseUnavailable } from "../db/errors.ts";
import { type Database, openDatabase } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import { AppError, ERROR_CODES } from "../http/errors.ts";
import { logEvent } from "../observability/log.ts";
import {
  type capabilitiesSnapshot,
  type DeskClientMessage,
  type DeskServerMessage,
  DESK_CLIENT_TYPES,
  deskClientMessage,
  MAX_CLIENT_FRAME_BYTES,
  type serversSnapshot,
} from "./messages.ts";
import { runSelfService, type SelfServiceCaller } from "./self-service.ts";

export interface DeskCaller extends SelfServiceCaller {
  /** Where decisions on this socket are recorded as made. */
  channel: Extract<ApprovalChannel, "desk" | "web">;
}

type Reply = { requestId?: string | undefined };
type Without<T> = Omit<T, "type" | "requestId">;

// The action codes of /user that the Desk runs (worker/user/actions.ts, capabilities.ts).
const CONFIGURE_SERVER = 2001;
const UNCONFIGURE_SERVER = 2002;
const LIST_MY_SERVERS = 2003;
const GET_MY_CAPABILITIES = 3010;
const SET_MY_CAPABILITIES = 3011;

/** Runs `work` over a connection of its own, closed afterwards: a socket's messages are far apart. */
export async function withDatabase<T>(env: AppEnv, work: (db: Database) => Promise<T>): Promise<T> {
  const handle = openDatabase(env, { idleTimeoutMs: 1000 });
  try {
    return await work(handle.db);
  } finally {
    await handle.close().catch(() => {});
  }
}

export async function capabilitiesOf(env: AppEnv, db: Database, caller: DeskCaller, clientName = ""): Promise<Without<z.infer<typeof capabilitiesSnapshot>>> {
  return (await runSelfService(env, db, caller, GET_MY_CAPABILITIES, { clientName })) as Without<z.infer<typeof capabilitiesSnapshot>>;
}

export async function serversOf(env: AppEnv, db: Database, caller: DeskCaller): Promise<Without<z.infer<typeof serversSnapshot>>> {
  return (await runSelfService(env, db, caller, LIST_MY_SERVERS, {})) as Without<z.infer<typeof serversSnapshot>>;
}

/** What a socket is sent when it opens, after hello: pending approvals, and for a user their capabilities and servers. */
export async function welcomeMessages(env: AppEnv, caller: DeskCaller): Promise<DeskServerMessage[]> {
  return withDatabase(env, async (db) => {
    const messages: DeskServerMessage[] = [{ type: "approvals.snapshot", approvals: await listApprovals(db, { status: "pending", limit: 100 }, caller.principal) }];
    if (caller.principal.userId !== null) messages.push(...(await userSnapshots(env, db, caller, "capabilities.snapshot")));
    return messages;
  });
}

/** The capabilities and servers messages of a user (the owner key has neither). */
export async function userSnapshots(env: AppEnv, db: Database, caller: DeskCaller, type: "capabilities.snapshot" | "capabilities.updated"): Promise<DeskServerMessage[]> {
  return [
    { type, ...(await capabilitiesOf(env, db, caller)) },
    { type: "servers.snapshot", ...(await serversOf(env, db, caller)) },
  ];
}

/**
 * One client frame in, exactly one reply out: the typed answer, or an `error` message with the API's
 * code. Nothing thrown here reaches the socket as a stack: unexpected failures are logged and answered
 * as 50001 (or 50301 while the database is unreachable).
 */
export async function answerFrame(env: AppEnv, caller: DeskCaller, frame: string | ArrayBuffer): Promise<DeskServerMessage> {
  const parsed = parseFrame(frame);
  if ("error" in parsed) return parsed.error;
  const message = parsed.message;
  try {
    return await answer(env, caller, message);
  } catch (error) {
    return errorMessage(error, message.requestId);
  }
}

function parseFrame(frame: string | ArrayBuffer): { message: DeskClientMessage } | { error: DeskServerMessage } {
  const refuse = (code: number, message: string, requestId?: string) => ({ error: { type: "error" as const, code, message, ...(requestId ? { requestId } : {}) } });
  if (typeof frame !== "string") return refuse(ERROR_CODES.INVALID_JSON, "Binary frames are not accepted: send each message as one JSON text frame");
  if (new TextEncoder().encode(frame).byteLength > MAX_CLIENT_FRAME_BYTES) {
    return refuse(ERROR_CODES.PAYLOAD_TOO_LARGE, `The message is larger than ${MAX_CLIENT_FRAME_BYTES} bytes`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(frame);
  } catch {
    return refuse(ERROR_CODES.INVALID_JSON, "The message is not valid JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return refuse(ERROR_CODES.INVALID_JSON, "A message must be a JSON object with a type");
  const requestId = "requestId" in raw && typeof raw.requestId === "string" && raw.requestId.length <= 100 ? raw.requestId : undefined;
  const type = "type" in raw ? raw.type : undefined;
  if (typeof type !== "string" || !(DESK_CLIENT_TYPES as string[]).includes(type)) {
    return refuse(ERROR_CODES.UNKNOWN_ACTION, `Unknown message type ${JSON.stringify(type ?? null)}; known: ${DESK_CLIENT_TYPES.join(", ")}`, requestId);
  }
  const result = deskClientMessage.safeParse(raw);
  if (!result.success) {
    const details = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "message"}: ${issue.message}`);
    return refuse(ERROR_CODES.VALIDATION_FAILED, `Invalid ${type}: ${details.join("; ")}`, requestId);
  }
  return { message: result.data };
}

async function answer(env: AppEnv, caller: DeskCaller, message: DeskClientMessage): Promise<DeskServerMessage> {
  const reply: Reply = message.requestId === undefined ? {} : { requestId: message.requestId };
  if (message.type === "ping") return { type: "pong", ...reply };
  return withDatabase(env, async (db): Promise<DeskServerMessage> => {
    switch (message.type) {
      case "approval.decide": {
        const { type: _, requestId: __, ...input } = message;
        return { type: "approval.decide.result", ...reply, approval: await decideApproval(env, db, input, { principal: caller.principal, channel: caller.channel, ip: caller.ip }) };
      }
      case "approvals.list": {
        const { type: _, requestId: __, ...filter } = message;
        return { type: "approvals.snapshot", ...reply, approvals: await listApprovals(db, filter, caller.principal) };
      }
      case "capabilities.get":
        return { type: "capabilities.snapshot", ...reply, ...(await capabilitiesOf(env, db, caller, message.clientName)) };
      case "capabilities.set": {
        const { type: _, requestId: __, ...data } = message;
        const result = (await runSelfService(env, db, caller, SET_MY_CAPABILITIES, data)) as { clientName: string; narrowing: Record<string, unknown> };
        return { type: "capabilities.set.result", ...reply, ...result };
      }
      case "servers.configure": {
        const { type: _, requestId: __, ...data } = message;
        const result = (await runSelfService(env, db, caller, CONFIGURE_SERVER, data)) as { serverId: string; configured: string[]; missing: string[] };
        return { type: "servers.configure.result", ...reply, ...result };
      }
      case "servers.unconfigure": {
        const result = (await runSelfService(env, db, caller, UNCONFIGURE_SERVER, { serverId: message.serverId })) as { serverId: string; removed: number };
        return { type: "servers.unconfigure.result", ...reply, ...result };
      }
      case "servers.list":
        return { type: "servers.snapshot", ...reply, ...(await serversOf(env, db, caller)) };
    }
  });
}

export function errorMessage(error: unknown, requestId?: string): DeskServerMessage {
  const reply = requestId === undefined ? {} : { requestId };
  if (error instanceof AppError) return { type: "error", code: error.code, message: error.message, ...reply };
  if (isDatabaseUnavailable(error)) return { type: "error", code: ERROR_CODES.SERVICE_UNAVAILABLE, message: "The database is unreachable; retry shortly", ...reply };
  logEvent("desk.message_failed", { error: errorText(error) }, "error");
  return { type: "error", code: ERROR_CODES.INTERNAL, message: "Internal error", ...reply };
}
