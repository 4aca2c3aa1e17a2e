import type { AuditFields } from "../../audit/record.ts";
import type { Principal } from "../../auth/principal.ts";
import type { JsonRpcMessage, JsonRpcRequest } from "../protocol.ts";

/** Who is making a request to a session, as the Worker authenticated them. */
export interface Caller {
  subject: string;
  principal: Principal;
  /** The client's address as Cloudflare saw it, for the audit trail. */
  ip: string | null;
}

/** Where a session's audit records go: the DO's outbox, drained to Postgres by its alarm. */
export interface SessionAudit {
  enabled: boolean;
  /** `then` runs in the synchronous step that stores the record, so what it writes commits with it. */
  record(fields: AuditFields, then: () => void): Promise<void>;
}

/** The session DO's inputs: parsed and shape-checked by the Worker, so the DO only sees valid JSON-RPC. */
export interface OpenInput {
  sessionId: string;
  caller: Caller;
  scope: string | null;
  initialize: JsonRpcRequest;
}

export interface PostInput {
  caller: Caller;
  scope: string | null;
  messages: JsonRpcMessage[];
  batch: boolean;
  acceptsSse: boolean;
}

export interface ListenInput {
  caller: Caller;
  scope: string | null;
  lastEventId: string | null;
}

export interface CloseInput {
  caller: Caller;
  scope: string | null;
}
