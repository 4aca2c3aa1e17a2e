import { DurableObject } from "cloudflare:workers";
import type { Principal } from "../worker/auth/principal.ts";
import type { UserRole } from "../worker/db/schema.ts";
import { accountIpRefusal, ipScopeList, type StoredIpScope } from "../worker/policy/ip-allowlist.ts";
import type { AppEnv } from "../worker/env.ts";
import { logEvent } from "../worker/observability/log.ts";
import { errorText } from "../worker/db/errors.ts";
import { SESSION_DIRECTORY_NAME } from "../worker/users/live-sessions.ts";
import { DESK_PROTOCOL_VERSION, type DeskServerMessage } from "../worker/desk/messages.ts";
import { answerFrame, type DeskCaller, errorMessage, userSnapshots, welcomeMessages, withDatabase } from "../worker/desk/protocol.ts";
import { deskRefusal } from "../worker/desk/refusal.ts";

/** A change to a user that open sessions must act on at once, since they no longer ask the database. */
export type UserChange =
  | { kind: "disabled" }
  | { kind: "deleted" }
  /** The key (and every token and grant made with it) is gone; sessions opened with another key go on. */
  | { kind: "key-revoked"; keyId: string }
  /** An OAuth client's grant was revoked (by the user, the client, or reuse detection). */
  | { kind: "grant-revoked"; grantId: string }
  /**
   * Something the sessions read when they opened has changed for everyone (a server added, changed or
   * removed, a secret set): they read it again now and tell their clients that the lists changed.
   */
  | { kind: "refresh" }
  | { kind: "role"; role: UserRole }
  /** The user's own IP allow-list changed: sessions check their next requests against it, sockets off it close. */
  | { kind: "ip-list"; list: StoredIpScope };

/** One open MCP session of a user, as their Desk lists it. */
export interface LiveSession {
  sessionId: string;
  clientName: string | null;
  openedAt: string;
  keyId: string | null;
  oauthClient: boolean;
}

/** What a ticket carries from POST /desk/ticket to the socket it opens. */
export interface TicketGrant {
  principal: Principal;
  ip: string | null;
  channel: DeskCaller["channel"];
}

/** How the Worker hands the Desk the address a socket upgrade came from. */
export const DESK_IP_HEADER = "x-desk-ip";

/** Close codes a client can tell apart: its credential ended (sign in again), or the user is gone. */
export const DESK_CLOSE = { credentialEnded: 4401, userEnded: 4403 } as const;

/**
 * One instance per user, named by the user id (and one named "owner" for the owner key's sessions):
 * - the registry of the user's live MCP sessions: it caps how many a user may hold, and it carries
 *   revocations, role changes and refreshes to every one of them within the admin request that made the change;
 * - the user's Desk channel: hibernatable WebSockets (opened with a one-time ticket it keeps), which hear
 *   of approvals, capability changes, sessions and notifications, and whose messages it answers.
 *
 * It extends DurableObject, not `agents`' Agent: docs/architecture.md#desk says what Agent was measured to cost.
 */
