import { z } from "zod";
import { approvalView } from "../approvals/types.ts";

/**
 * The Desk channel's messages, version 1: every message the server sends over `/desk` is JSON with a
 * `type`. Scripts and the page rely on these names; extend them, never rename them.
 */
export const DESK_PROTOCOL_VERSION = 1;

export const approvalRequested = z.object({
  type: z.literal("approval.requested").describe("A call waits for a decision this user may make"),
  approval: approvalView.describe("The request, arguments redacted"),
});

export const approvalDecided = z.object({
  type: z.literal("approval.decided").describe("Someone approved or rejected a request this user can see"),
  approval: approvalView.describe("The request after the decision"),
});

export const approvalExpired = z.object({
  type: z.literal("approval.expired").describe("Nobody decided in time: the call was answered as rejected"),
  approval: approvalView.describe("The expired request"),
});

export const approvalExecuted = z.object({
  type: z.literal("approval.executed").describe("An approved call ran; resultOutcome says how it ended"),
  approval: approvalView.describe("The request after its execution"),
});

export const deskServerMessage = z.discriminatedUnion("type", [approvalRequested, approvalDecided, approvalExpired, approvalExecuted]);
export type DeskServerMessage = z.infer<typeof deskServerMessage>;
