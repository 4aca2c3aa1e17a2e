import type { AuditFields } from "../../audit/record.ts";
import type { PresentedCredential } from "../../auth/credential.ts";
import type { Principal } from "../../auth/principal.ts";
import type { StoredIpScope } from "../../policy/ip-allowlist.ts";
import type { JsonRpcMessage, JsonRpcRequest } from "../protocol.ts";
import type { SessionRecord } from "./store.ts";

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
  /**
   * Appends to the chain `chainId` in call order, even when `fields` are still being worked out. `then`
   * runs in the synchronous step that stores the record, so what it writes commits with it.
   */
  record(chainId: string, fields: AuditFields | Promise<AuditFields>, then: () => void): Promise<void>;
}

/**
 * What the Worker checked of a request inside a session, without the database: the credential (a key's
 * hash, a token's verified claims) and the client's address. The session compares the credential with
 * the one it recorded at initialize; who the caller is comes from that record.
 */
export interface RequestFrom {
  credential: PresentedCredential;
  ip: string | null;
}

/** The session DO's inputs: parsed and shape-checked by the Worker, so the DO only sees valid JSON-RPC. */
export interface OpenInput {
  sessionId: string;
  /** Authenticated against the database by the Worker: the one read a session's identity needs. */
  caller: Caller;
  credential: PresentedCredential;
  scope: string | null;
  initialize: JsonRpcRequest;
  /** The user's own IP allow-list as the Worker read it: the session checks every later request against it. */
  ipList: StoredIpScope;
}

export interface PostInput {
  from: RequestFrom;
  scope: string | null;
  messages: JsonRpcMessage[];
  batch: boolean;
  /** The body's size as it arrived, counted against the user's bytes per minute. */
  bodyBytes: number;
  acceptsSse: boolean;
}

export interface ListenInput {
  from: RequestFrom;
  scope: string | null;
  lastEventId: string | null;
}

export interface CloseInput {
  from: RequestFrom;
  scope: string | null;
}

/** The user's registry of live sessions (their Desk object): it caps how many they hold and carries revocations. */
export interface SessionRegistry {
  /** False when the user already holds as many sessions as allowed. */
  register(record: SessionRecord): Promise<boolean>;
  unregister(record: SessionRecord): Promise<void>;
  /** Who presented a credential that is not the session's, for the denial's audit record; nulls when unknown. */
  identify(credential: PresentedCredential): Promise<{ userId: string | null; role: string | null }>;
}
