import { and, eq } from "drizzle-orm";
import { type DatabaseHandle, openDatabase } from "../../db/client.ts";
import { NEVER_CACHED } from "../../db/never-cached.ts";
import { type ServerCatalogData, type ServerRow, servers, vaultRecords } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { logEvent } from "../../observability/log.ts";
import { loadKeyRing } from "../../vault/keyring.ts";
import { resolveConnection } from "../../vault/connection-values.ts";
import { connectionRecords, type SealedRecord, type SealedValues, sealValues } from "../../vault/records.ts";
import { Redactor } from "../../vault/redactor.ts";
import { connectStdio } from "../../servers/stdio-connector.ts";
import type { CatalogEntry } from "../aggregate.ts";
import { type CatalogList, type CatalogView, catalogView, fetchCatalog, fetchList, loadCatalogs, saveCatalog, type StoredCatalog } from "../catalog.ts";
import type { McpConfig } from "../config.ts";
import { type DownstreamPool, type DownstreamTarget } from "../downstream.ts";
import { errorText } from "../../db/errors.ts";
import { JSONRPC_ERRORS, RpcFailure } from "../protocol.ts";

/** A server row with the sealed vault records its connection needs for this session's user. */
export interface ServerAccess {
  row: ServerRow;
  sealed: SealedValues;
}

interface Snapshot {
  servers: Map<string, ServerAccess>;
  readAt: number;
}

/** Whose servers these are: the user (null for the owner key), the endpoint, and a label for log lines. */
export interface DirectoryViewer {
  userId: string | null;
  scope: string | null;
  sessionId: string | null;
}

/**
 * The servers one session may use, as this session's user sees them: their rows, their catalogs (memory,
 * then Postgres, then the server itself) and how to connect to each with the vault's values injected.
 * While Postgres is unreachable it answers from what it last read, so calls go on.
 */
export class ServerDirectory {
  readonly #env: AppEnv;
  readonly #config: McpConfig;
  readonly #viewer: DirectoryViewer;
  readonly #pool: DownstreamPool;
  readonly #catalogs = new Map<string, { catalog: ServerCatalogData; fetchedAt: number }>();
  #snapshot: Snapshot | null = null;
  #refreshing: Promise<Snapshot | null> | null = null;
  #database: DatabaseHandle | null = null;

  constructor(env: AppEnv, config: McpConfig, viewer: DirectoryViewer, pool: DownstreamPool) {
    this.#env = env;
    this.#config = config;
    this.#viewer = viewer;
    this.#pool = pool;
  }

  async close(): Promise<void> {
    await this.#database?.close().catch(() => {});
    this.#database = null;
  }

  db() {
    // A session lives for minutes and is idle most of that time: its connection is released after a
    // second unused, so open sessions never pin one database connection each.
    this.#database ??= openDatabase(this.#env, { idleTimeoutMs: 1000 });
    return this.#database.db;
  }

  /**
   * Reads, in one query, every enabled server this session may use with the vault records its
   * connections need, and their cached catalogs in a second: the reads a session makes when it opens.
   * Later requests use this snapshot, which is refreshed in the background once it is older than
   * `MCP_SERVER_RECHECK_SECONDS`, so no request waits on Postgres and an outage leaves it as it was.
   */
  async load(): Promise<void> {
    this.#snapshot = await this.#read();
    await this.#warmCatalogs([...this.#snapshot.servers.values()].map((access) => access.row));
  }

  /** After a change pushed to every session: the servers read again, and no catalog kept from before it. */
  async reload(): Promise<void> {
    this.#catalogs.clear();
    await this.load();
  }

  async #read(): Promise<Snapshot> {
    const viewer = this.#viewer;
    const ring = await loadKeyRing(this.#env.VAULT_KEYS);
    const rows = await this.db()
      // Flat columns: a nested object here came back null whenever user_id was null (a server secret).
      .select({ server: servers, userId: vaultRecords.userId, name: vaultRecords.name, ciphertext: vaultRecords.ciphertext })
      .from(servers)
      .leftJoin(vaultRecords, connectionRecords(servers.serverId, viewer.userId))
      .where(and(eq(servers.enabled, true), viewer.scope ? eq(servers.serverId, viewer.scope) : undefined, NEVER_CACHED))
      .orderBy(servers.serverId);
    const grouped = new Map<string, { row: ServerRow; records: SealedRecord[] }>();
    for (const { server, userId, name, ciphertext } of rows) {
      const entry = grouped.get(server.serverId) ?? { row: server, records: [] };
      if (name !== null && ciphertext !== null) entry.records.push({ userId, name, ciphertext });
      grouped.set(server.serverId, entry);
    }
    const snapshot = new Map<string, ServerAccess>();
    for (const [serverId, { row, records }] of grouped) snapshot.set(serverId, { row, sealed: sealValues(ring, serverId, records) });
    return { servers: snapshot, readAt: Date.now() };
  }

