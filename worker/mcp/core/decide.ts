import type { CallContext } from "./context.ts";
import type { CallTarget } from "./resolve.ts";

/** What the policy says of one call. Only `allow` lets it reach the downstream server. */
export type Decision =
  | { effect: "allow"; reason: string | null; policyId: string | null }
  /** `retryAfterMs`: refused by a rate limit, which the caller can wait out. */
  | { effect: "deny"; reason: string; policyId: string | null; retryAfterMs?: number }
  | { effect: "require_approval"; reason: string; policyId: string | null };

/**
 * The seam where policy plugs in: called once per routed request, after `resolve` has worked out the
 * server, the original name and the arguments, and before anything is sent downstream.
 */
export type DecideHook = (context: CallContext, target: CallTarget) => Decision | Promise<Decision>;
