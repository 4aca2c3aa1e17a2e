import { createMiddleware } from "hono/factory";
import { openDatabase } from "../db/client.ts";
import { ipAllowlists } from "../db/schema.ts";
import type { AppContext, HonoEnv } from "../http/context.ts";
import { AppError } from "../http/errors.ts";
import type { AppEnv } from "../env.ts";
import { IpListCache, ipListsFromRows, ipRefusal, type IpLists } from "./ip-allowlist.ts";

/** How long an isolate trusts its copy of the lists: a change reaches every isolate within this. */
export const IP_LIST_REFRESH_MS = 5000;

let cache: IpListCache | undefined;

async function readLists(env: AppEnv): Promise<IpLists> {
  // Its own connection: a background refresh outlives the request whose connection closes with it.
  const handle = openDatabase(env);
  try {
    return ipListsFromRows(await handle.db.select({ userId: ipAllowlists.userId, mode: ipAllowlists.mode, cidrs: ipAllowlists.cidrs }).from(ipAllowlists));
  } finally {
    await handle.close().catch(() => {});
  }
}

function cacheFor(env: AppEnv): IpListCache {
  cache ??= new IpListCache(() => readLists(env), IP_LIST_REFRESH_MS);
  return cache;
}

/** Called after a change to the lists, so this isolate applies it at once rather than within the interval. */
export function forgetIpLists(): void {
  cache?.invalidate();
}

/** Cloudflare sets CF-Connecting-IP itself; X-Forwarded-For is the client's to forge, so it is never read. */
export function clientIp(c: AppContext): string | null {
  return c.req.header("cf-connecting-ip") ?? null;
}

async function listsOrRefuse(c: AppContext): Promise<IpLists> {
  const { lists, refresh } = await cacheFor(c.env).current();
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
