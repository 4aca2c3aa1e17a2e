import { eq } from "drizzle-orm";
import { auditArguments } from "../audit/arguments.ts";
import { type AuditedTransaction, runAudited } from "../audit/mutation.ts";
import type { Principal } from "../auth/principal.ts";
import type { Database } from "../db/client.ts";
import { errorText } from "../db/errors.ts";
import { approvalRequests } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { AppError } from "../http/errors.ts";
import { logEvent } from "../observability/log.ts";
import { connectionRedactor } from "../vault/connection-values.ts";
import type { Redactor } from "../vault/redactor.ts";
import { assertArgumentsMatchSchema } from "./edited-arguments.ts";
import { argumentsHash } from "./hash.ts";
import { pokeHolder } from "./holder.ts";
import { publishApproval } from "./notify.ts";
import { type ApprovalRow, approvalView, effectiveStatus, getApprovalRow, mayDecide, requireApproval } from "./store.ts";
import type { ApprovalChannel, ApprovalView, DecideApprovalInput } from "./types.ts";

export interface Decider {
  principal: Principal;
  channel: ApprovalChannel;
  ip?: string | null;
}

/**
 * Approves (optionally with edited arguments) or rejects a pending request, once: a second decision,
 * or one after the expiry, is a 409. The decision and its admin-chain record commit together, whatever
 * the channel; then the session holding the call is told, and runs or answers it.
 */
export async function decideApproval(
  env: AppEnv,
  db: Database,
  input: DecideApprovalInput,
  decider: Decider,
  /** The admin dispatcher's own audited transaction (9203); other channels get one named after them. */
  audited?: AuditedTransaction,
): Promise<ApprovalView> {
  const seen = await requireApproval(db, input.approvalId, decider.principal);
  const edited = input.arguments;
  const redactor = await connectionRedactor(env, db, seen.serverId, seen.userId);
  const mutation = {
    method: `${decider.channel}/DECIDE_APPROVAL`,
    name: "DECIDE_APPROVAL",
    serverId: seen.serverId,
    principal: decider.principal,
    ip: decider.ip ?? null,
    arguments: auditArguments({ ...input, channel: decider.channel }, redactor),
  };
  const transaction: AuditedTransaction = audited ?? ((work) => runAudited(db, mutation, work));
  const row = await transaction(async (tx) => {
    const [locked] = await tx.select().from(approvalRequests).where(eq(approvalRequests.id, input.approvalId)).for("update");
    const current = locked!;
    if (!mayDecide(decider.principal, current)) {
      throw new AppError("FORBIDDEN", `You may not decide approval "${current.id}": its approvers are ${current.approvers.join(", ")} (owners and admins may always decide)`);
    }
    const status = effectiveStatus(current);
    if (status !== "pending") {
      throw new AppError("CONFLICT", status === "expired" ? `Approval "${current.id}" expired at ${current.expiresAt.toISOString()}; an expired request counts as rejected` : `Approval "${current.id}" is already ${status}`);
    }
    if (edited !== undefined && input.decision !== "approve") throw new AppError("VALIDATION_FAILED", "Invalid input: data.arguments: only an approval can carry edited arguments");
    if (edited !== undefined) {
      assertArgumentsMatchSchema(edited, current.inputSchema ?? null);
      assertNothingInjected(edited, redactor);
    }
    const [updated] = await tx
      .update(approvalRequests)
      .set({
        status: input.decision === "approve" ? "approved" : "rejected",
        decidedBy: decider.principal.userId ?? "owner",
        decidedAt: new Date(),
        decisionChannel: decider.channel,
        decisionReason: input.reason ?? null,
        ...(edited !== undefined ? { editedArguments: edited, editedArgumentsHash: await argumentsHash(edited) } : {}),
      })
      .where(eq(approvalRequests.id, current.id))
      .returning();
    return updated!;
  });
  await tellSessionAndDesks(env, db, row);
  return approvalView(row);
}

/**
 * What the admin chain keeps of a decision made through 9203: scrubbed of the values the request's server
 * injects for its requester (edited arguments, a reason), as every other channel's record is.
 */
export async function decisionAuditInput(env: AppEnv, db: Database, input: DecideApprovalInput): Promise<unknown> {
  const row = await getApprovalRow(db, input.approvalId);
  return row ? (await connectionRedactor(env, db, row.serverId, row.userId)).scrub(input) : input;
}

/**
 * Edited arguments are kept exactly (the session runs them, even after an eviction), so they may not
 * carry a value the vault injects: nothing injected is stored in plain text.
 */
function assertNothingInjected(edited: Record<string, unknown>, redactor: Redactor): void {
  const labels = [...JSON.stringify(redactor.scrub(edited)).matchAll(/\[REDACTED:([^\]]+)\]/g)].map((match) => match[1]);
  if (labels.length === 0) return;
  throw new AppError(
    "VALIDATION_FAILED",
    `Invalid input: data.arguments contain the value of ${[...new Set(labels)].join(", ")}, which the server's connection injects; edited arguments are stored, and nothing injected is stored in plain text, so leave it out`,
  );
}

/** The call's holder (a session, or a stateless request's bridge) runs or answers it; then every desk that saw the request hears the decision. */
async function tellSessionAndDesks(env: AppEnv, db: Database, row: ApprovalRow): Promise<void> {
  if (row.sessionId) {
    await pokeHolder(env, row.sessionId, row.id).catch((error: unknown) => logEvent("approval.session_push_failed", { approvalId: row.id, sessionId: row.sessionId, error: errorText(error) }, "warn"));
  }
  await publishApproval(env, db, "approval.decided", row);
}
