// Synthetic audit chains for the audit tests: sealed and stored exactly as the session DO does, each under
// its own chain id so test files running in parallel never touch each other's records.
import { env } from "cloudflare:workers";
import { openDatabase } from "../../worker/db/client.ts";
import { type AuditFields, type AuditRecord, sealAuditRecord } from "../../worker/audit/record.ts";
import { insertAuditRecords } from "../../worker/audit/store.ts";
import { expect } from "vitest";
import { sql } from "./gateway.ts";

export function uniqueId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

export function fields(overrides: Partial<AuditFields> = {}): AuditFields {
  return {
    ts: new Date().toISOString(),
    userId: null,
    role: "user",
    clientName: "audit-test",
    clientVersion: "1",
    sessionId: null,
    ip: "127.0.0.1",
    serverId: null,
    method: "tools/call",
    name: "echo",
    arguments: { message: "hi", nested: { b: 2, a: [1, "x"] } },
    decision: "allow",
    decisionReason: null,
    policyId: null,
    policyVersion: null,
    ruleId: null,
    approvalId: null,
    outcome: "ok",
    errorCode: null,
    errorMessage: null,
    latencyMs: 3,
    responseBytes: 42,
    ...overrides,
  };
}

/**
 * Seals `specs` as seq 1..n of `chainId` and inserts them. Each record's id takes its time from its ts, as
 * a live record's would, so id order and ts order agree.
 */
export async function insertChain(chainId: string, specs: Partial<AuditFields>[]): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  let prevHash: string | null = null;
  for (const [index, spec] of specs.entries()) {
    const record: AuditRecord = await sealAuditRecord(fields({ sessionId: chainId, ...spec }), { chainId, seq: index + 1, prevHash }, Date.parse(spec.ts ?? new Date().toISOString()));
    records.push(record);
    prevHash = record.hash;
  }
  const handle = openDatabase(env);
  try {
    await insertAuditRecords(handle.db, records);
  } finally {
    await handle.close();
  }
  return records;
}

/** A session's audit records in chain order, once its alarm has delivered all `count` of them to Postgres. */
export async function sessionRows<Row = Record<string, unknown>>(sessionId: string, count: number): Promise<Row[]> {
  let rows: Row[] = [];
  await expect
    .poll(async () => {
      rows = await sql<Row>("select * from audit_records where session_id = $1 order by seq", [sessionId]);
      return rows.length;
    }, { timeout: 15_000, interval: 200 })
    .toBe(count);
  return rows;
}
