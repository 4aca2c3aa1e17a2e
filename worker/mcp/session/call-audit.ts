import { auditArguments } from "../../audit/arguments.ts";
import type { AuditFields } from "../../audit/record.ts";
import type { Redactor } from "../../vault/redactor.ts";
import type { Decision } from "../core/decide.ts";
import { type PresentedCredential, sameCredential } from "../../auth/credential.ts";
import { type Subject, subjectOf } from "../core/resolve.ts";
import { errorResponse, JSONRPC_ERRORS, type JsonRpcRequest, type JsonRpcResponse } from "../protocol.ts";
import type { SessionRecord } from "./store.ts";
import type { Caller, RequestFrom } from "./types.ts";

/** Who a record names: a session's caller, or whoever presented someone else's session id. */
export interface AuditedParty {
  userId: string | null;
  role: string | null;
  ip: string | null;
}

export function partyOf(caller: Caller): AuditedParty {
  return { userId: caller.principal.userId, role: caller.principal.role, ip: caller.ip };
}

/** One request's audit record, as far as it got: its answer, or null when the client cancelled it. */
export interface CallOutcome {
  method: string;
  who: AuditedParty;
  subject: Subject;
  decision: Decision | null;
  started: number;
  response: JsonRpcResponse | null;
  /** The answer's serialised length; the caller measured it when it serialised the answer. */
  responseBytes: number;
  /** The scrubber of the connection the request went over, if it got that far. */
  redactor: Redactor | undefined;
  /** The approval request the call waited for, when it needed one. */
  approvalId?: string | undefined;
  /** Set for a request refused before it ran, by someone who is not the session's client. */
  denial?: string;
}

/** What a record names of the client: the session's, or a stateless request's own (with no session). */
export type AuditedClient = Pick<SessionRecord, "clientInfo"> & { sessionId: string | null };

export function callAuditFields(record: AuditedClient, outcome: CallOutcome): AuditFields {
  const { response, redactor, denial, decision } = outcome;
  const error = response && "error" in response ? response.error : null;
  // A tool that reports failure in its result answered fine as far as JSON-RPC goes, but it failed.
  const toolFailed = response !== null && "result" in response && response.result.isError === true;
  const refused = denial ?? (decision && decision.effect !== "allow" ? decision.reason : null);
  return {
    ts: new Date(outcome.started).toISOString(),
    userId: outcome.who.userId,
    role: outcome.who.role,
    clientName: denial ? null : (record.clientInfo.name ?? null),
    clientVersion: denial ? null : (record.clientInfo.version ?? null),
    sessionId: record.sessionId,
    ip: outcome.who.ip,
    serverId: outcome.subject.serverId,
    method: outcome.method,
    // A name is client text too: a URI can carry an injected value, in any of its encodings.
    name: scrubbed(outcome.subject.name, redactor),
    arguments: auditArguments(outcome.subject.arguments, redactor),
    decision: refused ? "deny" : "allow",
    decisionReason: scrubbed(refused ?? decision?.reason ?? null, redactor),
    policyId: decision?.policyId ?? null,
    policyVersion: decision?.policyVersion ?? null,
    ruleId: decision?.ruleId ?? null,
    approvalId: outcome.approvalId ?? null,
    outcome: response === null || error || toolFailed ? "error" : "ok",
    errorCode: response === null ? JSONRPC_ERRORS.REQUEST_CANCELLED : (error?.code ?? null),
    errorMessage:
      response === null
        ? "cancelled by the client"
        : error
          ? scrubbed(error.message, redactor)
          : toolFailed
            ? "the tool reported an error (isError)"
            : null,
    latencyMs: Date.now() - outcome.started,
    responseBytes: outcome.responseBytes,
  };
}

function scrubbed<T extends string | null>(text: T, redactor: Redactor | undefined): T {
  return text === null || !redactor ? text : (redactor.scrubText(text) as T);
}

/**
 * The record of a request refused because its sender is not the session's client. Who holds the id is
 * worth a lookup (`identify`), on a path only a stolen session id leads to; it is worked out after the
 * 404 has gone, in the record's place in the chain.
 */
export async function denialOutcome(
  record: SessionRecord,
  from: RequestFrom,
  attempted: Pick<JsonRpcRequest, "method" | "params">[],
  identify: (credential: PresentedCredential) => Promise<{ userId: string | null; role: string | null }>,
): Promise<CallOutcome> {
  const first = attempted[0]!;
  const started = Date.now();
  const subject = { serverId: null, name: subjectOf(first).name, arguments: attempted.length > 1 ? { batch: attempted.length } : undefined };
  const response = errorResponse(null, JSONRPC_ERRORS.SESSION_NOT_FOUND, "Session not found");
  const same = sameCredential(record.credential, from.credential);
  const who = same ? partyOf({ ...record, ip: from.ip }) : { ...(await identify(from.credential)), ip: from.ip };
  const denial = same ? "the session belongs to another endpoint" : "the session belongs to another identity";
  return { method: first.method, who, subject, decision: null, started, response, responseBytes: 0, redactor: undefined, denial };
}
