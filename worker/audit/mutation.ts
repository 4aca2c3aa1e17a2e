import type { Principal } from "../auth/principal.ts";
import type { Database } from "../db/client.ts";
import { AppError } from "../http/errors.ts";
import { appendToAdminChain } from "./admin-chain.ts";
import type { AuditFields } from "./record.ts";
import { logEvent } from "../observability/log.ts";
import { errorText } from "../db/errors.ts";

/** Who changed what, as the dispatcher knows it before the change runs. */
export interface MutationContext {
  /** `admin/<ACTION_NAME>` or `user/<ACTION_NAME>`. */
  method: string;
  name: string;
  /** The server the change is about, when it names one, so GET_LOGS can filter changes by server. */
  serverId: string | null;
  principal: Principal;
  ip: string | null;
  /** Already masked by auditArguments: this goes into the record as it is. */
  arguments: unknown;
}

/**
 * Runs a change and its audit record in one transaction: a change without its record, or a record of a
 * change that did not happen, cannot be committed. A failed change is then recorded on its own as an
 * error, best-effort, since the attempt is worth knowing about but must not mask the original failure.
 */
export async function runAudited<T>(db: Database, context: MutationContext, run: (tx: Database) => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await db.transaction(async (tx) => {
      const result = await run(tx);
      await appendToAdminChain(tx, mutationFields(context, started, { outcome: "ok", result }));
      return result;
    });
  } catch (error) {
    await recordFailure(db, context, started, error);
    throw error;
  }
}

/** Runs `work` in a transaction of its own, together with an audit record of the change. */
export type AuditedTransaction = <T>(work: (tx: Database) => Promise<T>) => Promise<T>;

/**
 * Runs a job too long for one transaction: each batch it passes to `batch` commits on its own with its
 * own record. A failure outside any batch (a key ring that does not load, say) is recorded like any
 * failed change; one inside a batch already was.
 */
export async function runAuditedInBatches<T>(db: Database, context: MutationContext, run: (batch: AuditedTransaction) => Promise<T>): Promise<T> {
  const started = Date.now();
  let recorded: unknown;
  try {
    return await run(async (work) => {
      try {
        return await runAudited(db, context, work);
      } catch (error) {
        recorded = error;
        throw error;
      }
    });
  } catch (error) {
    if (error !== recorded) await recordFailure(db, context, started, error);
    throw error;
  }
}

async function recordFailure(db: Database, context: MutationContext, started: number, error: unknown): Promise<void> {
  try {
    await db.transaction((tx) => appendToAdminChain(tx, mutationFields(context, started, { outcome: "error", error })));
  } catch (auditError) {
    // The database is likely what failed in the first place; the caller still gets the original error.
    logEvent("audit.record_failed", { method: context.method, error: errorText(auditError) }, "error");
  }
}


type Outcome = { outcome: "ok"; result: unknown } | { outcome: "error"; error: unknown };

function mutationFields(context: MutationContext, started: number, outcome: Outcome): AuditFields {
  // Only AppError messages are written to be shown; anything else may carry internals, so it is generalised.
  const failure = outcome.outcome === "error" ? (outcome.error instanceof AppError ? outcome.error : new AppError("INTERNAL", "Internal error")) : null;
  return {
    ts: new Date(started).toISOString(),
    userId: context.principal.userId,
    role: context.principal.role,
    clientName: null,
    clientVersion: null,
    sessionId: null,
    ip: context.ip,
    serverId: context.serverId,
    method: context.method,
    name: context.name,
    arguments: context.arguments,
    // A refused change was denied, not attempted: the same distinction MCP records make.
    decision: failure?.kind === "FORBIDDEN" ? "deny" : "allow",
    decisionReason: failure?.kind === "FORBIDDEN" ? failure.message : null,
    policyId: null,
    policyVersion: null,
    ruleId: null,
    approvalId: null,
    outcome: outcome.outcome,
    errorCode: failure?.code ?? null,
    errorMessage: failure?.message ?? null,
    latencyMs: Date.now() - started,
    responseBytes: outcome.outcome === "ok" ? new TextEncoder().encode(JSON.stringify(outcome.result ?? null)).length : 0,
  };
}
