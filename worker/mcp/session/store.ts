import type { ClientCapabilities, Implementation } from "@modelcontextprotocol/sdk/types.js";
import type { PresentedCredential } from "../../auth/credential.ts";
import type { Principal } from "../../auth/principal.ts";
import type { StoredIpScope } from "../../policy/ip-allowlist.ts";
import type { PolicySnapshot } from "../../policy/types.ts";
import type { JsonRpcRequest, ProtocolVersion, RequestId } from "../protocol.ts";
import type { Caller } from "./types.ts";

/** What a session remembers across Durable Object eviction. */
export interface SessionRecord {
  sessionId: string;
  /** The identity that opened the session; any other identity is told the session does not exist. */
  subject: string;
  principal: Principal;
  /** What the opener presented: later requests must present the same key, or a token minted from it. */
  credential: PresentedCredential;
  ip: string | null;
  /** null for the aggregated endpoint, else the one server of `/mcp/<serverId>`. */
  scope: string | null;
  protocolVersion: ProtocolVersion;
  clientCapabilities: ClientCapabilities;
  clientInfo: Implementation;
  loggingLevel: string | null;
  /** The user's own IP allow-list, kept current by pushed changes; absent in records of earlier builds. */
  ipList?: StoredIpScope;
}

export interface StoredEvent {
  id: string;
  /** The message as serialised when it was sent; null for a priming event. */
  message: string | null;
}

/** The standalone stream a client opens with GET; POST streams get random ids. */
export const STANDALONE_STREAM = "standalone";

/** Requests answered in one JSON body are in flight on no stream; SQLite keys them under this id. */
const NO_STREAM = "";

/** A request that was running when the object lost its memory, as it was received. */
export interface InterruptedRequest {
  /** null when it was to be answered as JSON, whose HTTP response went with the old instance. */
  streamId: string | null;
  request: JsonRpcRequest;
  caller: Caller;
  startedAt: number;
  /** It waits for a human's decision, which outlives the instance: it is resumed, not failed. */
  held: boolean;
}

/**
 * The session's durable state in the Durable Object's SQLite: the session record, every SSE event sent
 * (for Last-Event-ID replay), and every request still in flight: which POST stream owes its answer, and
 * the request itself, so that one cut short by an eviction is still answered and audited.
 */
