// Shared by the approval tests: the request a held call created, found the way an approver would.
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
