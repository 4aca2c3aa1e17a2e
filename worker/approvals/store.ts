import { and, desc, eq, gt, inArray, lte, or, sql, type SQL } from "drizzle-orm";
import { auditArguments } from "../audit/arguments.ts";
import type { Principal } from "../auth/principal.ts";
import type { Database } from "../db/client.ts";
import { approvalRequests } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import type { ApprovalStatus, ApprovalView, ListApprovalsInput } from "./types.ts";

export type ApprovalRow = typeof approvalRequests.$inferSelect;
export type NewApproval = Omit<typeof approvalRequests.$inferInsert, "status" | "createdAt">;

/** Owners and admins decide (and see) every request; anyone else those the rule names them for, and their own. */
export function isApprovalAdmin(principal: Principal): boolean {
  return principal.role === "owner" || principal.role === "admin";
}

/** Whether `principal` may decide `row`: the rule's approvers are "self", roles or user ids. */
export function mayDecide(principal: Principal, row: Pick<ApprovalRow, "userId" | "approvers">): boolean {
  if (isApprovalAdmin(principal)) return true;
  return row.approvers.some(
    (approver) => (approver === "self" && principal.userId !== null && principal.userId === row.userId) || approver === principal.role || approver === principal.userId,
  );
}

/** A pending request past its expiry is expired, whether or not its session has yet answered the call. */
export function effectiveStatus(row: Pick<ApprovalRow, "status" | "expiresAt">, now = new Date()): ApprovalStatus {
  return row.status === "pending" && row.expiresAt <= now ? "expired" : row.status;
}

export function approvalView(row: ApprovalRow, now = new Date()): ApprovalView {
  return {
    approvalId: row.id,
    status: effectiveStatus(row, now),
    userId: row.userId,
    sessionId: row.sessionId,
    serverId: row.serverId,
    tool: row.tool,
    clientName: row.clientName,
    arguments: row.arguments ?? null,
    argumentsHash: row.argumentsHash,
    reason: row.reason,
    policyId: row.policyId,
    policyVersion: row.policyVersion,
    ruleId: row.ruleId,
    approvers: row.approvers,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decisionChannel: row.decisionChannel,
    decisionReason: row.decisionReason,
    // Kept exact for the session that runs them; shown masked like every argument.
    editedArguments: row.editedArguments == null ? null : auditArguments(row.editedArguments),
    editedArgumentsHash: row.editedArgumentsHash,
    resultOutcome: row.resultOutcome,
  };
}

export async function insertApproval(db: Database, approval: NewApproval): Promise<ApprovalRow> {
  const [row] = await db.insert(approvalRequests).values(approval).returning();
  return row!;
}

export async function getApprovalRow(db: Database, approvalId: string): Promise<ApprovalRow | null> {
  const [row] = await db.select().from(approvalRequests).where(eq(approvalRequests.id, approvalId)).limit(1);
  return row ?? null;
}

export async function requireApproval(db: Database, approvalId: string, viewer: Principal): Promise<ApprovalRow> {
  const row = await getApprovalRow(db, approvalId);
  // Someone who may neither decide nor see it is told it does not exist, as for an unknown id.
  if (!row || !(mayDecide(viewer, row) || (viewer.userId !== null && row.userId === viewer.userId))) {
    throw new AppError("NOT_FOUND", `No approval request "${approvalId}"`);
  }
  return row;
}

/**
 * The request a repeat of the same call belongs to: one still open (pending, approved or executing,
 * within its expiry), or one executed within its TTL, whose stored result answers the repeat.
 */
