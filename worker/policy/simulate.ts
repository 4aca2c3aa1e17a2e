import type { CapabilityKind } from "../db/schema.ts";
import { parseExposedName, parseExposedUri } from "../mcp/names.ts";
import type { CompiledPolicy } from "./compile.ts";
import { decide } from "./decide.ts";
import type { DecideInput, Decision } from "./types.ts";

/** The fields of an audit record a replay needs. */
export interface AuditedCall {
  id: string;
  ts: string;
  userId: string | null;
  role: string | null;
  clientName: string | null;
  clientVersion: string | null;
  ip: string | null;
  serverId: string | null;
  method: string;
  name: string | null;
  arguments: unknown;
  /** What decided the call when it was made; policy_set_versions says what that version's rules were. */
  decision: "allow" | "deny";
  policyId: string | null;
  policyVersion: number | null;
  ruleId: string | null;
}

const KIND_OF_METHOD: Record<string, CapabilityKind> = { "tools/call": "tool", "prompts/get": "prompt", "resources/read": "resource" };
export const REPLAYED_METHODS = Object.keys(KIND_OF_METHOD);

/** Which item an audited call named: an aggregated name or URI carries its server, a /mcp/<id> call has it on the record. */
export function itemOfCall(call: AuditedCall): { serverId: string; kind: CapabilityKind; name: string } | null {
  const kind = KIND_OF_METHOD[call.method];
  if (!kind || call.name === null) return null;
  const qualified = kind === "resource" ? parseExposedUri(call.name) : parseExposedName(call.name);
  if (call.serverId !== null && (qualified === null || qualified.serverId !== call.serverId)) return { serverId: call.serverId, kind, name: call.name };
  if (qualified === null) return null;
  return { serverId: qualified.serverId, kind, name: "uri" in qualified ? qualified.uri : qualified.local };
}

export interface SimulationChange {
  auditId: string;
  ts: string;
  userId: string | null;
  serverId: string;
  kind: CapabilityKind;
  name: string;
  /** The decision the audit record kept, and the set version and rule that made it. */
  recorded: Pick<AuditedCall, "decision" | "policyId" | "policyVersion" | "ruleId">;
  current: DecisionBrief;
  draft: DecisionBrief;
}

type DecisionBrief = Pick<Decision, "effect" | "layer" | "reason" | "policyId" | "policyVersion" | "ruleId">;

function brief({ effect, layer, reason, policyId, policyVersion, ruleId }: Decision): DecisionBrief {
  return { effect, layer, reason, policyId, policyVersion, ruleId };
}

export interface SimulationReport {
  evaluated: number;
  /** Records that name no item the policy decides on (e.g. a batch, an unknown name). */
  skipped: number;
  changed: number;
  byEffect: Record<string, number>;
  examples: SimulationChange[];
}

/**
 * Replays audited calls under the current policy and under a draft, each as the caller's policy is now
 * (grants and layers of today, not of the day of the call), and reports where the two disagree.
 */
export function simulate(
  calls: readonly AuditedCall[],
  policies: (call: AuditedCall) => { current: CompiledPolicy; draft: CompiledPolicy },
  maxExamples: number,
): SimulationReport {
  const report: SimulationReport = { evaluated: 0, skipped: 0, changed: 0, byEffect: {}, examples: [] };
  for (const call of calls) {
    const item = itemOfCall(call);
    if (!item) {
      report.skipped++;
      continue;
    }
    const { current, draft } = policies(call);
    const input: DecideInput = {
      user: { id: call.userId, role: call.role ?? "user", email: current.snapshot.user.email, attributes: current.snapshot.user.attributes },
      client: { name: call.clientName ?? "", version: call.clientVersion ?? "" },
      ...item,
      args: typeof call.arguments === "object" && call.arguments !== null && !Array.isArray(call.arguments) ? (call.arguments as Record<string, unknown>) : {},
      ip: call.ip,
      now: new Date(call.ts),
    };
    report.evaluated++;
    const before = decide(current, input);
    const after = decide(draft, input);
    if (before.effect === after.effect) continue;
    report.changed++;
    const transition = `${before.effect}->${after.effect}`;
    report.byEffect[transition] = (report.byEffect[transition] ?? 0) + 1;
    if (report.examples.length < maxExamples) {
      const { decision, policyId, policyVersion, ruleId } = call;
      const recorded = { decision, policyId, policyVersion, ruleId };
      report.examples.push({ auditId: call.id, ts: call.ts, userId: call.userId, ...item, recorded, current: brief(before), draft: brief(after) });
    }
  }
  return report;
}
