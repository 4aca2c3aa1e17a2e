import type { PolicyRule } from "../db/schema.ts";
import { CelCompileError, type CompiledExpression, compileExpression } from "./cel.ts";
import { globMatcher } from "./glob.ts";
import type { PolicySetSnapshot, PolicySnapshot } from "./types.ts";

export interface CompiledRule {
  rule: PolicyRule;
  policyId: string;
  policyVersion: number;
  /** The set's server, or null for a global set. */
  scope: string | null;
  matchesServer(serverId: string): boolean;
  matchesName(name: string): boolean;
  /** null: the rule has no condition. */
  when: CompiledExpression | null;
  /** Set when the stored expression no longer compiles (e.g. tighter limits): the rule then denies. */
  broken: string | null;
  /** Reads args, now or ip: what it decides can differ from one call of the same item to the next. */
  callDependent: boolean;
}

export interface CompiledPolicy {
  snapshot: PolicySnapshot;
  /** Every rule, in evaluation order. */
  rules: readonly CompiledRule[];
  /** The rules whose globs match this item, in evaluation order; memoised, since a session asks again and again. */
  rulesFor(serverId: string, name: string): readonly CompiledRule[];
}

const CALL_VARIABLES = ["args", "now", "ip"];
const MEMO_LIMIT = 4096;

export function compileRule(rule: PolicyRule, set: Pick<PolicySetSnapshot, "id" | "version" | "timeZone" | "serverId">): CompiledRule {
  const when = rule.when === undefined || rule.when.trim() === "" ? null : compileExpression(rule.when, set.timeZone);
  return {
    rule,
    policyId: set.id,
    policyVersion: set.version,
    scope: set.serverId,
    matchesServer: globMatcher(rule.match.server ?? "*"),
    matchesName: globMatcher(rule.match.tool ?? "*"),
    when,
    broken: null,
    callDependent: when !== null && CALL_VARIABLES.some((name) => when.references.has(name)),
  };
}

/**
 * Evaluation order: higher `priority` first; on equal priority a server's own sets before global ones,
 * then the order of sets and of rules within a set as stored.
 */
export function compilePolicy(snapshot: PolicySnapshot): CompiledPolicy {
  const sets = [...snapshot.policySets.filter((set) => set.serverId !== null), ...snapshot.policySets.filter((set) => set.serverId === null)];
  const rules = sets
    .flatMap((set) => set.rules.map((rule) => compileStored(rule, set)))
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => b.rule.rule.priority - a.rule.rule.priority || a.index - b.index)
    .map(({ rule }) => rule);
  const memo = new Map<string, readonly CompiledRule[]>();
  return {
    snapshot,
    rules,
    rulesFor(serverId, name) {
      const key = `${serverId}\u0000${name}`;
      let found = memo.get(key);
      if (!found) {
        found = rules.filter((r) => (r.scope === null || r.scope === serverId) && r.matchesServer(serverId) && r.matchesName(name));
        if (memo.size >= MEMO_LIMIT) memo.clear();
        memo.set(key, found);
      }
      return found;
    },
  };
}

function compileStored(rule: PolicyRule, set: PolicySetSnapshot): CompiledRule {
  try {
    return compileRule(rule, set);
  } catch (error) {
    if (!(error instanceof CelCompileError)) throw error;
    return { ...compileRule({ ...rule, when: undefined }, set), broken: error.message, callDependent: false };
  }
}

/** Compiles a set's rules for validation, naming the first rule that does not compile. */
export function assertRulesCompile(rules: readonly PolicyRule[], timeZone: string): void {
  for (const rule of rules) {
    try {
      compileRule(rule, { id: "", version: 0, timeZone, serverId: null });
    } catch (error) {
      if (error instanceof CelCompileError) throw new CelCompileError(`rule "${rule.id}": ${error.message}`);
      throw error;
    }
  }
}