export class Desk extends DurableObject<AppEnv> {
  #refreshing: Promise<void> | null = null;
  #refreshAgain = false;

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS live_sessions (session_id TEXT PRIMARY KEY, key_id TEXT, grant_id TEXT, opened_at INTEGER NOT NULL, client_name TEXT)");
    // A desk made before sessions kept their client's name gains the column (its rows show no name).
    const columns = ctx.storage.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('live_sessions')").toArray();
    if (!columns.some((column) => column.name === "client_name")) ctx.storage.sql.exec("ALTER TABLE live_sessions ADD COLUMN client_name TEXT");
    // The servers the sockets were last told of, so a refresh can say which went offline or came online.
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS known_servers (id INTEGER PRIMARY KEY CHECK (id = 1), server_ids TEXT NOT NULL)");
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS tickets (ticket_id TEXT PRIMARY KEY, desk TEXT NOT NULL, grant_json TEXT NOT NULL, key_id TEXT, expires_at INTEGER NOT NULL)");
  }

  /**
   * Adds a session unless the user already holds `limit`; false means refused. `keyId` is the API key
   * behind its credential (also for an OAuth grant made with one), `grantId` the grant of an OAuth client,
   * `clientName` the clientInfo.name it sent, for the user to recognise it on their Desk.
   */
  async register(deskName: string, sessionId: string, credential: { keyId: string | null; grantId: string | null; clientName: string }, limit: number): Promise<boolean> {
    const count = this.liveSessions();
    if (count >= limit) return false;
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO live_sessions (session_id, key_id, grant_id, opened_at, client_name) VALUES (?, ?, ?, ?, ?)",
      sessionId,
      credential.keyId,
      credential.grantId,
      Date.now(),
      credential.clientName,
    );
    // Every session (idempotently) keeps this desk in the directory that changes for everyone go through.
    await this.#directory().add(deskName);
    this.#publishSessions();
    return true;
  }

  async unregister(deskName: string, sessionId: string): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM live_sessions WHERE session_id = ?", sessionId);
    this.#publishSessions();
    await this.#leaveDirectoryIfIdle(deskName);
  }

  #directory() {
    return this.env.SESSION_DIRECTORY.getByName(SESSION_DIRECTORY_NAME);
  }

  /** A desk stays in the directory while it has a live session or an open socket: both hear changes for everyone. */
  async #leaveDirectoryIfIdle(deskName: string, closing?: WebSocket): Promise<void> {
    if (this.liveSessions() === 0 && this.#sockets().every((socket) => socket === closing)) await this.#directory().remove(deskName);
  }

  /** This user's open sessions, oldest first (LIST_MY_SESSIONS, and the Desk's sessions.online). */
  sessions(): LiveSession[] {
    return this.ctx.storage.sql
      .exec<{ session_id: string; client_name: string | null; key_id: string | null; grant_id: string | null; opened_at: number }>(
        "SELECT session_id, client_name, key_id, grant_id, opened_at FROM live_sessions ORDER BY opened_at",
      )
      .toArray()
      .map((row) => ({ sessionId: row.session_id, clientName: row.client_name, openedAt: new Date(row.opened_at).toISOString(), keyId: row.key_id, oauthClient: row.grant_id !== null }));
  }

  /** Ends one of this user's sessions (END_MY_SESSION); false when it is not one of theirs or already ended. */
  async endSession(sessionId: string): Promise<boolean> {
    const known = this.ctx.storage.sql.exec("SELECT 1 FROM live_sessions WHERE session_id = ?", sessionId).toArray().length > 0;
    if (!known) return false;
    // The session unregisters itself as it ends; one that had already gone is forgotten here.
    if (!(await this.env.MCP_SESSION.getByName(sessionId).end("ended by its user"))) {
      this.ctx.storage.sql.exec("DELETE FROM live_sessions WHERE session_id = ?", sessionId);
      this.#publishSessions();
    }
    return true;
  }

  liveSessions(): number {
    return this.ctx.storage.sql.exec<{ count: number }>("SELECT count(*) AS count FROM live_sessions").one().count;
  }

  /** Tells every affected session (and Desk socket) of the change; sessions that ended are forgotten. Returns how many sessions were told. */
  async applyChange(change: UserChange): Promise<number> {
    const sql = this.ctx.storage.sql;
    const rows = (
      change.kind === "key-revoked"
        ? sql.exec<{ session_id: string }>("SELECT session_id FROM live_sessions WHERE key_id = ?", change.keyId)
        : change.kind === "grant-revoked"
          ? sql.exec<{ session_id: string }>("SELECT session_id FROM live_sessions WHERE grant_id = ?", change.grantId)
          : sql.exec<{ session_id: string }>("SELECT session_id FROM live_sessions")
    ).toArray();
    this.#tellSockets(change);
    const results = await Promise.allSettled(rows.map(({ session_id }) => this.env.MCP_SESSION.getByName(session_id).applyUserChange(change)));
    let forgotten = 0;
    results.forEach((result, i) => {
      const sessionId = rows[i]!.session_id;
      if (result.status === "rejected") {
        logEvent("desk.push_failed", { sessionId, change: change.kind, error: errorText(result.reason) }, "error");
      } else if (!result.value) {
        this.ctx.storage.sql.exec("DELETE FROM live_sessions WHERE session_id = ?", sessionId);
        forgotten++;
      }
    });
    if (forgotten > 0) this.#publishSessions();
    return rows.length;
  }

  /** Sends a message to every Desk socket of this user that is open; none open is no error. Returns how many got it. */
  publish(message: DeskServerMessage): number {
    const text = JSON.stringify(message);
    return this.#sockets().filter((socket) => sendText(socket, text)).length;
  }

  /** Keeps a ticket POST /desk/ticket signed until it is used once or expires. */
  issueTicket(deskName: string, ticketId: string, grant: TicketGrant, expiresAt: number): void {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM tickets WHERE expires_at < ?", Date.now());
    sql.exec("INSERT INTO tickets VALUES (?, ?, ?, ?, ?)", ticketId, deskName, JSON.stringify(grant), grant.principal.userId === null ? null : (grant.principal.keyId ?? null), expiresAt);
  }

  /** The Worker's `/desk` upgrade, its ticket already verified and named in `x-desk-ticket`: consumed here, once. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return deskRefusal("VALIDATION_FAILED", "Expected a WebSocket upgrade");
    const row = this.ctx.storage.sql
      .exec<{ desk: string; grant_json: string; expires_at: number }>("DELETE FROM tickets WHERE ticket_id = ? RETURNING desk, grant_json, expires_at", request.headers.get("x-desk-ticket") ?? "")
      .toArray()[0];
    if (!row) return deskRefusal("UNAUTHENTICATED", "This ticket was already used or was revoked: ask POST /desk/ticket for a new one");
    if (row.expires_at < Date.now()) return deskRefusal("UNAUTHENTICATED", "This ticket has expired: ask POST /desk/ticket for a new one");
    // The socket's own address (the Worker checked it against the user's list), not the ticket request's.
    const grant: TicketGrant = { ...(JSON.parse(row.grant_json) as TicketGrant), ip: request.headers.get(DESK_IP_HEADER) || null };

    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ ...grant, desk: row.desk } satisfies SocketState);
    send(server, { type: "hello", version: DESK_PROTOCOL_VERSION, userId: grant.principal.userId, role: grant.principal.role, channel: grant.channel });
    send(server, this.#sessionsMessage());
    await this.#directory().add(row.desk);
    // The snapshots need the database; the socket is open meanwhile and gets them as soon as they are read.
    this.ctx.waitUntil(
      welcomeMessages(this.env, grant).then(
        (messages) => {
          // The first socket's servers are the baseline; with others open, the refreshes keep it.
          if (this.#sockets().length === 1) this.#serverChanges(messages);
          messages.forEach((message) => send(server, message));
        },
        (error: unknown) => send(server, errorMessage(error)),
      ),
    );
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(socket: WebSocket, frame: string | ArrayBuffer): Promise<void> {
    const state = stateOf(socket);
    if (!state) return;
    send(socket, await answerFrame(this.env, state, frame));
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    try {
      socket.close(code, reason);
    } catch {
      // Already closed from this side (a revocation).
    }
    const state = stateOf(socket);
    if (state) await this.#leaveDirectoryIfIdle(state.desk, socket);
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    const state = stateOf(socket);
    if (state) await this.#leaveDirectoryIfIdle(state.desk, socket);
  }

  #sockets(): WebSocket[] {
    return this.ctx.getWebSockets();
  }

  #tellSockets(change: UserChange): void {
    const sql = this.ctx.storage.sql;
    switch (change.kind) {
      case "disabled":
      case "deleted": {
        sql.exec("DELETE FROM tickets");
        const kind = change.kind === "disabled" ? "user.disabled" : "user.deleted";
        for (const socket of this.#sockets()) end(socket, { type: "notification", kind, message: `Your account was ${change.kind}` }, DESK_CLOSE.userEnded);
        return;
      }
      case "key-revoked": {
        sql.exec("DELETE FROM tickets WHERE key_id = ?", change.keyId);
        for (const socket of this.#sockets()) {
          const principal = stateOf(socket)?.principal;
          if (principal && principal.userId !== null && principal.keyId === change.keyId) {
            end(socket, { type: "notification", kind: "key.revoked", message: "The API key this desk signed in with was revoked: sign in again" }, DESK_CLOSE.credentialEnded);
          }
        }
        return;
      }
      case "grant-revoked":
        // Tickets are issued for a user's own credentials only, never for an OAuth client's token.
        return;
      case "role":
        // A ticket carries the role it was issued with: one from before the change must not open a socket with it.
        sql.exec("DELETE FROM tickets");
        for (const socket of this.#sockets()) {
          const state = stateOf(socket);
          if (!state || state.principal.userId === null) continue;
          socket.serializeAttachment({ ...state, principal: { ...state.principal, role: change.role } } satisfies SocketState);
          send(socket, { type: "notification", kind: "permission.changed", message: `Your role is now ${change.role}` });
        }
        this.#refreshSockets();
        return;
      case "refresh":
        this.#refreshSockets();
        return;
      case "ip-list": {
        const list = ipScopeList(change.list);
        for (const socket of this.#sockets()) {
          const state = stateOf(socket);
          const refused = state && state.principal.userId !== null ? accountIpRefusal(list, state.ip) : null;
          if (refused) end(socket, { type: "notification", kind: "ip.refused", message: refused }, DESK_CLOSE.userEnded);
        }
        return;
      }
    }
  }

  /**
   * Sends every user socket its capabilities and servers anew. A burst of changes costs at most one
   * reading in flight and one after it; the admin request that caused them does not wait for either.
   */
  #refreshSockets(): void {
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return;
    }
    this.#refreshing = this.#refresh()
      .catch((error: unknown) => logEvent("desk.refresh_failed", { error: errorText(error) }, "error"))
      .finally(() => {
        this.#refreshing = null;
        if (this.#refreshAgain) {
          this.#refreshAgain = false;
          this.#refreshSockets();
        }
      });
    this.ctx.waitUntil(this.#refreshing);
  }

  async #refresh(): Promise<void> {
    const sockets = this.#sockets().filter((socket) => stateOf(socket)?.principal.userId != null);
    const caller = sockets.length > 0 ? stateOf(sockets[sockets.length - 1]!) : null;
    if (!caller) return;
    const snapshots = await withDatabase(this.env, (db) => userSnapshots(this.env, db, caller, "capabilities.updated"));
    const messages = [...snapshots, ...this.#serverChanges(snapshots)];
    for (const message of messages) {
      const text = JSON.stringify(message);
      for (const socket of sockets) sendText(socket, text);
    }
  }

  /** Records the servers in `messages`' servers.snapshot; returns a notification for each that left or joined since the last one. */
  #serverChanges(messages: DeskServerMessage[]): DeskServerMessage[] {
    const snapshot = messages.find((message) => message.type === "servers.snapshot");
    if (!snapshot) return [];
    const sql = this.ctx.storage.sql;
    const row = sql.exec<{ server_ids: string }>("SELECT server_ids FROM known_servers").toArray()[0];
    const now = new Set(snapshot.servers.map((server) => server.serverId));
    sql.exec("INSERT OR REPLACE INTO known_servers VALUES (1, ?)", JSON.stringify([...now]));
    if (!row) return [];
    const known = new Set(JSON.parse(row.server_ids) as string[]);
    return [
      ...[...known].filter((id) => !now.has(id)).map((serverId): DeskServerMessage => ({ type: "notification", kind: "server.offline", serverId, message: `Server ${serverId} is no longer available (disabled or removed)` })),
      ...[...now].filter((id) => !known.has(id)).map((serverId): DeskServerMessage => ({ type: "notification", kind: "server.online", serverId, message: `Server ${serverId} is available` })),
    ];
  }

  #sessionsMessage(): DeskServerMessage {
    const sessions = this.sessions();
    return { type: "sessions.online", count: sessions.length, sessions };
  }

  #publishSessions(): void {
    if (this.#sockets().length > 0) this.publish(this.#sessionsMessage());
  }
}

interface SocketState extends TicketGrant {
  desk: string;
}

function stateOf(socket: WebSocket): SocketState | null {
  return (socket.deserializeAttachment() as SocketState | null) ?? null;
}

function sendText(socket: WebSocket, text: string): boolean {
  try {
    socket.send(text);
    return true;
  } catch {
    // Closing or closed: its close handler tidies up.
    return false;
  }
}

function send(socket: WebSocket, message: DeskServerMessage): void {
  sendText(socket, JSON.stringify(message));
}

/** Tells the socket why, then closes it. */
function end(socket: WebSocket, message: DeskServerMessage, code: number): void {
  send(socket, message);
  try {
    socket.close(code, message.type === "notification" ? message.kind : "closed");
  } catch {
    // Already closing.
  }
}
