import { env } from "cloudflare:workers";
import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { pruneAudit, retentionCutoff } from "../../worker/audit/prune.ts";
import type { AuditRecord } from "../../worker/audit/record.ts";
import { insertAuditRecords } from "../../worker/audit/store.ts";
import { openDatabase } from "../../worker/db/client.ts";
import worker from "../../worker/index.ts";
import { admin, sql } from "./gateway.ts";
import { fields, insertChain, uniqueId } from "./audit-support.ts";

interface Mismatch {
  chainId: string;
  seq: number;
  id: string;
  reason: string;
}

interface Verified {
  ok: boolean;
  checked: number;
  firstMismatch?: Mismatch;
  mismatchCount: number;
  mismatches: Mismatch[];
}

const intact = (checked: number): Verified => ({ ok: true, checked, mismatchCount: 0, mismatches: [] });

async function verify(data: Record<string, unknown>): Promise<Verified> {
  const reply = await admin<Verified>(7004, data);
  expect(reply.body.error).toBeUndefined();
  return reply.body.data!;
}

async function pruneBefore(cutoff: string) {
  const handle = openDatabase(env);
  try {
    return await pruneAudit(handle.db, new Date(cutoff));
  } finally {
    await handle.close();
  }
}

async function chainOf(length: number, ts?: (i: number) => string): Promise<{ chainId: string; records: AuditRecord[] }> {
  const chainId = uniqueId("verify");
  const records = await insertChain(chainId, Array.from({ length }, (_, i) => ({ arguments: { i, note: `call ${i}` }, ...(ts ? { ts: ts(i) } : {}) })));
  return { chainId, records };
}

/**
 * Prune tests delete by age across the whole table, so their records are dated in 2001: older than anything
 * another test file writes, and a cutoff in 2001 removes nothing of theirs.
 */
const in2001 = (month: number, day: number) => new Date(Date.UTC(2001, month - 1, day)).toISOString();