  /** The snapshot, refreshed in the background when stale; read now only if there is none (after an eviction). */
  async #current(): Promise<Snapshot> {
    if (!this.#snapshot) {
      await this.load();
      return this.#snapshot!;
    }
    if (Date.now() - this.#snapshot.readAt >= this.#config.serverRecheckMs) void this.#refresh();
    return this.#snapshot;
  }

  /** One refresh at a time; a failed one keeps the old snapshot, so an outage changes nothing for calls. */
  #refresh(): Promise<Snapshot | null> {
    this.#refreshing ??= this.#read()
      .then((snapshot) => (this.#snapshot = snapshot))
      .catch((error: unknown) => {
        logEvent("database.unreachable", { sessionId: this.#viewer.sessionId, using: "last known servers", error: errorText(error) }, "warn");
        return null;
      })
      .finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  /** The enabled servers this session may use (one, for `/mcp/<serverId>`), in serverId order. */
  async servers(): Promise<ServerRow[]> {
    return [...(await this.#current()).servers.values()].map((access) => access.row);
  }

  /**
   * One server this session may use, with the vault records its connection needs. A server the snapshot
   * lacks may be newer than it: that case alone (a name no call has succeeded with) waits for a fresh read.
   */
  async server(serverId: string): Promise<ServerAccess> {
    let access = (await this.#current()).servers.get(serverId);
    if (!access) access = (await this.#refresh())?.servers.get(serverId);
    if (!access) throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `Server "${serverId}" does not exist, is disabled, or is not available here`);
    return access;
  }

  /**
   * How to reach a server as this session's user. Nothing is decrypted unless a connection is opened:
   * the fingerprint is made of ciphertexts, which change whenever a value does.
   */
  async target({ row, sealed }: ServerAccess): Promise<DownstreamTarget> {
    const ring = await loadKeyRing(this.#env.VAULT_KEYS);
    return {
      serverId: row.serverId,
      transport: row.transport,
      fingerprint: `${row.config ?? JSON.stringify([row.url, row.headers])}|${sealed.fingerprint}`,
      resolve: async () => {
        const { template, resolution } = await resolveConnection(ring, row, sealed);
        const { userId } = this.#viewer;
        if (resolution.missing.length > 0) {
          throw new NeedsConfiguration(row.serverId, resolution.missing, userId === null);
        }
        const connection = { url: resolution.config.url, headers: resolution.config.headers, redactor: new Redactor(resolution.injected) };
        if (row.transport !== "stdio") return connection;
        return { ...connection, ...(await connectStdio(this.#env, row, template, resolution.config, userId)) };
      },
    };
  }

  /**
   * The catalogs of the servers in view. A server that cannot be reached is left out (and logged)
   * rather than failing the whole list.
   */
  async entries(): Promise<CatalogEntry[]> {
    const list = await this.servers();
    await this.#warmCatalogs(list);
    const entries = await Promise.all(
      list.map((server) =>
        this.#catalogOf(server).catch(async (error: unknown) => {
          const message = (await this.#pool.redactor(server.serverId)).scrubText(errorText(error));
          logEvent("catalog.skip", { sessionId: this.#viewer.sessionId, serverId: server.serverId, error: message }, "warn");
          return null;
        }),
      ),
    );
    return entries.filter((e) => e !== null);
  }

  /** One server's catalog, or the reason it cannot be had: routing a call must say why, not "unknown". */
  async entry(serverId: string, forceRefresh = false): Promise<CatalogEntry> {
    const server = (await this.server(serverId)).row;
    if (!forceRefresh) await this.#warmCatalogs([server]);
    return this.#catalogOf(server, forceRefresh);
  }

  /** A session has one user and one client, so its memo needs no view key; Postgres does. */
  #view(server: ServerRow): CatalogView {
    return catalogView(server, this.#viewer.userId, this.#pool.declaredCapabilities);
  }

  #isFresh(fetchedAt: number): boolean {
    return Date.now() - fetchedAt < this.#config.catalogTtlMs;
  }

  /** Fills the memo from Postgres for servers whose catalog it lacks: one query for all of them. */
  async #warmCatalogs(list: ServerRow[]): Promise<void> {
    const missing = list.filter((server) => !this.#isFresh(this.#catalogs.get(server.serverId)?.fetchedAt ?? 0));
    if (missing.length === 0) return;
    const wanted = missing.map((server) => ({ serverId: server.serverId, view: this.#view(server) }));
    // Without Postgres the catalogs come from memory or from the servers themselves.
    const catalogs = await loadCatalogs(this.db(), wanted).catch(() => new Map<string, StoredCatalog>());
    for (const [serverId, stored] of catalogs) {
      if (this.#isFresh(stored.fetchedAt.getTime())) this.#catalogs.set(serverId, { catalog: stored.catalog, fetchedAt: stored.fetchedAt.getTime() });
    }
  }

  /** From the memo when fresh, else from the server itself (which also updates Postgres). */
  async #catalogOf(server: ServerRow, forceRefresh = false): Promise<CatalogEntry> {
    const cached = this.#catalogs.get(server.serverId);
    if (!forceRefresh && cached && this.#isFresh(cached.fetchedAt)) return { serverId: server.serverId, catalog: cached.catalog };
    return { serverId: server.serverId, catalog: await this.refreshCatalog(server) };
  }

  async refreshCatalog(server: ServerRow, lists?: CatalogList[]): Promise<ServerCatalogData> {
    // A catalog goes to clients and may be shared by every user: nothing injected may stay in it.
    const { client, redactor } = await this.#pool.connection(await this.target(await this.server(server.serverId)));
    const timeout = this.#config.connectTimeoutMs;
    let catalog: ServerCatalogData;
    const previous = this.#catalogs.get(server.serverId)?.catalog;
    if (lists && previous) {
      catalog = { ...previous };
      for (const list of lists) catalog[list] = redactor.scrub(await fetchList(client, list, timeout));
    } else {
      catalog = redactor.scrub(await fetchCatalog(client, timeout));
    }
    this.#catalogs.set(server.serverId, { catalog, fetchedAt: Date.now() });
    // Shared with other sessions through Postgres, but no request waits for the write.
    void saveCatalog(this.db(), server.serverId, this.#view(server), catalog).catch((error: unknown) =>
      logEvent("catalog.save_failed", { serverId: server.serverId, error: errorText(error) }, "warn"),
    );
    return catalog;
  }
}

/** A server that cannot be reached until a value is set: the message says who must set what, and how. */
export class NeedsConfiguration extends RpcFailure {
  constructor(serverId: string, missing: { kind: "secret" | "user"; name: string }[], viaOwnerKey: boolean) {
    const mine = missing.filter((m) => m.kind === "user").map((m) => m.name);
    const admins = missing.filter((m) => m.kind === "secret").map((m) => m.name);
    const parts: string[] = [];
    if (mine.length > 0 && viaOwnerKey) {
      parts.push(`Server "${serverId}" needs personal values (${mine.join(", ")}), and the owner key has none: connect with a user's API key or token`);
    } else if (mine.length > 0) {
      const example = JSON.stringify({ action: 2001, data: { serverId, values: Object.fromEntries(mine.map((n) => [n, "…"])) } });
      parts.push(`Server "${serverId}" needs your personal value${mine.length > 1 ? "s" : ""} ${mine.join(", ")}. Set ${mine.length > 1 ? "them" : "it"} with POST /user ${example}`);
    }
    if (admins.length > 0) {
      parts.push(`Server "${serverId}" is missing its secret${admins.length > 1 ? "s" : ""} ${admins.join(", ")}: an admin must set ${admins.length > 1 ? "them" : "it"} with SET_SERVER_SECRET (2101)`);
    }
    super(JSONRPC_ERRORS.INVALID_PARAMS, parts.join(". "));
    this.name = "NeedsConfiguration";
  }
}
