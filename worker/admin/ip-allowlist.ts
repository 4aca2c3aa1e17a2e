import { eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { ActionContext } from "./action.ts";
import { IP_ALLOWLIST_MODES, type IpAllowlistMode, ipAllowlists } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import { parseCidr } from "../policy/cidr.ts";
import { forgetIpLists } from "../policy/ip-allowlist-middleware.ts";
import { ALLOW_ALL_STORED, ipListsFromRows, ipRefusal, type StoredIpScope } from "../policy/ip-allowlist.ts";
import { pushUserChange } from "../users/live-sessions.ts";
import { getUser } from "../users/store.ts";
import { defineAction } from "./action.ts";

const userId = z.uuid().optional().describe("The user whose own list this is; omitted: the gateway-wide list");
const cidrs = z
  .array(z.string().trim().max(64).refine((text) => parseCidr(text) !== null, "is not an IPv4 or IPv6 address or CIDR"))
  .max(1000)
  .describe("Addresses or CIDR ranges, IPv4 or IPv6, e.g. 203.0.113.0/24, 2001:db8::/32");

interface ListState {
  userId: string | null;
  mode: IpAllowlistMode;
  cidrs: string[];
}

async function readList(ctx: ActionContext, user: string | undefined): Promise<ListState> {
  if (user !== undefined) await getUser(ctx.db, user);
  const [row] = await ctx.db
    .select()
    .from(ipAllowlists)
    .where(user === undefined ? isNull(ipAllowlists.userId) : eq(ipAllowlists.userId, user))
    .for("update");
  return { userId: user ?? null, mode: row?.mode ?? "allow-all", cidrs: row?.cidrs ?? [] };
}

/**
 * Writes the list, refusing (409) a list in force that would shut out the very request changing it: the
 * gateway-wide list, or the caller's own. Without that, one typo could leave no way back in but SQL.
 */
async function writeList(ctx: ActionContext, next: ListState): Promise<ListState> {
  const unique = [...new Set(next.cidrs)];
  const guardsCaller = next.userId === null || next.userId === ctx.principal.userId;
  const refused = guardsCaller ? ipRefusal(ipListsFromRows([{ ...next, userId: null, cidrs: unique }]).global, ctx.ip) : null;
  if (refused) throw new AppError("CONFLICT", `This change would lock you out: ${refused}. Include your own address first.`);
  const values = { userId: next.userId, mode: next.mode, cidrs: unique, updatedAt: new Date() };
  await ctx.db.insert(ipAllowlists).values(values).onConflictDoUpdate({ target: ipAllowlists.userId, set: values });
  onCommit(ctx, next.userId, { mode: next.mode, cidrs: unique });
  return { ...next, cidrs: unique };
}

/**
 * Only once committed: a read this isolate starts before then would see, and keep, the old lists. A
 * user's list also reaches their open MCP sessions and Desk sockets, which check it themselves; the
 * gateway-wide list is checked by the Worker on every request, sessions' included.
 */
function onCommit(ctx: ActionContext, userId: string | null, list: StoredIpScope): void {
  ctx.afterCommit(async () => forgetIpLists());
  if (userId !== null) ctx.afterCommit(() => pushUserChange(ctx.env, userId, { kind: "ip-list", list }));
}

const listReturns = "`{userId, mode, cidrs}` (userId null: the gateway-wide list)";

/** REPLACE and APPEND differ only in how the given CIDRs combine with the list's. */
function cidrAction(code: number, name: string, summary: string, combine: (current: string[], given: string[]) => string[]) {
  return defineAction({
    code,
    name,
    mutates: true,
    summary,
    returns: listReturns,
    input: z.strictObject({ userId, cidrs }),
    async run(ctx, data) {
      const current = await readList(ctx, data.userId);
      return writeList(ctx, { ...current, cidrs: combine(current.cidrs, data.cidrs) });
    },
  });
}

export const ipAllowlistActions = [
  cidrAction(4001, "REPLACE_IP_ALLOWLIST", "Replaces the CIDRs of the gateway-wide list, or of one user's. They apply while the list's mode is allow-list (4005).", (_current, given) => given),
  defineAction({
    code: 4002,
    name: "GET_IP_ALLOWLIST",
    summary: "The gateway-wide list, or one user's: its mode and CIDRs.",
    returns: listReturns,
    input: z.strictObject({ userId }),
    async run(ctx, data) {
      return readList(ctx, data.userId);
    },
  }),
  defineAction({
    code: 4003,
    name: "DELETE_IP_ALLOWLIST",
    mutates: true,
    summary: "Deletes a list: its CIDRs go and its mode returns to allow-all.",
    returns: "`{userId, deleted: true}`",
    input: z.strictObject({ userId }),
    async run(ctx, data) {
      if (data.userId !== undefined) await getUser(ctx.db, data.userId);
      await ctx.db.delete(ipAllowlists).where(data.userId === undefined ? isNull(ipAllowlists.userId) : eq(ipAllowlists.userId, data.userId));
      onCommit(ctx, data.userId ?? null, ALLOW_ALL_STORED);
      return { userId: data.userId ?? null, deleted: true };
    },
  }),
  cidrAction(4004, "APPEND_IP_ALLOWLIST", "Adds CIDRs to a list (duplicates are dropped).", (current, given) => [...current, ...given]),
  defineAction({
    code: 4005,
    name: "SET_IP_ALLOWLIST_MODE",
    mutates: true,
    summary:
      "allow-all lets every address in; allow-list admits only the list's CIDRs (taken from CF-Connecting-IP only). A change that would refuse the caller's own address is a 409.",
    returns: listReturns,
    input: z.strictObject({ userId, mode: z.enum(IP_ALLOWLIST_MODES).describe("allow-all or allow-list") }),
    async run(ctx, data) {
      return writeList(ctx, { ...(await readList(ctx, data.userId)), mode: data.mode });
    },
  }),
];
