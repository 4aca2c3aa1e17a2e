import type { Decision as CoreDecision, DecideHook } from "../mcp/core/decide.ts";
import type { CallTarget } from "../mcp/core/resolve.ts";
import type { CompiledPolicy } from "./compile.ts";
import { decide, listVerdict, noRule } from "./decide.ts";
import { serverRefusal } from "./layers.ts";
import { effectiveRateLimit, type TakeResult } from "./rate-limit.ts";
import { callerOf, type Decision, type ItemAnnotations, type ItemRef, type PolicyCaller } from "./types.ts";

/** The core's decision, plus what the audit record and the approval flow need to know of it. */
export type PolicyDecision = CoreDecision &
  Pick<Decision, "layer" | "policyVersion" | "ruleId" | "dangerLevel" | "approvers" | "ttlSeconds"> & { retryAfterMs?: number };

export interface PolicyHookDeps {
  /** The session's compiled policy, as last refreshed; read on every call, so a pushed change applies at once. */
  policy(): CompiledPolicy;
  /** The user's rate-limit object (durable-objects/rate-limiter.ts); omitted: no rate limit. */
  limiter?: { take(key: string, limitPerMinute: number): Promise<TakeResult> };
  /** RATE_LIMIT_PER_MINUTE, for users without a limit of their own. */
  defaultRateLimit?: string | undefined;
  now?: () => Date;
}

/** The text a refused caller (and the model behind it) reads: the refusing layer or rule, and why. */
export function refusalMessage(decision: Pick<Decision, "effect" | "layer" | "ruleId" | "reason">): string {
  const by = decision.layer === "rule" ? `rule "${decision.ruleId}"` : decision.layer === "danger" ? "danger level" : `the ${decision.layer} layer`;
  return `${decision.effect === "require_approval" ? "Needs approval" : "Refused"} by ${by}: ${decision.reason}`;
}

/** What a target names for the policy: a completion is about the prompt or resource it completes. */
export function itemOfTarget(target: CallTarget & { kind: Exclude<CallTarget["kind"], "task"> }): ItemRef {
  const kind = target.kind !== "completion" ? target.kind : (target.params.ref as { type?: string } | undefined)?.type === "ref/prompt" ? "prompt" : "resource";
  const annotations = (target.item?.annotations ?? undefined) as ItemAnnotations | undefined;
  return { serverId: target.serverId, kind, name: target.name, annotations };
}

/**
 * The policy as the gateway core's `decide` hook. A completion carries no call arguments, so it is
 * allowed exactly when its prompt or resource is listed. A task's follow-ups (get, result, cancel)
 * belong to a call already decided: they need only the server to stay usable, and count against no
 * limit. An allowed (or approval-bound) call counts against the user's per-minute limit, then the
 * deciding rule's; over either, it is denied with reason `rate_limited`.
 */
export function policyDecideHook(deps: PolicyHookDeps): DecideHook {
  return async (context, target): Promise<PolicyDecision> => {
    const policy = deps.policy();
    if (target.kind === "task") {
      const refused = serverRefusal(policy.snapshot, context.client.name, target.serverId);
      const base = { ...noRule, dangerLevel: 0 as const };
      return refused ? { ...base, ...refused, effect: "deny", reason: refusalMessage({ effect: "deny", ruleId: null, ...refused }) } : { ...base, effect: "allow", layer: null, reason: null };
    }
    const caller = callerOf(policy.snapshot, context.client);
    const item = itemOfTarget({ ...target, kind: target.kind });
    const decision = target.kind === "completion" ? completionDecision(policy, caller, item) : decide(policy, {
      ...caller,
      ...item,
      args: typeof target.arguments === "object" && target.arguments !== null && !Array.isArray(target.arguments) ? (target.arguments as Record<string, unknown>) : {},
      ip: context.ip,
      now: (deps.now ?? (() => new Date()))(),
    });
    if (decision.effect === "deny") return { ...decision, effect: "deny", reason: refusalMessage(decision) };
    if (deps.limiter) {
      const limit = effectiveRateLimit(policy.snapshot.user, deps.defaultRateLimit);
      if (limit !== null) {
        const taken = await deps.limiter.take("calls", limit);
        if (!taken.ok) return { ...decision, ...noRule, effect: "deny", layer: null, reason: "rate_limited", retryAfterMs: taken.retryAfterMs };
      }
      // The rule's own limit: the refusal keeps naming the rule, whose limit it is.
      if (decision.rateLimit) {
        const taken = await deps.limiter.take(decision.rateLimit.key, decision.rateLimit.limitPerMinute);
        if (!taken.ok) return { ...decision, effect: "deny", reason: "rate_limited", retryAfterMs: taken.retryAfterMs };
      }
    }
    if (decision.effect === "require_approval") return { ...decision, effect: "require_approval", reason: refusalMessage(decision) };
    return { ...decision, effect: "allow" };
  };
}

function completionDecision(policy: CompiledPolicy, caller: PolicyCaller, item: ItemRef): Decision {
  const hidden = listVerdict(policy, { ...caller, ...item });
  if (!hidden) return { effect: "allow", layer: null, reason: null, ...noRule, dangerLevel: 0 };
  return { effect: "deny", ...hidden, dangerLevel: 0 };
}
