import type { IpAllowlistMode } from "../db/schema.ts";
import { type Cidr, cidrContains, parseCidr, parseIp } from "./cidr.ts";

export interface IpScopeList {
  mode: IpAllowlistMode;
  cidrs: Cidr[];
}

/** The gateway's list and every user's, as one isolate last read them. */
export interface IpLists {
  global: IpScopeList;
  users: Record<string, IpScopeList>;
}

export interface StoredIpList {
  userId: string | null;
  mode: IpAllowlistMode;
  cidrs: string[];
}

const ALLOW_ALL: IpScopeList = { mode: "allow-all", cidrs: [] };

export function ipListsFromRows(rows: readonly StoredIpList[]): IpLists {
  const lists: IpLists = { global: ALLOW_ALL, users: {} };
  for (const row of rows) {
    // Every stored CIDR was validated on write; one that no longer parses matches nothing rather than everything.
    const list = { mode: row.mode, cidrs: row.cidrs.map(parseCidr).filter((cidr): cidr is Cidr => cidr !== null) };
    if (row.userId === null) lists.global = list;
    else lists.users[row.userId] = list;
  }
  return lists;
}

/** null when the address may pass; otherwise why not. A request without a readable address never passes a list. */
export function ipRefusal(list: IpScopeList | undefined, ip: string | null): string | null {
  if (!list || list.mode === "allow-all") return null;
  const address = ip === null ? null : parseIp(ip);
  if (address === null) return "the client address is unknown, and an IP allow-list is in force";
  return list.cidrs.some((cidr) => cidrContains(cidr, address)) ? null : `the address ${ip} is not on the IP allow-list`;
}

/**
 * The per-isolate copy of the lists. A fresh copy is used as is; a stale one is still used while a
 * refresh runs in the background, and kept if the refresh fails. Only with no copy ever read does a
 * request wait for the database, and if that read fails the answer is null: refuse, never fail open.
 */
export class IpListCache {
  #lists: IpLists | null = null;
  #readAt = 0;
  #refreshing: Promise<void> | null = null;
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
    if (this.#lists === null) {
      await this.#refresh(load);
      return { lists: this.#lists, refresh: null };
    }
    if (this.#now() - this.#readAt < this.#refreshMs) return { lists: this.#lists, refresh: null };
    return { lists: this.#lists, refresh: this.#refresh(load) };
  }

  /** After a change in this isolate, the next request reads again instead of waiting out the interval. */
  invalidate(): void {
    this.#readAt = 0;
  }

  #refresh(load: () => Promise<IpLists>): Promise<void> {
    if (this.#refreshing) return this.#refreshing;
    // A read that never settles (a connection closed under it) must not block every later refresh.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("IP allow-list read timed out")), this.#refreshMs);
    });
    this.#refreshing = Promise.race([load(), timeout])
      .then((lists) => {
        this.#lists = lists;
        this.#readAt = this.#now();
      })
      .catch(() => {
        // The last known lists stay in force; the next request tries again.
      })
      .finally(() => {
        clearTimeout(timer);
        this.#refreshing = null;
      });
    return this.#refreshing;
  }
}
