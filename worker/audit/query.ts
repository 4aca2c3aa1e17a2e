import { and, asc, desc, eq, gt, gte, lt, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { auditRecords } from "../db/schema.ts";
import type { AuditRecord } from "./record.ts";

const timestamp = z.iso.datetime({ offset: true });

/** The filters GET_LOGS and EXPORT_LOGS share; each is backed by an index on (column, id) or on ts. */
export const auditFilterFields = {
  userId: z.string().min(1).max(200).optional().describe("Only records of this user"),
  serverId: z.string().min(1).max(32).optional().describe("Only records about this server"),
  name: z.string().min(1).max(200).optional().describe("Only this tool, prompt, resource or admin action name"),
  decision: z.enum(["allow", "deny"]).optional().describe("Only allowed, or only denied, requests"),
  policyId: z.string().min(1).max(200).optional().describe("Only requests decided by this policy set"),
  ruleId: z.string().min(1).max(64).optional().describe("Only requests decided by a rule with this id (with policyId: that set's rule)"),
  outcome: z.enum(["ok", "error"]).optional().describe("Only successful, or only failed, requests"),
};

export const auditRangeFields = {
  since: timestamp.describe("Records at or after this time (ISO 8601)"),
  until: timestamp.describe("Records strictly before this time (ISO 8601)"),
};

export type AuditFilter = {
  [K in keyof typeof auditFilterFields]?: z.output<(typeof auditFilterFields)[K]>;
} & { since?: string | undefined; until?: string | undefined };

export function auditWhere(filter: AuditFilter): SQL | undefined {
  return and(
    filter.userId === undefined ? undefined : eq(auditRecords.userId, filter.userId),
    filter.serverId === undefined ? undefined : eq(auditRecords.serverId, filter.serverId),
    filter.name === undefined ? undefined : eq(auditRecords.name, filter.name),
    filter.decision === undefined ? undefined : eq(auditRecords.decision, filter.decision),
    filter.policyId === undefined ? undefined : eq(auditRecords.policyId, filter.policyId),
    filter.ruleId === undefined ? undefined : eq(auditRecords.ruleId, filter.ruleId),
    filter.outcome === undefined ? undefined : eq(auditRecords.outcome, filter.outcome),
    filter.since === undefined ? undefined : gte(auditRecords.ts, filter.since),
    filter.until === undefined ? undefined : lt(auditRecords.ts, filter.until),
  );
}

/**
 * One page of records in id order. Ids are UUIDv7, so id order is time order and a cursor is just the
 * last id seen: pages never repeat or skip a record even while new ones arrive.
 */
export async function auditPage(
  db: Database,
  filter: AuditFilter,
  page: { after?: string | undefined; limit: number; order: "newest" | "oldest" },
): Promise<AuditRecord[]> {
  const newest = page.order === "newest";
  const rows = await db
    .select()
    .from(auditRecords)
    .where(and(auditWhere(filter), page.after === undefined ? undefined : newest ? lt(auditRecords.id, page.after) : gt(auditRecords.id, page.after)))
    .orderBy(newest ? desc(auditRecords.id) : asc(auditRecords.id))
    .limit(page.limit);
  return rows.map(toAuditRecord);
}

/** Rows come back with Postgres's timestamp format; callers see ISO 8601 like everywhere else in the API. */
export function toAuditRecord(row: typeof auditRecords.$inferSelect): AuditRecord {
  return { ...row, ts: new Date(row.ts).toISOString() };
}
