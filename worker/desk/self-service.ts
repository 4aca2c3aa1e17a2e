import { actionRunner } from "../admin/dispatch.ts";
import type { Principal } from "../auth/principal.ts";
import type { Database } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import { selfServiceEndpoint } from "../user/actions.ts";

export interface SelfServiceCaller {
  principal: Principal;
  /** The address the socket was opened from, recorded in the audit as /user records it. */
  ip: string | null;
}

/** The `/user` endpoint's actions, run as POST /user runs them. */
const runUserAction = actionRunner(selfServiceEndpoint);

/**
 * Runs one `/user` action for a Desk socket's user through the dispatcher `/user` uses, so validation,
 * the audited transaction (`user/<NAME>`), the pushes after commit and the errors (AppError) are those
 * of POST /user.
 */
export function runSelfService(env: AppEnv, db: Database, caller: SelfServiceCaller, action: number, data: unknown): Promise<unknown> {
  return runUserAction(action, data, { db, principal: caller.principal, ip: caller.ip, env });
}
