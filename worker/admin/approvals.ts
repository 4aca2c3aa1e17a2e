import { z } from "zod";
import { decideApproval, decisionAuditInput } from "../approvals/decide.ts";
import { approvalView, countPendingApprovals, listApprovals, requireApproval } from "../approvals/store.ts";
import { decideApprovalInput, listApprovalsInput } from "../approvals/types.ts";
import { defineAction } from "./action.ts";

const view = "`{approvalId, status, userId, sessionId, serverId, tool, clientName, arguments, argumentsHash, reason, policyId, policyVersion, ruleId, approvers, createdAt, expiresAt, decidedBy, decidedAt, decisionChannel, decisionReason, editedArguments, editedArgumentsHash, resultOutcome}`";

/** Human approvals of held tool calls (docs/architecture.md, "Approvals"). */
export const approvalActions = [
  defineAction({
    code: 9201,
    name: "LIST_APPROVALS",
    summary: "Approval requests, newest first, with arguments masked; a pending request past its expiry is listed as expired.",
    returns: `\`{approvals: [${view}]}\``,
    input: listApprovalsInput.strict(),
    async run({ db, principal }, data) {
      return { approvals: await listApprovals(db, data, principal) };
    },
  }),
  defineAction({
    code: 9202,
    name: "GET_APPROVAL",
    summary: "One approval request.",
    returns: view,
    input: z.strictObject({ approvalId: z.uuid().describe("The approval request's id") }),
    async run({ db, principal }, data) {
      return approvalView(await requireApproval(db, data.approvalId, principal));
    },
  }),
  defineAction({
    code: 9203,
    name: "DECIDE_APPROVAL",
    summary:
      "Approves (with `arguments`: approves with these edited arguments, checked against the tool's inputSchema) or rejects a pending request; the waiting call then runs or is answered. A second decision, or one after the expiry, is a 409.",
    returns: view,
    input: decideApprovalInput.strict(),
    auditInput: (data, { env, db }) => decisionAuditInput(env, db, data),
    // Committed through the action's own audited transaction, so the decision and its record are one.
    mutates: "in-batches",
    async run({ env, db, principal, ip, auditedTransaction }, data) {
      return decideApproval(env, db, data, { principal, channel: "admin", ip }, auditedTransaction);
    },
  }),
  defineAction({
    code: 9204,
    name: "COUNT_PENDING_APPROVALS",
    summary: "How many requests wait for a decision (not expired).",
    returns: "`{count}`",
    input: z.strictObject({}),
    async run({ db, principal }) {
      return { count: await countPendingApprovals(db, principal) };
    },
  }),
];
