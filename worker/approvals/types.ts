import { z } from "zod";

/** pending → approved | rejected | expired; approved → executing → executed | failed. */
export const APPROVAL_STATUSES = ["pending", "approved", "rejected", "expired", "executing", "executed", "failed"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** Where a decision was made: the Desk WebSocket, the /desk web page, or the admin API (9203). */
export const APPROVAL_CHANNELS = ["desk", "web", "admin", "system"] as const;
export type ApprovalChannel = (typeof APPROVAL_CHANNELS)[number];

/** One approval request as every reader sees it (9201/9202, Desk messages, the page): arguments redacted. */
export const approvalView = z.object({
  approvalId: z.string().describe("The approval request's id (UUID)"),
  status: z.enum(APPROVAL_STATUSES).describe("pending → approved | rejected | expired; approved → executing → executed | failed"),
  userId: z.string().nullable().describe("The user whose call waits (null: the owner key)"),
  sessionId: z.string().nullable().describe("The MCP session the call waits in"),
  serverId: z.string().describe("The downstream server the call goes to"),
  tool: z.string().describe("The tool's name on its server"),
  clientName: z.string().nullable().describe("clientInfo.name of the calling MCP client"),
  arguments: z.unknown().describe("The call's arguments, with vault values masked"),
  argumentsHash: z.string().describe("SHA-256 (hex) of the exact arguments, canonical JSON"),
  reason: z.string().describe("Why the call needs approval (the rule's reason, or the danger level)"),
  policyId: z.string().nullable().describe("The policy set whose rule asked for approval (null: the danger level)"),
  policyVersion: z.number().int().nullable().describe("That policy set's version"),
  ruleId: z.string().nullable().describe("The rule that asked for approval"),
  approvers: z.array(z.string()).describe('Who may decide besides owners and admins: "self", roles, or user ids'),
  createdAt: z.string().describe("ISO time the call was held"),
  expiresAt: z.string().describe("ISO time after which the request is expired (rejected)"),
  decidedBy: z.string().nullable().describe("Who decided: a user id, or \"owner\" for the owner key"),
  decidedAt: z.string().nullable().describe("ISO time of the decision"),
  decisionChannel: z.enum(APPROVAL_CHANNELS).nullable().describe("Where the decision was made"),
  decisionReason: z.string().nullable().describe("The decider's reason (required for nothing, shown to the model on rejection)"),
  editedArguments: z.unknown().nullable().describe("Approved with these arguments instead (vault values masked), or null"),
  editedArgumentsHash: z.string().nullable().describe("SHA-256 (hex) of the edited arguments, canonical JSON"),
  resultOutcome: z.enum(["ok", "error"]).nullable().describe("How the executed call ended"),
});
export type ApprovalView = z.infer<typeof approvalView>;

export const decideApprovalInput = z.object({
  approvalId: z.string().uuid().describe("The approval request to decide"),
  decision: z.enum(["approve", "reject"]).describe("approve runs the call; reject answers it with the reason"),
  reason: z.string().max(2000).optional().describe("Why; shown to the model on a rejection and kept in the audit"),
  arguments: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("Approve with these arguments instead of the requested ones (validated against the tool's inputSchema)"),
});
export type DecideApprovalInput = z.infer<typeof decideApprovalInput>;

export const listApprovalsInput = z.object({
  status: z.enum(APPROVAL_STATUSES).optional().describe("Only requests with this status"),
  userId: z.string().optional().describe("Only requests of this user"),
  serverId: z.string().optional().describe("Only requests to this server"),
  limit: z.number().int().min(1).max(500).default(100).describe("At most this many, newest first"),
});
export type ListApprovalsInput = z.infer<typeof listApprovalsInput>;
