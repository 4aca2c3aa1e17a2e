import { and, eq, inArray, or } from "drizzle-orm";
import { errorText } from "../db/errors.ts";
import type { Database } from "../db/client.ts";
import { USER_ROLES, users, type UserRole } from "../db/schema.ts";
import type { DeskServerMessage } from "../desk/messages.ts";
import type { AppEnv } from "../env.ts";
import { logEvent } from "../observability/log.ts";
import { OWNER_DESK } from "../users/live-sessions.ts";
import { type ApprovalRow, approvalView } from "./store.ts";

type ApprovalMessageType = Extract<DeskServerMessage["type"], `approval.${string}`>;

const ALWAYS_DECIDE: UserRole[] = ["owner", "admin"];

/**
 * The desks that hear of a request: its requester's, the owner key's, and every active user the rule
 * names or whose role may decide (owners and admins always may). Desks without an open socket drop it.
 */
export async function approvalDesks(db: Database, row: Pick<ApprovalRow, "userId" | "approvers">): Promise<string[]> {
  const roles = [...new Set([...ALWAYS_DECIDE, ...row.approvers.filter((a): a is UserRole => (USER_ROLES as readonly string[]).includes(a))])];
  const ids = row.approvers.filter((a) => a !== "self" && !(USER_ROLES as readonly string[]).includes(a));
  const named = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.status, "active"), ids.length > 0 ? or(inArray(users.role, roles), inArray(users.id, ids)) : inArray(users.role, roles)));
  return [...new Set([OWNER_DESK, ...(row.userId ? [row.userId] : []), ...named.map((user) => user.id)])];
}

/** Tells every desk of the request what happened to it; a desk that cannot be reached is logged, never fatal. */
export async function publishApproval(env: AppEnv, db: Database, type: ApprovalMessageType, row: ApprovalRow): Promise<void> {
  const message = { type, approval: approvalView(row) } as DeskServerMessage;
  const desks = await approvalDesks(db, row);
  const results = await Promise.allSettled(desks.map((desk) => env.DESK.getByName(desk).publish(message)));
  results.forEach((result, i) => {
    if (result.status === "rejected") logEvent("desk.publish_failed", { desk: desks[i], type, error: errorText(result.reason) }, "warn");
  });
}