export class SessionStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`
      CREATE TABLE IF NOT EXISTS session (id INTEGER PRIMARY KEY CHECK (id = 1), record TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS policy (id INTEGER PRIMARY KEY CHECK (id = 1), snapshot TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id TEXT NOT NULL,
        message TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS events_stream ON events (stream_id, seq);
      -- Earlier builds kept only stream and request ids here, too little to audit an interrupted request.
      DROP TABLE IF EXISTS pending_requests;
      CREATE TABLE IF NOT EXISTS requests_in_flight (
        stream_id TEXT NOT NULL,
        request_id TEXT NOT NULL,
        request TEXT NOT NULL,
        caller TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        PRIMARY KEY (stream_id, request_id)
      );
      -- Requests in flight that wait for a human's decision: they outlive an eviction, unlike the rest.
      CREATE TABLE IF NOT EXISTS held_calls (
        request_id TEXT PRIMARY KEY,
        approval_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `);
  }

  load(): SessionRecord | null {
    const row = this.#sql.exec<{ record: string }>("SELECT record FROM session WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.record) as SessionRecord) : null;
  }

  save(record: SessionRecord): void {
    this.#sql.exec("INSERT OR REPLACE INTO session (id, record) VALUES (1, ?)", JSON.stringify(record));
  }

  /** The policy as read at initialize (or at the last pushed change): an evicted session decides without the database. */
  loadPolicy(): PolicySnapshot | null {
    const row = this.#sql.exec<{ snapshot: string }>("SELECT snapshot FROM policy WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.snapshot) as PolicySnapshot) : null;
  }

  savePolicy(snapshot: PolicySnapshot): void {
    this.#sql.exec("INSERT OR REPLACE INTO policy (id, snapshot) VALUES (1, ?)", JSON.stringify(snapshot));
  }

  /** Stores a serialised message and returns its event id. A null message is SSE's priming event: an id with empty data. */
  append(streamId: string, message: string | null, now: number): string {
    const row = this.#sql
      .exec<{ seq: number }>(
        "INSERT INTO events (stream_id, message, created_at) VALUES (?, ?, ?) RETURNING seq",
        streamId,
        message,
        now,
      )
      .one();
    return String(row.seq);
  }

  /** The stream an event belongs to and the events after it on that stream, in order; null if unknown. */
  eventsAfter(eventId: string): { streamId: string; events: StoredEvent[] } | null {
    const seq = Number(eventId);
    if (!Number.isSafeInteger(seq)) return null;
    const anchor = this.#sql.exec<{ stream_id: string }>("SELECT stream_id FROM events WHERE seq = ?", seq).toArray()[0];
    if (!anchor) return null;
    const events = this.#sql
      .exec<{ seq: number; message: string | null }>(
        "SELECT seq, message FROM events WHERE stream_id = ? AND seq > ? ORDER BY seq",
        anchor.stream_id,
        seq,
      )
      .toArray()
      .map((row) => ({ id: String(row.seq), message: row.message }));
    return { streamId: anchor.stream_id, events };
  }

  /** Keeps at most `count` events and none older than `maxAgeMs`. */
  prune(count: number, maxAgeMs: number, now: number): void {
    this.#sql.exec("DELETE FROM events WHERE created_at < ?", now - maxAgeMs);
    this.#sql.exec("DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?", count);
  }

  addPending(streamId: string | null, requests: JsonRpcRequest[], caller: Caller, now: number): void {
    for (const request of requests) {
      this.#sql.exec(
        "INSERT OR IGNORE INTO requests_in_flight VALUES (?, ?, ?, ?, ?)",
        streamId ?? NO_STREAM,
        JSON.stringify(request.id),
        JSON.stringify(request),
        JSON.stringify(caller),
        now,
      );
    }
  }

  settle(streamId: string | null, requestId: RequestId): void {
    this.#sql.exec("DELETE FROM requests_in_flight WHERE stream_id = ? AND request_id = ?", streamId ?? NO_STREAM, JSON.stringify(requestId));
  }

  pendingOn(streamId: string): RequestId[] {
    return this.#sql
      .exec<{ request_id: string }>("SELECT request_id FROM requests_in_flight WHERE stream_id = ?", streamId)
      .toArray()
      .map((row) => JSON.parse(row.request_id) as RequestId);
  }

  /**
   * Every request still in flight, read by a new instance: those that wait for approval (`held`) go on
   * waiting; none of the others can complete any more.
   */
  interrupted(): InterruptedRequest[] {
    return this.#sql
      .exec<{ stream_id: string; request: string; caller: string; started_at: number; held: number }>(
        `SELECT r.stream_id, r.request, r.caller, r.started_at, h.approval_id IS NOT NULL AS held
           FROM requests_in_flight r LEFT JOIN held_calls h ON h.request_id = r.request_id ORDER BY r.started_at`,
      )
      .toArray()
      .map((row) => ({
        streamId: row.stream_id === NO_STREAM ? null : row.stream_id,
        request: JSON.parse(row.request) as JsonRpcRequest,
        caller: JSON.parse(row.caller) as Caller,
        startedAt: row.started_at,
        held: row.held === 1,
      }));
  }

  forgetInterrupted(): void {
    this.#sql.exec("DELETE FROM requests_in_flight WHERE request_id NOT IN (SELECT request_id FROM held_calls)");
  }

  /** The approval request an in-flight request waits for, if it does. */
  heldApproval(requestId: RequestId): string | null {
    return this.#sql.exec<{ approval_id: string }>("SELECT approval_id FROM held_calls WHERE request_id = ?", JSON.stringify(requestId)).toArray()[0]?.approval_id ?? null;
  }

  hold(requestId: RequestId, approvalId: string, expiresAt: number): void {
    this.#sql.exec("INSERT OR REPLACE INTO held_calls VALUES (?, ?, ?)", JSON.stringify(requestId), approvalId, expiresAt);
  }

  release(requestId: RequestId): void {
    this.#sql.exec("DELETE FROM held_calls WHERE request_id = ?", JSON.stringify(requestId));
  }

  /** When the first held call expires; null when none waits. */
  nextHeldExpiry(): number | null {
    return this.#sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM held_calls").one().at;
  }

  destroy(): void {
    this.#sql.exec("DELETE FROM requests_in_flight; DELETE FROM held_calls; DELETE FROM events; DELETE FROM session; DELETE FROM policy;");
  }
}
