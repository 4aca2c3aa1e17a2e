import { celBindings, type CelBindings } from "./cel.ts";
import type { CompiledPolicy, CompiledRule } from "./compile.ts";
import { dangerLevelOf, layerRefusal } from "./layers.ts";
import type { Decision, DecideInput, DecisionLayer, VisibilityInput } from "./types.ts";

/**
 * One call's decision. Order: the capability layers (server, grant, user), AND-ed; then the rules that
 * match the item, first match wins; with no match the danger level (2: approval). Fails closed: a rule
 * whose condition errors or is not a boolean denies, and its error is the reason.
 */
export function decide(compiled: CompiledPolicy, input: DecideInput): Decision {
  const dangerLevel = dangerLevelOf(compiled.snapshot, input);
  const refused = layerRefusal(compiled.snapshot, input.client.name, input);
  if (refused) return { effect: "deny", ...refused, ...noRule, dangerLevel };

  let bindings: CelBindings | undefined;
  for (const rule of compiled.rulesFor(input.serverId, input.name)) {
    const outcome = ruleOutcome(rule, () => (bindings ??= celBindings(input)));
    if (outcome === "no-match") continue;
    const from = { layer: "rule" as const, policyId: rule.policyId, policyVersion: rule.policyVersion, ruleId: rule.rule.id, dangerLevel };
    if (outcome !== "match") return { effect: "deny", reason: outcome.failed, ...from };
    return { effect: rule.rule.effect, reason: rule.rule.reason ?? `rule "${rule.rule.id}"`, ...from, ...approval(rule), ...ruleLimit(rule, input) };
  }
  if (dangerLevel === 2) {
    return { effect: "require_approval", layer: "danger", reason: `${input.kind} "${input.name}" needs approval (danger level 2)`, ...noRule, dangerLevel };
  }
  return { effect: "allow", layer: null, reason: null, ...noRule, dangerLevel };
}

/** The rule fields of a decision no rule made. */
export const noRule = { policyId: null, policyVersion: null, ruleId: null } as const;

function approval(rule: CompiledRule): Pick<Decision, "approvers" | "ttlSeconds"> {
  if (rule.rule.effect !== "require_approval") return {};
  return {
    ...(rule.rule.approvers ? { approvers: rule.rule.approvers } : {}),
    ...(rule.rule.ttlSeconds !== undefined ? { ttlSeconds: rule.rule.ttlSeconds } : {}),
  };
}

/** Per user (the limiter is the user's), per rule, and per server and item: a `*` rule limits each tool apart. */
function ruleLimit(rule: CompiledRule, input: DecideInput): Pick<Decision, "rateLimit"> {
  const limitPerMinute = rule.rule.rateLimitPerMinute;
  if (limitPerMinute === undefined || rule.rule.effect === "deny") return {};
  return { rateLimit: { key: `rule:${rule.policyId}:${rule.rule.id}:${input.serverId}:${input.kind}:${input.name}`, limitPerMinute } };
}

function ruleOutcome(rule: CompiledRule, bindings: () => CelBindings): "match" | "no-match" | { failed: string } {
  if (rule.broken !== null) return { failed: `rule "${rule.rule.id}" does not compile: ${rule.broken}` };
  if (rule.when === null) return "match";
  const result = rule.when.evaluate(bindings());
  if (!result.ok) return { failed: `rule "${rule.rule.id}" failed to evaluate: ${evaluationError(result.error)}` };
  return result.value ? "match" : "no-match";
}

/** A field the call lacks is named as what the rule expected: the call may be well-formed, the rule too strict. */
function evaluationError(error: string): string {
  const missing = /^(?:field not found|no such key): (.+)$/.exec(error)?.[1];
  return missing === undefined ? error : `it expects the field "${missing}", which this call does not have (${error}); has() can test for it first`;
}

/**
 * Whether a list shows the item: exactly when some call of it could be allowed or sent for approval.
 * A capability layer hides it. Rules that do not depend on the call (no `args`, `now` or `ip`) are
 * evaluated as for a call, so an unconditional deny also hides the item. A call-dependent rule cannot
 * be settled without a call: a deny of that kind is passed over (another call may escape it), and an
 * allow or approval shows the item (some call may match it).
 */
export function isVisible(compiled: CompiledPolicy, input: VisibilityInput): boolean {
  return listVerdict(compiled, input) === null;
}

export interface Hidden extends Pick<Decision, "policyId" | "policyVersion" | "ruleId"> {
  layer: DecisionLayer;
  reason: string;
}

/** null when the item is listed; otherwise what hides it (the answer behind `isVisible`). */
export function listVerdict(compiled: CompiledPolicy, input: VisibilityInput): Hidden | null {
  const refused = layerRefusal(compiled.snapshot, input.client.name, input);
  if (refused) return { ...refused, ...noRule };
  let bindings: CelBindings | undefined;
  // Never read: a rule that reads args, ip or now is call-dependent and not evaluated here.
  const listing = { ...input, args: {}, ip: null, now: new Date(0) };
  for (const rule of compiled.rulesFor(input.serverId, input.name)) {
    if (rule.callDependent) {
      if (rule.rule.effect === "deny") continue;
      return null;
    }
    const outcome = ruleOutcome(rule, () => (bindings ??= celBindings(listing)));
    if (outcome === "no-match") continue;
    if (outcome === "match" && rule.rule.effect !== "deny") return null;
    const reason = outcome === "match" ? (rule.rule.reason ?? `denied by rule "${rule.rule.id}"`) : outcome.failed;
    return { layer: "rule", reason, policyId: rule.policyId, policyVersion: rule.policyVersion, ruleId: rule.rule.id };
  }
  return null;
}
