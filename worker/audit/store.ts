import type { Database } from "../db/client.ts";
import { auditRecords } from "../db/schema.ts";
import type { AuditRecord } from "./record.ts";

/** Idempotent: a batch retried after a lost acknowledgement inserts nothing twice. */
export async function insertAuditRecords(db: Database, records: AuditRecord[]): Promise<void> {
  if (records.length === 0) return;
  await db.insert(auditRecords).values(records).onConflictDoNothing({ target: auditRecords.id });
}
