import { z } from "zod";
import { auditArguments } from "../audit/arguments.ts";
import { runAudited, runAuditedInBatches } from "../audit/mutation.ts";
import type { Principal } from "../auth/principal.ts";
import type { Database } from "../db/client.ts";
import type { UserRole } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import type { AppContext } from "../http/context.ts";
import { AppError } from "../http/errors.ts";
import { readJsonBody } from "../http/json-body.ts";
import { withTimeout } from "../http/with-timeout.ts";
import { loadKeyRing } from "../vault/keyring.ts";
import type { Action, ActionContext } from "./action.ts";
import { unstorableInput } from "../http/storable-input.ts";
import { clientIp } from "../policy/ip-allowlist-middleware.ts";
import { errorText } from "../db/errors.ts";
import { logEvent } from "../observability/log.ts";

const envelopeSchema = z.strictObject({
  action: z.number().int().describe("The numeric action code"),
  data: z.unknown().optional().describe("The action's input; see docs/reference.md"),
});

export interface ActionEndpoint {
  actions: readonly Action[];
  /** Roles allowed to call the endpoint at all; actions may narrow further. */
  roles: readonly UserRole[];
  /** Prefix of the audit `method` of this endpoint's changes: `admin/CREATE_USER`, `user/CONFIGURE_SERVER`. */
  surface?: "admin" | "user";
}

export function indexActions(actions: readonly Action[]): Map<number, Action> {
  const byCode = new Map<number, Action>();
  for (const action of actions) {
    if (byCode.has(action.code)) throw new Error(`Duplicate action code ${action.code}`);
    byCode.set(action.code, action);
  }
  return byCode;
}

/** Who runs an action, and where: what the dispatcher needs besides the action and its data. */
export interface ActionCaller {
  db: Database;
  principal: Principal;
  ip: string | null;
  env: AppEnv;
}

/**
 * Serves `{action, data}` → `{success, data}` for one registry of actions. An action flagged `mutates`
 * runs in a transaction with its audit record; an action that returns a Response has it sent as it is.
 */
export function actionHandler(endpoint: ActionEndpoint) {
  const run = actionRunner(endpoint);
  return async (c: AppContext) => {
    assertRole(endpoint, c.get("principal"));
    const envelope = envelopeSchema.safeParse(await readJsonBody(c.req.raw));
    if (!envelope.success) throw validationError(envelope.error, "");
    const result = await run(envelope.data.action, envelope.data.data, { db: c.get("db")(), principal: c.get("principal"), ip: clientIp(c), env: c.env });
    if (result instanceof Response) return result;
    return c.json({ success: true, data: result ?? null });
  };
}

/**
 * Runs one action of an endpoint for a caller: the role check, the input's validation, the audited
 * transaction and the pushes after commit. The HTTP endpoints and the Desk channel both go through it,
 * so an action behaves (and is audited) the same whichever way it came.
 */
export function actionRunner(endpoint: ActionEndpoint) {
  const byCode = indexActions(endpoint.actions);
  return async (code: number, rawData: unknown, { db, principal, ip, env }: ActionCaller): Promise<unknown> => {
    assertRole(endpoint, principal);
    const action = byCode.get(code);
    if (!action) throw new AppError("UNKNOWN_ACTION", `Unknown action ${code}`);

    const unstorable = unstorableInput(rawData, "data");
    if (unstorable) throw new AppError("VALIDATION_FAILED", `Invalid input: ${unstorable}`);
    const data = action.input.safeParse(rawData ?? {});
    if (!data.success) throw validationError(data.error, "data.");

    const mutation = {
      method: `${endpoint.surface ?? "admin"}/${action.name}`,
      name: action.name,
      serverId: serverIdOf(data.data),
      principal,
      ip,
      arguments: auditArguments(action.auditInput ? await action.auditInput(data.data, { env, db }) : data.data),
    };
    const committed: { work: () => Promise<unknown>; timeoutMs: number }[] = [];
    const context: ActionContext = {
      db,
      principal,
      ip,
      env,
      vault: () => loadKeyRing(env.VAULT_KEYS),
      auditedTransaction: (work) => runAudited(db, mutation, work),
      afterCommit: (work, timeoutMs = AFTER_COMMIT_TIMEOUT_MS) => void committed.push({ work, timeoutMs }),
    };
    const result =
      action.mutates === true
        ? await runAudited(db, mutation, (tx) => action.run({ ...context, db: tx, auditedTransaction: (work) => work(tx) }, data.data))
        : action.mutates === "in-batches"
          ? await runAuditedInBatches(db, mutation, (batch) => action.run({ ...context, auditedTransaction: batch }, data.data))
          : await action.run(context, data.data);
    for (const { work, timeoutMs } of committed) {
      // The change is committed whatever happens here: a push that hangs must not hold the reply.
      await withTimeout(work(), timeoutMs, "the push (it goes on in the background)").catch((error: unknown) =>
        logEvent("admin.after_commit_failed", { action: action.name, error: errorText(error) }, "error"),
      );
    }
    return result;
  };
}

function assertRole(endpoint: ActionEndpoint, principal: Principal): void {
  if (!endpoint.roles.includes(principal.role)) throw new AppError("FORBIDDEN", `This endpoint requires one of the roles: ${endpoint.roles.join(", ")}`);
}

/** How long a reply waits for a committed change to reach open sessions before it goes anyway. */
const AFTER_COMMIT_TIMEOUT_MS = 5000;

/** Most changes name the server they touch; recording it lets GET_LOGS find them by server. */
function serverIdOf(data: unknown): string | null {
  if (typeof data !== "object" || data === null || !("serverId" in data)) return null;
  return typeof data.serverId === "string" ? data.serverId : null;
}

function validationError(error: z.ZodError, prefix: string): AppError {
  const details = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? `${prefix}${issue.path.join(".")}` : prefix.replace(/\.$/, "") || "body";
    return `${path}: ${issue.message}`;
  });
  return new AppError("VALIDATION_FAILED", `Invalid input: ${details.join("; ")}`);
}
