import { and, eq } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { NEVER_CACHED } from "../db/never-cached.ts";
import type { Database } from "../db/client.ts";
import { ipAllowlists } from "../db/schema.ts";
import type { AppContext, HonoEnv } from "../http/context.ts";
import { AppError } from "../http/errors.ts";
import { accountIpRefusal, ALLOW_ALL_STORED, IpListCache, ipListsFromRows, ipRefusal, type IpLists, type StoredIpScope } from "./ip-allowlist.ts";

/** How long an isolate trusts its copy of the lists: a change reaches every isolate within this. */
export const IP_LIST_REFRESH_MS = 5000;

const cache = new IpListCache(IP_LIST_REFRESH_MS);

async function readLists(db: Database): Promise<IpLists> {
  return ipListsFromRows(await db.select({ userId: ipAllowlists.userId, mode: ipAllowlists.mode, cidrs: ipAllowlists.cidrs }).from(ipAllowlists));
}

/** One user's list, fresh from the database: how an open session re-checks the list it keeps. */
export async function readUserIpList(db: Database, userId: string): Promise<StoredIpScope> {
  const [row] = await db
    .select({ mode: ipAllowlists.mode, cidrs: ipAllowlists.cidrs })
    .from(ipAllowlists)
    .where(and(eq(ipAllowlists.userId, userId), NEVER_CACHED))
    .limit(1);
  return row ?? ALLOW_ALL_STORED;
}

/** Called after a change to the lists, so this isolate applies it at once rather than within the interval. */
export function forgetIpLists(): void {
  cache.invalidate();
}

/** Cloudflare sets CF-Connecting-IP itself; X-Forwarded-For is the client's to forge, so it is never read. */
export function clientIp(c: AppContext): string | null {
  return c.req.header("cf-connecting-ip") ?? null;
}

async function listsOrRefuse(c: AppContext): Promise<IpLists> {
  // A background refresh may outlive the response: the request's connection is closed only once its queries end.
  const { lists, refresh } = await cache.current(() => readLists(c.get("db")()));
  if (refresh) c.executionCtx.waitUntil(refresh);
  if (!lists) throw new AppError("SERVICE_UNAVAILABLE", "The IP allow-list cannot be read; refusing until it can");
  return lists;
}

/** The gateway-wide list, checked before any other work of the request (authentication included). */
export const ipAllowlist = createMiddleware<HonoEnv>(async (c, next) => {
  const refused = ipRefusal((await listsOrRefuse(c)).global, clientIp(c));
  if (refused) throw new AppError("FORBIDDEN", `Refused: ${refused}`);
  await next();
});

/**
 * Why a user's own list refuses this request (null: it may pass), from the same cached copy as the
 * gateway-wide list (no query of its own). Every door that acts for a user asks it once it knows who.
 */
export async function userIpRefusal(c: AppContext, userId: string | null): Promise<string | null> {
  if (userId === null) return null;
  return accountIpRefusal((await listsOrRefuse(c)).users[userId], clientIp(c));
}

/** A user's list as this isolate holds it, for the MCP session they open: the session checks every later request. */
export async function storedUserIpList(c: AppContext, userId: string | null): Promise<StoredIpScope> {
  return userId === null ? ALLOW_ALL_STORED : ((await listsOrRefuse(c)).stored[userId] ?? ALLOW_ALL_STORED);
}

/** A user's own list: mounted after authentication. */
export const userIpAllowlist = createMiddleware<HonoEnv>(async (c, next) => {
  const refused = await userIpRefusal(c, c.get("principal").userId);
  if (refused) throw new AppError("FORBIDDEN", refused);
  await next();
});
