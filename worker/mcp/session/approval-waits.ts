import { auditArguments } from "../../audit/arguments.ts";
import { argumentsHash } from "../../approvals/hash.ts";
import { publishApproval } from "../../approvals/notify.ts";
import {
  type ApprovalRow,
  claimExecution,
  effectiveStatus,
  expireApproval,
  findRepeat,
  getApprovalRow,
  insertApproval,
  moveToSession,
  recordExecution,
} from "../../approvals/store.ts";
import type { Database } from "../../db/client.ts";
import { errorText } from "../../db/errors.ts";
import type { AppEnv } from "../../env.ts";
import { logEvent } from "../../observability/log.ts";
import type { Decision } from "../core/decide.ts";
import type { CallNeedingApproval } from "../core/hold.ts";
import { toolError } from "../core/present.ts";
import { withArguments } from "../core/resolve.ts";
import type { RequestId } from "../protocol.ts";

/** Which in-flight request waits for which approval, where it must outlive the object (a session's SQLite). */
export interface WaitLedger {
  heldApproval(requestId: RequestId): string | null;
  hold(requestId: RequestId, approvalId: string, expiresAt: number): void;
  release(requestId: RequestId): void;
}

/**
 * A stateless request's wait is not resumed after an eviction (its HTTP response went with the object):
 * its client repeats the call, and the repeat finds the request by its arguments.
 */
export const NO_LEDGER: WaitLedger = { heldApproval: () => null, hold: () => {}, release: () => {} };

export interface ApprovalWaitsDeps {
  env: AppEnv;
  store: WaitLedger;
  db(): Database;
  /** Who holds the calls, as `approval_requests.session_id` names it: a session id, or `bridge:<name>` (holderStub). */
  sessionId: string;
  defaultTtlMs: number;
  progressEveryMs: number;
  /** The holder's Durable Object wakes at this time (its alarm), so an expiry is answered even after an eviction. */
  wakeAt(at: number): Promise<void>;
}

/** With no approvers named (a danger-level approval), the user behind the agent confirms, as on Peta Desk. */
const DEFAULT_APPROVERS = ["self"];

/** Whether two approver lists let the same people decide. */
function sameApprovers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((approver) => b.includes(approver));
}

/** Who the audit and the model are told decided, in one phrase. */
function decidedBy(row: ApprovalRow): string {
  return `${row.decidedBy === "owner" ? "the owner" : `user ${row.decidedBy}`}${row.decisionChannel ? ` (${row.decisionChannel})` : ""}`;
}

/**
 * Tool calls of one session that wait for a human's decision. Postgres (`approval_requests`) is the
 * truth of each decision; SQLite keeps which request waits for which approval, so the wait survives an
 * eviction; memory keeps only the wake-ups. A decision (pushed by `poke`), the expiry (the object's
 * alarm) or a progress tick wakes a waiting call, which then reads its request's status again.
 */
export class ApprovalWaits {
  readonly #deps: ApprovalWaitsDeps;
  readonly #wakers = new Map<string, Set<() => void>>();
  /** Requests this instance is running now: one found `executing` but not here was cut short by an eviction. */
  readonly #executing = new Set<string>();

  constructor(deps: ApprovalWaitsDeps) {
    this.#deps = deps;
  }

