import type { CallContext } from "./context.ts";
import type { CallTarget } from "./resolve.ts";

/**
 * Which rule decided, for the audit record: its policy set, the set's version, and the rule's id. A
 * decision no rule made (a capability layer, or no policy at all) has none of them.
 */
interface DecidedBy {
  policyId: string | null;
  policyVersion?: number | null;
  ruleId?: string | null;
}

/** What the policy says of one call. Only `allow` lets it reach the downstream server (for approval: once approved). */
export type Decision =
  | ({ effect: "allow"; reason: string | null } & DecidedBy)
  /** `retryAfterMs`: refused by a rate limit, which the caller can wait out. */
  | ({ effect: "deny"; reason: string; retryAfterMs?: number } & DecidedBy)
  /** `approvers`: "self", roles or user ids besides owners and admins; `ttlSeconds`: how long the request stays open. */
  | ({ effect: "require_approval"; reason: string; approvers?: string[]; ttlSeconds?: number } & DecidedBy);

/**
 * The seam where policy plugs in: called once per routed request, after `resolve` has worked out the
 * server, the original name and the arguments, and before anything is sent downstream.
 */
export type DecideHook = (context: CallContext, target: CallTarget) => Decision | Promise<Decision>;
