import type { Redactor } from "../../vault/redactor.ts";
import type { CallContext } from "./context.ts";
import type { Decision } from "./decide.ts";
import type { CallRun } from "./gateway.ts";
import type { CallTarget } from "./resolve.ts";

/** A tool call the policy sent for approval, as the core hands it to whoever can hold it. */
export interface CallNeedingApproval {
  context: CallContext;
  target: CallTarget;
  decision: Extract<Decision, { effect: "require_approval" }>;
  run: CallRun;
  /** The scrubber of the target's connection (connecting if need be): what is kept of the call is scrubbed with it. */
  redactor(): Promise<Redactor>;
  /** The policy's decision on this call with other arguments (an approver's edit), made as for a new call. */
  redecide(args: unknown): Promise<Decision>;
  /** Sends the call downstream, with these arguments (edited by the approver, or the requested ones). */
  execute(args: unknown): Promise<Record<string, unknown>>;
}

/**
 * The seam for human approval: resolves with the downstream's result once the call was approved and
 * ran, or with a result that says it was rejected or expired. Without one, a call that needs approval
 * is refused.
 */
export type HoldHook = (call: CallNeedingApproval) => Promise<Record<string, unknown>>;
