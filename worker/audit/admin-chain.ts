import { desc, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { auditAnchors, auditRecords } from "../db/schema.ts";
import { type AuditFields, type AuditRecord, sealAuditRecord } from "./record.ts";
import { insertAuditRecords } from "./store.ts";

/** The one chain that admin and self-service changes share (MCP sessions each have their own). */
export const ADMIN_CHAIN = "admin";

/**
 * Key of the transaction-scoped advisory lock that serialises appends to the admin chain: two Worker
 * isolates reading the same head would otherwise both write seq N+1. Any constant works as long as
 * nothing else in the database uses it; this one spells "AUDT".
 */
export const ADMIN_CHAIN_LOCK = 0x41554454;

export function lockAdminChain(tx: Database): Promise<unknown> {
  return tx.execute(sql`select pg_advisory_xact_lock(${ADMIN_CHAIN_LOCK})`);
}

/**
 * Seals `fields` as the next link of the admin chain and inserts it, inside the caller's transaction, so
 * the record commits or rolls back with the change it describes. The head is the newest record, or the
 * anchor a prune left behind when it removed them all.
 */
export async function appendToAdminChain(tx: Database, fields: AuditFields): Promise<AuditRecord> {
  await lockAdminChain(tx);
  const [head] = await tx
    .select({ seq: auditRecords.seq, hash: auditRecords.hash })
    .from(auditRecords)
    .where(eq(auditRecords.chainId, ADMIN_CHAIN))
    .orderBy(desc(auditRecords.seq))
    .limit(1);
  const [anchor] = head
    ? []
    : await tx.select({ seq: auditAnchors.seq, hash: auditAnchors.hash }).from(auditAnchors).where(eq(auditAnchors.chainId, ADMIN_CHAIN));
  const previous = head ?? anchor;
  const record = await sealAuditRecord(fields, { chainId: ADMIN_CHAIN, seq: (previous?.seq ?? 0) + 1, prevHash: previous?.hash ?? null });
  await insertAuditRecords(tx, [record]);
  return record;
}
