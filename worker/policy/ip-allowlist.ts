import type { IpAllowlistMode } from "../db/schema.ts";
import { type Cidr, cidrContains, parseCidr, parseIp } from "./cidr.ts";
import { withTimeout } from "../http/with-timeout.ts";

export interface IpScopeList {
  mode: IpAllowlistMode;
  cidrs: Cidr[];
}

/** One list as stored: what an MCP session keeps in its record, and what a change of a user's list pushes to it. */
export interface StoredIpScope {
  mode: IpAllowlistMode;
  cidrs: string[];
}

/** The gateway's list and every user's, as one isolate last read them. */
export interface IpLists {
  global: IpScopeList;
  users: Record<string, IpScopeList>;
  /** Each user's list as stored, for the MCP session a user opens: it checks every later request itself. */
  stored: Record<string, StoredIpScope>;
}

export interface StoredIpList extends StoredIpScope {
  userId: string | null;
}

const ALLOW_ALL: IpScopeList = { mode: "allow-all", cidrs: [] };

export const ALLOW_ALL_STORED: StoredIpScope = { mode: "allow-all", cidrs: [] };

export function ipScopeList(stored: StoredIpScope): IpScopeList {
  // Every stored CIDR was validated on write; one that no longer parses matches nothing rather than everything.
  return { mode: stored.mode, cidrs: stored.cidrs.map(parseCidr).filter((cidr): cidr is Cidr => cidr !== null) };
}

export function ipListsFromRows(rows: readonly StoredIpList[]): IpLists {
  const lists: IpLists = { global: ALLOW_ALL, users: {}, stored: {} };
  for (const row of rows) {
    const list = ipScopeList(row);
    if (row.userId === null) lists.global = list;
    else {
      lists.users[row.userId] = list;
      lists.stored[row.userId] = { mode: row.mode, cidrs: row.cidrs };
    }
  }
  return lists;
}

/**
 * null when the address may pass; otherwise why not, naming the list (`listName`). A request without a
 * readable address never passes a list.
 */
export function ipRefusal(list: IpScopeList | undefined, ip: string | null, listName = "the IP allow-list"): string | null {
  if (!list || list.mode === "allow-all") return null;
  const address = ip === null ? null : parseIp(ip);
  if (address === null) return `the client address is unknown, and ${listName} is in force`;
  return list.cidrs.some((cidr) => cidrContains(cidr, address)) ? null : `the address ${ip} is not on ${listName}`;
}

/** A user's own list refusing a request, in the words every door uses: "Refused: … of your account". */
export function accountIpRefusal(list: IpScopeList | undefined, ip: string | null): string | null {
  const refused = ipRefusal(list, ip, "the IP allow-list of your account");
  return refused ? `Refused: ${refused}` : null;
}

/**
 * The per-isolate copy of the lists. A fresh copy is used as is; a stale one is still used while a
 * refresh runs in the background, and kept if the refresh fails. A request waits for the database only
 * with no copy ever read (if that read fails the answer is null: refuse, never fail open), and once after
 * this isolate changed the lists, so the change applies here to the very next request.
 */
export class IpListCache {
  #lists: IpLists | null = null;
  #readAt = 0;
  #refreshing: { promise: Promise<void>; generation: number } | null = null;
  /** Counts this isolate's changes (`invalidate`); a read started before the latest one cannot show it. */
  #generation = 0;
  /** The generation of the read that `#lists` came from, so a slow older read never overwrites a newer one. */
  #listsGeneration = -1;
  /** A change whose read failed: requests stop waiting for it and go on with the last copy. */
  #gaveUpOn = -1;
  readonly #refreshMs: number;
  readonly #now: () => number;

  constructor(refreshMs: number, now: () => number = Date.now) {
    this.#refreshMs = refreshMs;
    this.#now = now;
  }

  /**
   * The lists to judge by, and the background refresh (if one started) for the caller to keep alive.
   * `load` reads them over the asking request's own connection, so the cache never opens one of its own.
   */
  async current(load: () => Promise<IpLists>): Promise<{ lists: IpLists | null; refresh: Promise<void> | null }> {
    const generation = this.#generation;
    if (this.#lists === null || (this.#listsGeneration < generation && this.#gaveUpOn < generation)) {
      // Every request meanwhile waits for the same read. If it fails, the last copy stays in force (and is
      // refreshed in the background, as when stale): a database outage must not hold every request up.
      await this.#refresh(load);
      if (this.#listsGeneration < generation) {
        this.#gaveUpOn = generation;
        this.#readAt = Number.NEGATIVE_INFINITY;
      }
      return { lists: this.#lists, refresh: null };
    }
    if (this.#now() - this.#readAt < this.#refreshMs) return { lists: this.#lists, refresh: null };
    return { lists: this.#lists, refresh: this.#refresh(load) };
  }

  /** After a change in this isolate has committed: the next request reads the lists again, and waits for them. */
  invalidate(): void {
    this.#generation++;
  }

  #refresh(load: () => Promise<IpLists>): Promise<void> {
    const generation = this.#generation;
    if (this.#refreshing && this.#refreshing.generation === generation) return this.#refreshing.promise;
    // A read that never settles (a connection closed under it) must not block every later refresh.
    const promise: Promise<void> = withTimeout(load(), this.#refreshMs, "the IP allow-list read")
      .then((lists) => {
        if (generation < this.#listsGeneration) return;
        this.#lists = lists;
        this.#listsGeneration = generation;
        this.#readAt = this.#now();
      })
      .catch(() => {
        // The last known lists stay in force; the next request tries again.
      })
      .finally(() => {
        if (this.#refreshing?.promise === promise) this.#refreshing = null;
      });
    this.#refreshing = { promise, generation };
    return promise;
  }
}
