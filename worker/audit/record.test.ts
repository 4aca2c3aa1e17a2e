import { describe, expect, it } from "vitest";
import { type AuditFields, auditHash, sealAuditRecord } from "./record.ts";

const fields: AuditFields = {
  ts: "2026-12-01T00:00:00.000Z", userId: "u1", role: "user", clientName: "c", clientVersion: "1", sessionId: "s", ip: "203.0.113.9",
  serverId: "alpha", method: "tools/call", name: "alpha__echo", arguments: { text: "hi" }, decision: "deny", decisionReason: "no",
  policyId: "set-1", policyVersion: null, ruleId: null, approvalId: null, outcome: "ok", errorCode: null, errorMessage: null, latencyMs: 1, responseBytes: 2,
};
const chain = { chainId: "s", seq: 1, prevHash: null };

describe("the chain format of policyVersion and ruleId", () => {
  it("hashes a record sealed before the fields existed (absent from the outbox's JSON) like one with both null", async () => {
    const sealed = await sealAuditRecord(fields, chain);
    const { policyVersion: _version, ruleId: _rule, hash: _hash, ...older } = sealed;
    expect(await auditHash(older as typeof sealed)).toBe(sealed.hash);
  });

  it("hashes either field once set, and keeps the two apart", async () => {
    const sealed = await sealAuditRecord(fields, chain);
    const withVersion = await auditHash({ ...sealed, policyVersion: 7 });
    const withRule = await auditHash({ ...sealed, ruleId: "7" });
    const withBoth = await auditHash({ ...sealed, policyVersion: 7, ruleId: "7" });
    expect(new Set([sealed.hash, withVersion, withRule, withBoth]).size).toBe(4);
    const full = await sealAuditRecord({ ...fields, policyVersion: 7, ruleId: "7" }, chain);
    expect(await auditHash(full)).toBe(full.hash);
    expect(await auditHash({ ...full, policyVersion: 8 })).not.toBe(full.hash);
  });
});
