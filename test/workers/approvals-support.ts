// Shared by the approval tests: the request a held call created, found the way an approver would.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { expect } from "vitest";
import type { ApprovalView } from "../../worker/approvals/types.ts";
import { admin } from "./gateway.ts";

/** The newest pending request for this server, once the held call has created it. */
export async function pendingFor(serverId: string): Promise<ApprovalView> {
  let found: ApprovalView | undefined;
  await expect
    .poll(async () => {
      const reply = await admin<{ approvals: ApprovalView[] }>(9201, { serverId, status: "pending" });
      found = reply.body.data?.approvals[0];
      return found !== undefined;
    }, { timeout: 10_000, interval: 100 })
    .toBe(true);
  return found!;
}

/** A call that waits as long as the test needs: the gateway's progress resets the SDK's request timeout. */
export function heldCall(client: Client, name: string, args: Record<string, unknown>) {
  return client.callTool({ name, arguments: args }, undefined, { timeout: 20_000, resetTimeoutOnProgress: true, onprogress: () => {} });
}
