import { describe, expect, it } from "vitest";
import type { AuditFields } from "../audit/record.ts";
import { analyticsPoint } from "./analytics.ts";

function base(): AuditFields {
  return {
    ts: "2026-11-25T00:00:00.000Z",
    userId: "u1",
    role: "user",
    clientName: "c",
    clientVersion: "1",
    sessionId: "s",
    ip: "203.0.113.9",
    serverId: "github",
    method: "tools/call",
    name: "create_issue",
    arguments: { token: "sekret" },
    decision: "allow",
    decisionReason: null,
    policyId: null,
    policyVersion: null,
    ruleId: null,
    approvalId: null,
    outcome: "error",
    errorCode: -32003,
    errorMessage: "boom",
    latencyMs: 12,
    responseBytes: 300,
  };
}

describe("analytics data points", () => {
  it("carry the call's identity, outcome and cost, and nothing from its arguments", () => {
    const point = analyticsPoint(base());
    expect(point).toEqual({
      indexes: ["github"],
      blobs: ["tools/call", "github", "create_issue", "error", "allow", "u1"],
      doubles: [12, 300, -32003],
    });
    expect(JSON.stringify(point)).not.toContain("sekret");
  });

  it("keeps a client's long name short enough for a data point", () => {
    const point = analyticsPoint({ ...base(), name: "x".repeat(20_000) });
    expect(point.blobs?.[2]).toHaveLength(256);
  });
});
