import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../worker/audit/record.ts";
import { admin, request } from "./gateway.ts";
import { insertChain, uniqueId } from "./audit-support.ts";

interface Page {
  entries: AuditRecord[];
  nextCursor: string | null;
}

const COUNT = 25;

/** workerd warns when .text() reads a content type it does not know as text; NDJSON is UTF-8 text. */
async function ndjsonText(response: Response): Promise<string> {
  return new TextDecoder().decode(await response.arrayBuffer());
}
/** Recent but fixed timestamps, a minute apart: well inside retention, so no prune test removes them. */
const BASE = Date.now() - 3_600_000;
const tsOf = (i: number) => new Date(BASE + i * 60_000).toISOString();

describe("GET_LOGS and EXPORT_LOGS", () => {
  const serverId = uniqueId("logs");
  const alice = uniqueId("alice");
  const bob = uniqueId("bob");
  const policyId = uniqueId("set");
  let records: AuditRecord[];

  beforeAll(async () => {
    // Record i: alice on even i, bob on odd; every fifth denied by a rule (of version 1 or 2, "even" or "odd" by i);
    // every third failed; names cycle over three tools.
    records = await insertChain(
      uniqueId("session"),
      Array.from({ length: COUNT }, (_, i) => ({
        ts: tsOf(i),
        serverId,
        userId: i % 2 === 0 ? alice : bob,
        name: ["search", "fetch", "write"][i % 3]!,
        decision: i % 5 === 0 ? ("deny" as const) : ("allow" as const),
        decisionReason: i % 5 === 0 ? "policy" : null,
        ...(i % 5 === 0 ? { policyId, policyVersion: 1 + (i % 2), ruleId: i % 2 === 0 ? "even" : "odd" } : {}),
        outcome: i % 3 === 0 ? ("error" as const) : ("ok" as const),
        errorCode: i % 3 === 0 ? -32603 : null,
        errorMessage: i % 3 === 0 ? "downstream failed" : null,
      })),
    );
  });

  async function logs(data: Record<string, unknown>): Promise<Page> {
    const reply = await admin<Page>(7002, { serverId, limit: 1000, ...data });
    expect(reply.body.error).toBeUndefined();
    return reply.body.data!;
  }

  const idsWhere = (keep: (r: AuditRecord, i: number) => boolean) =>
    records.filter(keep).map((r) => r.id).reverse();

  it("returns records newest first, as they were sealed", async () => {
    const page = await logs({});
    expect(page.entries.map((e) => e.id)).toEqual(idsWhere(() => true));
    expect(page.nextCursor).toBeNull();
    expect(page.entries.at(-1)).toEqual(records[0]);
  });

  it("filters by user, server, name, decision and outcome", async () => {
    expect((await logs({ userId: alice })).entries.map((e) => e.id)).toEqual(idsWhere((r) => r.userId === alice));
    expect((await logs({ userId: bob, serverId: undefined })).entries.map((e) => e.id)).toEqual(idsWhere((r) => r.userId === bob));
    expect((await logs({ name: "fetch" })).entries.map((e) => e.id)).toEqual(idsWhere((r) => r.name === "fetch"));
    expect((await logs({ decision: "deny" })).entries.map((e) => e.id)).toEqual(idsWhere((r) => r.decision === "deny"));
    expect((await logs({ outcome: "error" })).entries.map((e) => e.id)).toEqual(idsWhere((r) => r.outcome === "error"));
    expect((await logs({ outcome: "ok", userId: alice, name: "write" })).entries.map((e) => e.id)).toEqual(
      idsWhere((r) => r.outcome === "ok" && r.userId === alice && r.name === "write"),
    );
    expect((await logs({ serverId: uniqueId("nobody") })).entries).toEqual([]);
  });

  it("filters by policy set and rule, and returns the deciding rule's version", async () => {
    const byPolicy = (await logs({ policyId })).entries;
    expect(byPolicy).toEqual(records.filter((r) => r.policyId === policyId).reverse());
    expect(byPolicy.map((e) => [e.policyVersion, e.ruleId])).toContainEqual([1, "even"]);
    expect(byPolicy.map((e) => [e.policyVersion, e.ruleId])).toContainEqual([2, "odd"]);
    expect((await logs({ ruleId: "odd" })).entries.map((e) => e.id)).toEqual(idsWhere((r) => r.ruleId === "odd"));
    expect((await logs({ ruleId: "even", policyId, decision: "deny" })).entries.map((e) => e.id)).toEqual(idsWhere((r) => r.ruleId === "even"));
    expect((await logs({ ruleId: "even", policyId: uniqueId("other") })).entries).toEqual([]);
  });

  it("filters by time: since inclusive, until exclusive", async () => {
    const page = await logs({ since: tsOf(5), until: tsOf(10) });
    expect(page.entries.map((e) => e.id)).toEqual(idsWhere((_, i) => i >= 5 && i < 10));
  });

  it("pages with a cursor, without duplicates or gaps", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await logs({ limit: 7, ...(cursor ? { cursor } : {}) });
      expect(page.entries.length).toBeLessThanOrEqual(7);
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual(idsWhere(() => true));
  });

  it("caps limit at 1000 and rejects a bad cursor or filter", async () => {
    expect((await admin(7002, { limit: 1000 })).status).toBe(200);
    for (const data of [{ limit: 1001 }, { limit: 0 }, { cursor: "not-a-cursor" }, { decision: "maybe" }, { ruleId: "" }, { since: "yesterday" }, { surprise: 1 }]) {
      const reply = await admin(7002, data);
      expect(reply.status, JSON.stringify(data)).toBe(400);
      expect(reply.body.error?.code).toBe(40002);
    }
    const defaulted = await admin<Page>(7002, {});
    expect(defaulted.body.data!.entries.length).toBeLessThanOrEqual(100);
  });

  it("exports a time range as NDJSON, oldest first", async () => {
    const response = await request("/admin", {
      method: "POST",
      headers: { authorization: `Bearer ${env.OWNER_KEY}` },
      body: JSON.stringify({ action: 7003, data: { since: tsOf(3), until: tsOf(20), serverId } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const text = await ndjsonText(response);
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.trimEnd().split("\n").map((line) => JSON.parse(line) as AuditRecord);
    expect(lines).toEqual(records.slice(3, 20));
  });

  it("exports more than one internal page, and filters like GET_LOGS", async () => {
    const chainId = uniqueId("bulk");
    const bulkServer = uniqueId("bulk");
    const start = Date.now() - 1_800_000;
    const bulk = await insertChain(chainId, Array.from({ length: 1203 }, (_, i) => ({ ts: new Date(start + i).toISOString(), serverId: bulkServer })));
    const response = await request("/admin", {
      method: "POST",
      headers: { authorization: `Bearer ${env.OWNER_KEY}` },
      body: JSON.stringify({ action: 7003, data: { since: new Date(start).toISOString(), until: new Date().toISOString(), serverId: bulkServer } }),
    });
    const ids = (await ndjsonText(response)).trimEnd().split("\n").map((line) => (JSON.parse(line) as AuditRecord).id);
    expect(ids).toEqual(bulk.map((r) => r.id));
  });

  it("answers a bad export request with the JSON envelope", async () => {
    const reply = await admin(7003, { since: tsOf(0) });
    expect(reply.status).toBe(400);
    expect(reply.body.error?.message).toContain("data.until");
  });
});