describe("VERIFY_AUDIT", () => {
  it("passes intact chains and counts what it checked", async () => {
    const { chainId } = await chainOf(12);
    expect(await verify({ sessionId: chainId })).toEqual(intact(12));
  });

  it("reports an edited record", async () => {
    const { chainId, records } = await chainOf(8);
    await sql("update audit_records set error_message = 'nothing happened' where chain_id = $1 and seq = 4", [chainId]);
    const result = await verify({ sessionId: chainId });
    expect(result.ok).toBe(false);
    expect(result.firstMismatch).toMatchObject({ chainId, seq: 4, id: records[3]!.id });
    expect(result.firstMismatch!.reason).toContain("edited");
    expect(result.mismatches).toEqual([result.firstMismatch]);
    expect(result.mismatchCount).toBe(1);
    // The walk goes on past the break, to the chain's end.
    expect(result.checked).toBe(8);
  });

  it("reports an edit to the arguments, whatever the key order jsonb keeps", async () => {
    const { chainId } = await chainOf(3);
    expect((await verify({ sessionId: chainId })).ok).toBe(true);
    await sql(`update audit_records set arguments = jsonb_set(arguments, '{note}', '"other"') where chain_id = $1 and seq = 2`, [chainId]);
    expect((await verify({ sessionId: chainId })).firstMismatch).toMatchObject({ chainId, seq: 2 });
  });

  it("reports a record deleted from the middle", async () => {
    const { chainId, records } = await chainOf(8);
    await sql("delete from audit_records where chain_id = $1 and seq = 5", [chainId]);
    const result = await verify({ sessionId: chainId });
    expect(result.firstMismatch).toMatchObject({ chainId, seq: 5, id: records[5]!.id });
    expect(result.firstMismatch!.reason).toContain("deleted");
  });

  it("reports records deleted from the start of a chain that has no anchor", async () => {
    const { chainId, records } = await chainOf(5);
    await sql("delete from audit_records where chain_id = $1 and seq <= 2", [chainId]);
    expect((await verify({ sessionId: chainId })).firstMismatch).toMatchObject({ chainId, seq: 2, id: records[2]!.id });
  });

  it("reports a forged prev_hash and reordered records", async () => {
    const forged = await chainOf(5);
    await sql("update audit_records set prev_hash = repeat('0', 64) where chain_id = $1 and seq = 3", [forged.chainId]);
    const forgedResult = await verify({ sessionId: forged.chainId });
    expect(forgedResult.firstMismatch).toMatchObject({ chainId: forged.chainId, seq: 3 });
    expect(forgedResult.firstMismatch!.reason).toContain("prev_hash");

    const swapped = await chainOf(5);
    // Three steps, since (chain_id, seq) is unique at every statement.
    for (const [from, to] of [[2, -2], [3, 2], [-2, 3]]) {
      await sql("update audit_records set seq = $3 where chain_id = $1 and seq = $2", [swapped.chainId, from, to]);
    }
    expect((await verify({ sessionId: swapped.chainId })).firstMismatch).toMatchObject({ chainId: swapped.chainId, seq: 2, id: swapped.records[2]!.id });
  });

  it("verifies a time range against the links just outside it", async () => {
    const base = Date.now() - 600_000;
    const { chainId, records } = await chainOf(10, (i) => new Date(base + i * 1000).toISOString());
    const range = { sessionId: chainId, since: records[3]!.ts, until: records[7]!.ts };
    // seq 4..7 are in range; seq 3 and 8, their neighbours, are checked too.
    expect(await verify(range)).toEqual(intact(6));
    // The record just before the range is what seq 4 links to: deleting it shows up here too.
    await sql("delete from audit_records where chain_id = $1 and seq = 3", [chainId]);
    expect((await verify(range)).firstMismatch).toMatchObject({ chainId, seq: 3, id: records[3]!.id });
    // A range wholly after the damage is still intact.
    expect(await verify({ sessionId: chainId, since: records[5]!.ts })).toEqual(intact(6));
  });

  it("catches a record edited to leave the time range, at either end", async () => {
    const base = Date.now() - 600_000;
    const { chainId, records } = await chainOf(10, (i) => new Date(base + i * 1000).toISOString());
    const range = { sessionId: chainId, since: records[3]!.ts, until: records[7]!.ts };
    await sql("update audit_records set ts = '2001-01-01T00:00:00Z' where chain_id = $1 and seq = 7", [chainId]);
    expect((await verify(range)).firstMismatch).toMatchObject({ chainId, seq: 7, reason: expect.stringContaining("edited") });
    await sql("update audit_records set ts = $2 where chain_id = $1 and seq = 7", [chainId, records[6]!.ts]);
    await sql("update audit_records set ts = '2001-01-01T00:00:00Z' where chain_id = $1 and seq = 4", [chainId]);
    expect((await verify(range)).firstMismatch).toMatchObject({ chainId, seq: 4, reason: expect.stringContaining("edited") });
    await sql("update audit_records set ts = $2 where chain_id = $1 and seq = 4", [chainId, records[3]!.ts]);
    // The record just past the range, deleted: what follows shows the gap.
    await sql("delete from audit_records where chain_id = $1 and seq = 8", [chainId]);
    expect((await verify(range)).firstMismatch).toMatchObject({ chainId, seq: 8, id: records[8]!.id, reason: expect.stringContaining("missing") });
  });

  it("reports every break, so one cannot hide another: an edit, a deletion and a forged link in one chain", async () => {
    const { chainId, records } = await chainOf(12);
    await sql("update audit_records set latency_ms = 999 where chain_id = $1 and seq = 2", [chainId]);
    await sql("delete from audit_records where chain_id = $1 and seq in (6, 7)", [chainId]);
    await sql("update audit_records set prev_hash = repeat('f', 64) where chain_id = $1 and seq = 10", [chainId]);
    const result = await verify({ sessionId: chainId });
    expect(result.ok).toBe(false);
    expect(result.mismatchCount).toBe(3);
    expect(result.mismatches.map((m) => [m.seq, m.id, m.reason.split(":")[0]])).toEqual([
      [2, records[1]!.id, "hash does not match the record's contents"],
      [6, records[7]!.id, "seq 6 to 7 are missing"],
      [10, records[9]!.id, "prev_hash does not match the hash of seq 9"],
    ]);
    expect(result.firstMismatch).toEqual(result.mismatches[0]);
    expect(result.checked).toBe(9);
  });

  it("counts every break and lists the first 20", async () => {
    const { chainId } = await chainOf(30);
    await sql("update audit_records set latency_ms = 999 where chain_id = $1 and seq > 5", [chainId]);
    const result = await verify({ sessionId: chainId });
    expect(result.mismatchCount).toBe(25);
    expect(result.mismatches.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));
  });

  it("reads back arguments sent as a JSON-looking string exactly, so they verify", async () => {
    const looksLikeJson = ['{"a":1}', "123", "null", "true", '"quoted"', "[1,2]", "plain text"];
    const chainId = uniqueId("verify");
    const records = await insertChain(chainId, looksLikeJson.map((text) => ({ name: chainId, arguments: text })));
    expect(await verify({ sessionId: chainId })).toEqual(intact(records.length));
    const stored = await sql<{ kind: string; value: string }>("select jsonb_typeof(arguments) as kind, arguments #>> '{}' as value from audit_records where chain_id = $1 order by seq", [chainId]);
    expect(stored).toEqual(looksLikeJson.map((value) => ({ kind: "string", value })));
    // And what GET_LOGS returns is what was sent.
    const logs = await admin<{ entries: { arguments: unknown }[] }>(7002, { name: chainId });
    expect(logs.body.data!.entries.map((r) => r.arguments).sort()).toEqual([...looksLikeJson].sort());
  });

  it("rejects bad input", async () => {
    for (const data of [{ since: "soon" }, { sessionId: "" }, { extra: true }]) {
      expect((await admin(7004, data)).status, JSON.stringify(data)).toBe(400);
    }
  });
});

