import { createMiddleware } from "hono/factory";
import type { Database } from "../db/client.ts";
import { ipAllowlists } from "../db/schema.ts";
import type { AppContext, HonoEnv } from "../http/context.ts";
import { AppError } from "../http/errors.ts";
import { IpListCache, ipListsFromRows, ipRefusal, type IpLists } from "./ip-allowlist.ts";

/** How long an isolate trusts its copy of the lists: a change reaches every isolate within this. */
export const IP_LIST_REFRESH_MS = 5000;

const cache = new IpListCache(IP_LIST_REFRESH_MS);

async function readLists(db: Database): Promise<IpLists> {
  return ipListsFromRows(await db.select({ userId: ipAllowlists.userId, mode: ipAllowlists.mode, cidrs: ipAllowlists.cidrs }).from(ipAllowlists));
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

/** A user's own list: mounted after authentication, from the same cached copy (no query of its own). */
export const userIpAllowlist = createMiddleware<HonoEnv>(async (c, next) => {
  const userId = c.get("principal").userId;
  if (userId !== null) {
    const refused = ipRefusal((await listsOrRefuse(c)).users[userId], clientIp(c));
    if (refused) throw new AppError("FORBIDDEN", `Refused: ${refused} of your account`);
  }
  await next();
});