  /** A decision was made (or the object's alarm fired): every call waiting for it looks again. */
  poke(approvalId?: string): void {
    const wakers = approvalId === undefined ? [...this.#wakers.values()] : [this.#wakers.get(approvalId) ?? new Set()];
    for (const set of wakers) for (const wake of set) wake();
  }

  async hold(call: CallNeedingApproval): Promise<Record<string, unknown>> {
    const { store } = this.#deps;
    const requestId = call.run.requestId;
    // Released whenever the call is answered, failed included (a request that could not be stored, say),
    // so no note of a wait outlives it; only an eviction, which runs no code, leaves it to be resumed.
    try {
      const found = await this.#approvalFor(call);
      let row = found.row;
      call.run.approvalId = row.id;
      store.hold(requestId, row.id, row.expiresAt.getTime());
      await this.#deps.wakeAt(row.expiresAt.getTime());
      if (found.created) await this.#publish("approval.requested", row);
      for (let tick = 1; ; tick++) {
        const answer = await this.#settle(call, row);
        if (answer) return answer;
        await this.#wait(row, call);
        if (call.run.signal.aborted) throw call.run.signal.reason instanceof Error ? call.run.signal.reason : new Error(String(call.run.signal.reason));
        if (Date.now() < row.expiresAt.getTime()) this.#progress(call, row, tick);
        // Most wake-ups are a pushed approval: claiming at once saves reading the row first.
        const claimed = await claimExecution(this.#deps.db(), row.id).catch(() => null);
        if (claimed) return await this.#run(call, claimed);
        row = (await this.#read(row.id)) ?? row;
      }
    } finally {
      store.release(requestId);
    }
  }

  /** The request this call waits for: its own (after an eviction), a repeat's, or a new one. */
  async #approvalFor(call: CallNeedingApproval): Promise<{ row: ApprovalRow; created: boolean }> {
    const db = this.#deps.db();
    const { store } = this.#deps;
    const heldBefore = store.heldApproval(call.run.requestId);
    const own = heldBefore ? await getApprovalRow(db, heldBefore) : null;
    if (own) return { row: own, created: false };
    const { context, target, decision } = call;
    const hash = await argumentsHash(target.arguments);
    const repeat = await findRepeat(db, { userId: context.principal.userId, serverId: target.serverId, tool: target.name, argumentsHash: hash });
    if (repeat) {
      if (repeat.sessionId !== this.#deps.sessionId && repeat.status !== "executed") await moveToSession(db, repeat.id, this.#deps.sessionId);
      return { row: repeat, created: false };
    }
    const ttlMs = decision.ttlSeconds !== undefined ? decision.ttlSeconds * 1000 : this.#deps.defaultTtlMs;
    const id = crypto.randomUUID();
    const expiresAt = new Date(Date.now() + ttlMs);
    // Noted before the request exists, so an eviction at any later point resumes this wait, not a new one.
    store.hold(call.run.requestId, id, expiresAt.getTime());
    const row = await insertApproval(db, {
      id,
      userId: context.principal.userId,
      sessionId: this.#deps.sessionId,
      serverId: target.serverId,
      tool: target.name,
      clientName: context.client.name ?? null,
      arguments: auditArguments(target.arguments ?? {}, await call.redactor()),
      argumentsHash: hash,
      inputSchema: (target.item?.inputSchema as Record<string, unknown> | undefined) ?? null,
      reason: decision.reason,
      policyId: decision.policyId,
      policyVersion: decision.policyVersion ?? null,
      ruleId: decision.ruleId ?? null,
      approvers: decision.approvers ?? DEFAULT_APPROVERS,
      ttlSeconds: Math.ceil(ttlMs / 1000),
      expiresAt,
    });
    logEvent("approval.requested", { approvalId: row.id, sessionId: this.#deps.sessionId, serverId: row.serverId, tool: row.tool });
    return { row, created: true };
  }

  /** The call's answer once its request is settled, or null while it still waits. */
  async #settle(call: CallNeedingApproval, row: ApprovalRow): Promise<Record<string, unknown> | null> {
    const status = effectiveStatus(row);
    switch (status) {
      case "pending":
        return null;
      case "expired": {
        const expired = row.status === "pending" ? await expireApproval(this.#deps.db(), row.id) : row;
        if (!expired) return null; // decided at the last moment: read again
        if (row.status === "pending") await this.#publish("approval.expired", expired);
        this.#refused(call, `approval ${row.id} expired without a decision`);
        return toolError(`Approval ${row.id} expired: nobody decided within ${row.ttlSeconds} s, so the call was not run (${row.reason}). Ask the user before trying again.`);
      }
      case "rejected": {
        const why = row.decisionReason ? `: ${row.decisionReason}` : "";
        this.#refused(call, `rejected by ${decidedBy(row)}${why}`);
        return toolError(`Rejected by ${decidedBy(row)}${why}. The call was not run.`);
      }
      case "approved":
        return this.#execute(call, row);
      case "executing":
        // Running in this instance, or in another session that repeated the call: wait for its result.
        if (this.#executing.has(row.id) || row.sessionId !== this.#deps.sessionId) return null;
        // This session claimed it and then lost its memory: whether the tool ran cannot be known.
        return this.#finish(row, toolError(`Approval ${row.id}: the session restarted while the call ran; it may or may not have completed. Check before retrying.`), "error");
      case "executed":
      case "failed":
        this.#approved(call, row);
        return (row.result as Record<string, unknown> | null) ?? toolError(`Approval ${row.id}: the call failed`);
    }
  }

  async #execute(call: CallNeedingApproval, row: ApprovalRow): Promise<Record<string, unknown> | null> {
    const claimed = await claimExecution(this.#deps.db(), row.id);
    if (!claimed) return null; // another session got there first; its result is read when it is stored
    return this.#run(call, claimed);
  }

  /** Runs a call whose request this instance has just moved to executing. */
  async #run(call: CallNeedingApproval, claimed: ApprovalRow): Promise<Record<string, unknown>> {
    const edit = await this.#decideEdit(call, claimed);
    if (edit.answer) return edit.answer;
    this.#executing.add(claimed.id);
    this.#approved(call, claimed, edit.decision);
    try {
      const result = await call.execute(claimed.editedArguments ?? call.target.arguments);
      return await this.#finish(claimed, result, result.isError === true ? "error" : "ok");
    } catch (error) {
      await this.#finish(claimed, toolError(`The approved call failed: ${errorText(error)}`), "error");
      throw error;
    } finally {
      this.#executing.delete(claimed.id);
    }
  }

  /**
   * Edited arguments are decided again, as a new call with them would be: a refusal answers the call
   * (the approval cannot carry it past a deny), and a rule that names other approvers than those asked
   * holds the edited call again, for them. Otherwise the approval given covers the edit.
   */
  async #decideEdit(call: CallNeedingApproval, claimed: ApprovalRow): Promise<{ answer?: Record<string, unknown>; decision?: Decision }> {
    const edited = claimed.editedArguments;
    if (edited == null || claimed.editedArgumentsHash === claimed.argumentsHash) return {};
    const decision = await call.redecide(edited);
    if (decision.effect === "deny") {
      call.run.decision = { ...decision, reason: `${this.#editOf(claimed)}: ${decision.reason}` };
      return { answer: await this.#finish(claimed, toolError(`Approval ${claimed.id} came with edited arguments, and the edited arguments are refused: ${decision.reason}. The call was not run.`), "error") };
    }
    if (decision.effect === "allow" || sameApprovers(decision.approvers ?? DEFAULT_APPROVERS, claimed.approvers)) return { decision };
    const approvers = (decision.approvers ?? DEFAULT_APPROVERS).join(", ");
    await this.#finish(claimed, toolError(`Approval ${claimed.id} came with edited arguments, which need approval by ${approvers}: they wait for a request of their own.`), "error");
    logEvent("approval.edit_held_again", { approvalId: claimed.id, sessionId: this.#deps.sessionId, ruleId: decision.ruleId ?? null });
    // The edited call is a new request: the ledger forgets the one it replaces, so a resumed wait finds the new one.
    this.#deps.store.release(call.run.requestId);
    return { answer: await this.hold({ ...call, target: withArguments(call.target, edited), decision }) };
  }

  #editOf(row: ApprovalRow): string {
    return `edited arguments ${row.editedArgumentsHash} (requested ${row.argumentsHash}, approved by ${decidedBy(row)})`;
  }

  /**
   * Stores the result (for a repeat of the call) before answering with it; the desks hear of it while the
   * answer is on its way. The call answers with its result even when storing it failed.
   */
  async #finish(row: ApprovalRow, result: Record<string, unknown>, outcome: "ok" | "error"): Promise<Record<string, unknown>> {
    try {
      const stored = await recordExecution(this.#deps.db(), row.id, result, outcome);
      if (stored) void this.#publish("approval.executed", stored);
    } catch (error) {
      logEvent("approval.record_failed", { approvalId: row.id, error: errorText(error) }, "error");
    }
    return result;
  }

  /** `edit`: the policy's decision on the edited arguments, which the audit records with them. */
  #approved(call: CallNeedingApproval, row: ApprovalRow, edit?: Decision): void {
    const again = edit ? `; decided again: ${edit.effect}${edit.ruleId ? ` by rule "${edit.ruleId}"` : ""}` : "";
    const edited = row.editedArgumentsHash ? `, with edited arguments ${row.editedArgumentsHash} (requested ${row.argumentsHash}${again})` : "";
    call.run.decision = { ...this.#ruleOf(call.decision), effect: "allow", reason: `approved by ${decidedBy(row)}${edited}` };
  }

  #refused(call: CallNeedingApproval, reason: string): void {
    call.run.decision = { ...this.#ruleOf(call.decision), effect: "deny", reason };
  }

  /** The rule that sent the call for approval, kept on the decision the audit record reads. */
  #ruleOf(decision: Decision): Pick<Decision, "policyId" | "policyVersion" | "ruleId"> {
    return { policyId: decision.policyId, policyVersion: decision.policyVersion ?? null, ruleId: decision.ruleId ?? null };
  }

  /** Until a poke, the abort of the call, the expiry, or the next progress tick, whichever comes first. */
  #wait(row: ApprovalRow, call: CallNeedingApproval): Promise<void> {
    const untilExpiry = Math.max(0, row.expiresAt.getTime() - Date.now());
    return new Promise<void>((resolve) => {
      const wakers = this.#wakers.get(row.id) ?? new Set<() => void>();
      this.#wakers.set(row.id, wakers);
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        if (wakers.size === 0) this.#wakers.delete(row.id);
        call.run.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(untilExpiry, this.#deps.progressEveryMs));
      wakers.add(done);
      call.run.signal.addEventListener("abort", done);
    });
  }

  #progress(call: CallNeedingApproval, row: ApprovalRow, tick: number): void {
    const { progressToken } = call.target;
    if (progressToken === undefined) return;
    call.run.onProgress?.({
      progressToken,
      progress: tick,
      message: `Waiting for approval ${row.id} (${row.reason}); it expires at ${row.expiresAt.toISOString()}`,
    });
  }

  async #read(approvalId: string): Promise<ApprovalRow | null> {
    // Postgres down while waiting: keep what was known and look again at the next wake-up.
    return getApprovalRow(this.#deps.db(), approvalId).catch((error: unknown) => {
      logEvent("approval.read_failed", { approvalId, error: errorText(error) }, "warn");
      return null;
    });
  }

  async #publish(type: Parameters<typeof publishApproval>[2], row: ApprovalRow): Promise<void> {
    await publishApproval(this.#deps.env, this.#deps.db(), type, row).catch((error: unknown) =>
      logEvent("approval.publish_failed", { approvalId: row.id, type, error: errorText(error) }, "warn"),
    );
  }
}