/**
 * Two records as the gateway sealed them before audit records had policyVersion and ruleId: the hashes
 * were computed by that code (worker/audit/record.ts before the fields were added) and are kept literally.
 */
function formatOneChain(): AuditRecord[] {
  const base = {
    ...fields(),
    ts: "2020-06-01T12:00:00.000Z", userId: "user-1", role: "user", clientName: "golden", clientVersion: "1", sessionId: "golden-v1", ip: "192.0.2.1",
    serverId: "alpha", name: "alpha__echo", arguments: { text: "hi", n: [1, { b: 2, a: 1 }] }, decision: "deny" as const, decisionReason: 'Refused by rule "r": no',
    policyId: "set-1", latencyMs: 4, responseBytes: 120, chainId: "golden-v1",
  };
  const first = { ...base, id: "01729f6a-0000-7000-8000-000000000001", seq: 1, prevHash: null, hash: "1143ee8b3311a701d5caff8372f2b15debf81a34b80d42037ac090e2bf994aab" };
  const second = {
    ...base, id: "01729f6a-0000-7000-8000-000000000002", seq: 2, prevHash: first.hash, decision: "allow" as const, decisionReason: null, policyId: null, arguments: null,
    hash: "0411641bf947b6500ee4fa0ae1df92827a4111fe34a93549af308957fb7a6bf9",
  };
  return [first, second];
}

describe("chain format: policyVersion and ruleId", () => {
  /** Applies `change` to one record, expects VERIFY_AUDIT to report that record as edited, and undoes it. */
  async function expectDetected(chainId: string, seq: number, change: string, undo: string) {
    await sql(`update audit_records set ${change} where chain_id = $1 and seq = $2`, [chainId, seq]);
    try {
      const result = await verify({ sessionId: chainId });
      expect(result.firstMismatch, change).toMatchObject({ chainId, seq, reason: expect.stringContaining("edited") });
      expect(result.mismatchCount, change).toBe(1);
    } finally {
      await sql(`update audit_records set ${undo} where chain_id = $1 and seq = $2`, [chainId, seq]);
    }
  }

  it("still verifies records sealed before the fields existed, and catches a rule added to one", async () => {
    const records = formatOneChain();
    const handle = openDatabase(env);
    try {
      await insertAuditRecords(handle.db, records);
    } finally {
      await handle.close();
    }
    expect(await sql("select policy_version, rule_id from audit_records where chain_id = 'golden-v1' order by seq")).toEqual([
      { policy_version: null, rule_id: null },
      { policy_version: null, rule_id: null },
    ]);
    expect(await verify({ sessionId: "golden-v1" })).toEqual(intact(2));
    await expectDetected("golden-v1", 1, "rule_id = 'r'", "rule_id = null");
    await expectDetected("golden-v1", 2, "policy_version = 1", "policy_version = null");
    expect(await verify({ sessionId: "golden-v1" })).toEqual(intact(2));
  });

  it("covers the fields on records that carry them: changing, clearing or adding either breaks the hash", async () => {
    const chainId = uniqueId("verify");
    await insertChain(chainId, [
      { decision: "deny", decisionReason: "no", policyId: "set-a", policyVersion: 3, ruleId: "no-etc" },
      // A completion hidden by a rule names the rule without a version.
      { decision: "deny", decisionReason: "hidden", policyId: null, policyVersion: null, ruleId: "hide" },
      { decision: "allow" },
    ]);
    expect(await verify({ sessionId: chainId })).toEqual(intact(3));
    await expectDetected(chainId, 1, "policy_version = 4", "policy_version = 3");
    await expectDetected(chainId, 1, "rule_id = 'other'", "rule_id = 'no-etc'");
    // Back to the old format, as if the record never had them.
    await expectDetected(chainId, 1, "policy_version = null, rule_id = null", "policy_version = 3, rule_id = 'no-etc'");
    await expectDetected(chainId, 2, "rule_id = null", "rule_id = 'hide'");
    await expectDetected(chainId, 2, "policy_version = 1", "policy_version = null");
    await expectDetected(chainId, 3, "rule_id = 'r'", "rule_id = null");
    expect(await verify({ sessionId: chainId })).toEqual(intact(3));
  });
});

