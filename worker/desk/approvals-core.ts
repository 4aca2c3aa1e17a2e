// Stand-in for the lead's approvals core (worker/approvals/decide.ts and store.ts), with their agreed
// signatures, until that commit is merged; this file goes at the merge and the imports point there.
import type { Principal } from "../auth/principal.ts";
import type { Database } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import { AppError } from "../http/errors.ts";
import type { ApprovalChannel, ApprovalView, DecideApprovalInput, ListApprovalsInput } from "../approvals/types.ts";

export async function decideApproval(_env: AppEnv, _db: Database, input: DecideApprovalInput, _decider: { principal: Principal; channel: ApprovalChannel }): Promise<ApprovalView> {
  throw new AppError("NOT_FOUND", `No approval request ${input.approvalId}`);
}

export async function listApprovals(_db: Database, _filter: ListApprovalsInput, _viewer: Principal): Promise<ApprovalView[]> {
  return [];
}