export async function findRepeat(
  db: Database,
  call: Pick<ApprovalRow, "userId" | "serverId" | "tool" | "argumentsHash">,
  now = new Date(),
): Promise<ApprovalRow | null> {
  const [row] = await db
    .select()
    .from(approvalRequests)
    .where(
      and(
        call.userId === null ? sql`${approvalRequests.userId} is null` : eq(approvalRequests.userId, call.userId),
        eq(approvalRequests.serverId, call.serverId),
        eq(approvalRequests.tool, call.tool),
        eq(approvalRequests.argumentsHash, call.argumentsHash),
        or(
          and(eq(approvalRequests.status, "pending"), gt(approvalRequests.expiresAt, now)),
          inArray(approvalRequests.status, ["approved", "executing"]),
          and(eq(approvalRequests.status, "executed"), sql`${approvalRequests.executedAt} + make_interval(secs => ${approvalRequests.ttlSeconds}) > ${now}`),
        ),
      ),
    )
    .orderBy(desc(approvalRequests.createdAt))
    .limit(1);
  return row ?? null;
}

/** A repeat from another session waits in this one from now on: decisions are pushed here. */
export async function moveToSession(db: Database, approvalId: string, sessionId: string): Promise<void> {
  await db.update(approvalRequests).set({ sessionId }).where(eq(approvalRequests.id, approvalId));
}

/** The one step that lets a call run: only one session can move an approved request to executing. */
export async function claimExecution(db: Database, approvalId: string): Promise<ApprovalRow | null> {
  const [row] = await db
    .update(approvalRequests)
    .set({ status: "executing" })
    .where(and(eq(approvalRequests.id, approvalId), eq(approvalRequests.status, "approved")))
    .returning();
  return row ?? null;
}

export async function recordExecution(db: Database, approvalId: string, result: Record<string, unknown>, outcome: "ok" | "error"): Promise<ApprovalRow | null> {
  const [row] = await db
    .update(approvalRequests)
    .set({ status: outcome === "ok" ? "executed" : "failed", result, resultOutcome: outcome, executedAt: new Date() })
    .where(and(eq(approvalRequests.id, approvalId), eq(approvalRequests.status, "executing")))
    .returning();
  return row ?? null;
}

/** Expires a request nobody decided in time; null when it was decided first (the decision stands). */
export async function expireApproval(db: Database, approvalId: string, now = new Date()): Promise<ApprovalRow | null> {
  const [row] = await db
    .update(approvalRequests)
    .set({ status: "expired", decidedAt: now, decisionChannel: "system", decisionReason: "nobody decided before the request expired" })
    .where(and(eq(approvalRequests.id, approvalId), eq(approvalRequests.status, "pending"), lte(approvalRequests.expiresAt, now)))
    .returning();
  return row ?? null;
}

function statusCondition(status: ApprovalStatus, now: Date): SQL | undefined {
  if (status === "pending") return and(eq(approvalRequests.status, "pending"), gt(approvalRequests.expiresAt, now));
  if (status === "expired") return or(eq(approvalRequests.status, "expired"), and(eq(approvalRequests.status, "pending"), lte(approvalRequests.expiresAt, now)));
  return eq(approvalRequests.status, status);
}

/** What a viewer who is no admin sees: requests they may decide, and their own. */
function visibleTo(viewer: Principal): SQL | undefined {
  if (isApprovalAdmin(viewer)) return undefined;
  const mine = sql`${approvalRequests.userId} = ${viewer.userId}`;
  const named = sql`${approvalRequests.approvers} ?| array[${viewer.role}, ${viewer.userId}]::text[]`;
  return or(mine, named);
}

export async function listApprovals(db: Database, filter: ListApprovalsInput, viewer: Principal): Promise<ApprovalView[]> {
  const now = new Date();
  const rows = await db
    .select()
    .from(approvalRequests)
    .where(
      and(
        filter.status ? statusCondition(filter.status, now) : undefined,
        filter.userId ? eq(approvalRequests.userId, filter.userId) : undefined,
        filter.serverId ? eq(approvalRequests.serverId, filter.serverId) : undefined,
        visibleTo(viewer),
      ),
    )
    .orderBy(desc(approvalRequests.createdAt))
    .limit(filter.limit);
  return rows.map((row) => approvalView(row, now));
}

export async function countPendingApprovals(db: Database, viewer: Principal): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(approvalRequests)
    .where(and(statusCondition("pending", new Date()), visibleTo(viewer)));
  return row?.count ?? 0;
}