describe("retention", () => {
  it("prunes a chain's old records and leaves it verifiable from its anchor", async () => {
    const { chainId, records } = await chainOf(8, (i) => (i < 5 ? in2001(1, i + 1) : in2001(9, i + 1)));
    const result = await pruneBefore(in2001(6, 1));
    expect(result.deleted).toBeGreaterThanOrEqual(5);
    expect(await sql("select seq from audit_records where chain_id = $1 order by seq", [chainId])).toEqual([{ seq: 6 }, { seq: 7 }, { seq: 8 }]);
    expect(await sql("select seq, hash from audit_anchors where chain_id = $1", [chainId])).toEqual([{ seq: 5, hash: records[4]!.hash }]);
    expect(await verify({ sessionId: chainId })).toEqual(intact(3));

    // A second prune with the same cutoff finds nothing more of this chain and leaves the anchor alone.
    await pruneBefore(in2001(6, 1));
    expect(await sql("select seq from audit_anchors where chain_id = $1", [chainId])).toEqual([{ seq: 5 }]);

    // Tampering after a prune is still caught, and so is an anchor that no longer matches.
    await sql("update audit_anchors set hash = repeat('f', 64) where chain_id = $1", [chainId]);
    expect((await verify({ sessionId: chainId })).firstMismatch).toMatchObject({ chainId, seq: 6 });
  });

  it("keeps an old record that follows a newer one, so pruning never leaves a gap", async () => {
    // Concurrent calls are sealed in completion order: seq 3 started before seq 2 but finished after it.
    const { chainId, records } = await chainOf(4, (i) => [in2001(1, 1), in2001(9, 1), in2001(1, 2), in2001(9, 2)][i]!);
    await pruneBefore(in2001(6, 1));
    expect(await sql("select seq from audit_records where chain_id = $1 order by seq", [chainId])).toEqual([{ seq: 2 }, { seq: 3 }, { seq: 4 }]);
    expect(await sql("select seq, hash from audit_anchors where chain_id = $1", [chainId])).toEqual([{ seq: 1, hash: records[0]!.hash }]);
    expect(await verify({ sessionId: chainId })).toEqual(intact(3));
  });

  it("stops pruning at a record that was deleted, so the deletion stays visible", async () => {
    const { chainId } = await chainOf(6, (i) => in2001(1, i + 1));
    await sql("delete from audit_records where chain_id = $1 and seq = 3", [chainId]);
    await pruneBefore(in2001(6, 1));
    expect(await sql("select seq from audit_records where chain_id = $1 order by seq", [chainId])).toEqual([{ seq: 4 }, { seq: 5 }, { seq: 6 }]);
    expect((await verify({ sessionId: chainId })).firstMismatch).toMatchObject({ chainId, seq: 3, reason: expect.stringContaining("missing") });
  });

  it("runs from the cron trigger with AUDIT_RETENTION_DAYS", async () => {
    const { chainId } = await chainOf(3, (i) => in2001(2, i + 1));
    const recent = await chainOf(2);
    // The deployed handler itself, with wrangler.toml's AUDIT_RETENTION_DAYS (90).
    await worker.scheduled(createScheduledController({ cron: "17 3 * * *" }), env);
    expect(await sql("select seq from audit_records where chain_id = $1", [chainId])).toEqual([]);
    expect(await sql("select seq from audit_anchors where chain_id = $1", [chainId])).toEqual([{ seq: 3 }]);
    expect(await verify({ sessionId: recent.chainId })).toEqual(intact(2));
  });

  it("reads the retention setting, with 0 meaning keep everything", () => {
    const now = Date.UTC(2026, 0, 31);
    expect(retentionCutoff("30", now)?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(retentionCutoff(undefined, now)?.getTime()).toBe(now - 90 * 86_400_000);
    expect(retentionCutoff("nonsense", now)?.getTime()).toBe(now - 90 * 86_400_000);
    expect(retentionCutoff("0", now)).toBeNull();
  });
});
