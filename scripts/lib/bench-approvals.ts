// The approval row of `npm run bench`: how long from a decision (DECIDE_APPROVAL sent) to the held
// call's result reaching the client, over a real session with the call waiting on its SSE stream.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { BenchContext } from "./bench-scenarios.ts";

export interface ApprovalLatency {
  samplesMs: number[];
  p50Ms: number;
  p99Ms: number;
  /** Of each sample, the DECIDE_APPROVAL reply alone (the decision committed and pushed to the session). */
  decideP50Ms: number;
}

const HELD_PREFIX = "approval-bench";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** A policy set holding only this measurement's calls (their text says so), removed again afterwards. */
export async function measureApprovalLatency(context: BenchContext, samples: number): Promise<ApprovalLatency> {
  const { admin, serverId, origin, ownerKey } = context.gateway;
  const created = (await admin(9101, {
    name: `${HELD_PREFIX}-${serverId}`,
    serverId,
    rules: [{ id: "held", match: { tool: "echo" }, when: `args.text.startsWith("${HELD_PREFIX}")`, effect: "require_approval", reason: "bench" }],
  })) as { policySetId: string };
  const transport = new StreamableHTTPClientTransport(new URL("/mcp", origin), { requestInit: { headers: { authorization: `Bearer ${ownerKey}` } } });
  const client = new Client({ name: "peta-bench-approvals", version: "1.0.0" });
  const samplesMs: number[] = [];
  const decideMs: number[] = [];
  try {
    await client.connect(transport, { timeout: context.callTimeoutMs });
    for (let sample = 0; sample < samples; sample++) {
      // A new text each time: a repeat of an executed call would get the stored result at once.
      const text = `${HELD_PREFIX} ${sample} ${Date.now()}`;
      const call = client.callTool({ name: `${serverId}__echo`, arguments: { text } }, undefined, { timeout: context.callTimeoutMs });
      const approvalId = await pendingApproval(context, text);
      const started = performance.now();
      await admin(9203, { approvalId, decision: "approve" });
      decideMs.push(performance.now() - started);
      const result = await call;
      samplesMs.push(performance.now() - started);
      if (result.isError) throw new Error(`the approved call failed: ${JSON.stringify(result).slice(0, 200)}`);
    }
  } finally {
    await transport.terminateSession().catch(() => {});
    await client.close();
    await admin(9104, { policySetId: created.policySetId });
  }
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { samplesMs, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), decideP50Ms: percentile([...decideMs].sort((a, b) => a - b), 50) };
}

async function pendingApproval(context: BenchContext, text: string): Promise<string> {
  const deadline = Date.now() + context.callTimeoutMs;
  while (Date.now() < deadline) {
    const { approvals } = (await context.gateway.admin(9201, { serverId: context.gateway.serverId, status: "pending", limit: 5 })) as {
      approvals: { approvalId: string; arguments: { text?: string } }[];
    };
    const found = approvals.find((approval) => approval.arguments.text === text);
    if (found) return found.approvalId;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("the held call's approval request never appeared");
}
