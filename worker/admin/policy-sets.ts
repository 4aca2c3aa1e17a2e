import { and, asc, desc, eq, gte, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { auditRecords, type PolicyRule, policySets } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import { CelCompileError } from "../policy/cel.ts";
import { assertRulesCompile, compilePolicy, type CompiledPolicy } from "../policy/compile.ts";
import { OWNER_PRINCIPAL, principalOfUser } from "../policy/principal-of.ts";
import { rulesSchema, timeZoneSchema } from "../policy/rule-schema.ts";
import { type AuditedCall, REPLAYED_METHODS, simulate } from "../policy/simulate.ts";
import { keptVersions, keepVersion, type PolicySetVersionRow } from "../policy/set-versions.ts";
import { loadPolicySnapshot } from "../policy/snapshot.ts";
import type { PolicySetSnapshot, PolicySnapshot } from "../policy/types.ts";
import { requireServer } from "../servers/store.ts";
import { pushToEveryone } from "../users/live-sessions.ts";
import { defineAction } from "./action.ts";
import { serverIdField } from "./capabilities.ts";

const policySetId = z.uuid().describe("The policy set's id, as returned by CREATE_POLICY_SET");
const name = z.string().trim().min(1).max(200).describe("Display name");
const setServerId = serverIdField.nullable().describe("The server the set applies to; null or omitted: a global set, for every server");
const auditTimestamp = z.iso.datetime({ offset: true });

type PolicySetRow = typeof policySets.$inferSelect;

function toView(row: PolicySetRow) {
  return {
    policySetId: row.id,
    name: row.name,
    serverId: row.serverId,
    version: row.version,
    timeZone: row.timeZone,
    rules: row.rules,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** A CEL error is the client's mistake, so it is a 400 that names the rule. */
function assertCompiles(rules: PolicyRule[], timeZone: string): void {
  try {
    assertRulesCompile(rules, timeZone);
  } catch (error) {
    if (error instanceof CelCompileError) throw new AppError("VALIDATION_FAILED", `Invalid input: data.rules: ${error.message}`);
    throw error;
  }
}

async function requireSet(db: Database, id: string, forUpdate = false): Promise<PolicySetRow> {
  const query = db.select().from(policySets).where(eq(policySets.id, id)).limit(1);
  const [row] = forUpdate ? await query.for("update") : await query;
  if (!row) throw new AppError("NOT_FOUND", `No policy set with policySetId "${id}"`);
  return row;
}

const simulateInput = z.strictObject({
  policySetId: policySetId.optional().describe("The set the draft replaces; omitted: the draft is added as a new set"),
  serverId: setServerId.optional(),
  timeZone: timeZoneSchema.default("UTC"),
  rules: rulesSchema,
  limit: z.number().int().min(1).max(1000).default(100).describe("How many of the most recent audited calls to replay"),
  since: auditTimestamp.optional().describe("Only calls at or after this time (ISO 8601)"),
  until: auditTimestamp.optional().describe("Only calls strictly before this time (ISO 8601)"),
  examples: z.number().int().min(0).max(50).default(10).describe("At most this many changed decisions are returned as examples"),
});

export const policySetActions = [
  defineAction({
    code: 9101,
    name: "CREATE_POLICY_SET",
    mutates: true,
    summary: "Creates a policy set (version 1), global or for one server. Every CEL condition is compiled first: a parse error is a 400 naming the rule.",
    returns: "`{policySetId, version}`",
    input: z.strictObject({ name, serverId: setServerId.default(null), timeZone: timeZoneSchema.default("UTC"), rules: rulesSchema }),
    async run({ db, env, afterCommit }, data) {
      afterCommit(() => pushToEveryone(env, { kind: "refresh" }));
      assertCompiles(data.rules, data.timeZone);
      if (data.serverId !== null) await requireServer(db, data.serverId);
      const [row] = await db.insert(policySets).values({ id: crypto.randomUUID(), ...data }).returning();
      await keepVersion(db, row!);
      return { policySetId: row!.id, version: row!.version };
    },
  }),
  defineAction({
    code: 9102,
    name: "GET_POLICY_SETS",
    summary: "Lists policy sets, or one by id, or those of one server.",
    returns: "`{policySets: [{policySetId, name, serverId, version, timeZone, rules, createdAt, updatedAt}]}`",
    input: z.strictObject({ policySetId: policySetId.optional(), serverId: serverIdField.optional().describe("Only the sets of this server") }),
    async run({ db }, data) {
      const rows = await db
        .select()
        .from(policySets)
        .where(
          and(
            data.policySetId === undefined ? undefined : eq(policySets.id, data.policySetId),
            data.serverId === undefined ? undefined : eq(policySets.serverId, data.serverId),
          ),
        )
        .orderBy(asc(policySets.createdAt), asc(policySets.id));
      return { policySets: rows.map(toView) };
    },
  }),
  defineAction({
    code: 9103,
    name: "UPDATE_POLICY_SET",
    mutates: true,
    summary:
      "Changes a policy set; rules are replaced whole. Every change is a new version, kept in full (GET_POLICY_SET_VERSIONS). With expectedVersion, a set changed meanwhile is a 409.",
    returns: "`{policySetId, version}`",
    input: z.strictObject({
      policySetId,
      expectedVersion: z.number().int().min(1).optional().describe("Refuse (409) unless the set is still at this version"),
      name: name.optional(),
      timeZone: timeZoneSchema.optional(),
      rules: rulesSchema.optional(),
    }),
    async run({ db, env, afterCommit }, { policySetId: id, expectedVersion, ...patch }) {
      afterCommit(() => pushToEveryone(env, { kind: "refresh" }));
      const current = await requireSet(db, id, true);
      if (expectedVersion !== undefined && expectedVersion !== current.version) {
        throw new AppError("CONFLICT", `Policy set "${id}" is at version ${current.version}, not ${expectedVersion}`);
      }
      assertCompiles(patch.rules ?? current.rules, patch.timeZone ?? current.timeZone);
      const [row] = await db
        .update(policySets)
        .set({ ...patch, version: sql`${policySets.version} + 1`, updatedAt: new Date() })
        .where(eq(policySets.id, id))
        .returning();
      await keepVersion(db, row!);
      return { policySetId: id, version: row!.version };
    },
  }),
  defineAction({
    code: 9104,
    name: "DELETE_POLICY_SET",
    mutates: true,
    summary: "Deletes a policy set; its rules stop applying. Its versions stay readable with GET_POLICY_SET_VERSIONS, so audit records that name them can still be explained.",
    returns: "`{policySetId, deleted: true}`",
    input: z.strictObject({ policySetId }),
    async run({ db, env, afterCommit }, data) {
      afterCommit(() => pushToEveryone(env, { kind: "refresh" }));
      await requireSet(db, data.policySetId, true);
      await db.delete(policySets).where(eq(policySets.id, data.policySetId));
      return { policySetId: data.policySetId, deleted: true };
    },
  }),
  defineAction({
    code: 9105,
    name: "GET_EFFECTIVE_POLICY",
    summary: "The rules that apply to a server (its own sets and the global ones), or to every server, in evaluation order.",
    returns: "`{rules: [{policySetId, version, serverScope, rule}]}`",
    input: z.strictObject({ serverId: serverIdField.optional().describe("Only rules that can apply to this server; omitted: global sets only") }),
    async run({ db }, data) {
      const rows = await db
        .select()
        .from(policySets)
        .where(data.serverId === undefined ? isNull(policySets.serverId) : or(isNull(policySets.serverId), eq(policySets.serverId, data.serverId)))
        .orderBy(asc(policySets.createdAt), asc(policySets.id));
      const compiled = compilePolicy({ ...emptySnapshot, policySets: rows.map(setSnapshot) });
      const rules = data.serverId === undefined ? compiled.rules : compiled.rules.filter((r) => r.matchesServer(data.serverId!));
      return { rules: rules.map((r) => ({ policySetId: r.policyId, version: r.policyVersion, serverScope: r.scope, rule: r.rule })) };
    },
  }),
  defineAction({
    code: 9106,
    name: "SIMULATE_POLICY",
    summary:
      "Replays the most recent audited calls (tools/call, prompts/get, resources/read) under the current policy and under a draft set, with each caller's current grants, and reports how many decisions the draft would change, with examples. Changes nothing.",
    returns:
      "`{evaluated, skipped, changed, byEffect: {\"allow->deny\": n, …}, examples: [{auditId, ts, userId, serverId, kind, name, recorded: {decision, policyId, policyVersion, ruleId}, current, draft}]}` (current and draft: `{effect, layer, reason, policyId, policyVersion, ruleId}`)",
    input: simulateInput,
    async run({ db }, data) {
      assertCompiles(data.rules, data.timeZone);
      const existing = data.policySetId === undefined ? undefined : await requireSet(db, data.policySetId);
      const draftSet: PolicySetSnapshot = {
        id: existing?.id ?? "draft",
        name: existing?.name ?? "draft",
        serverId: data.serverId !== undefined ? data.serverId : (existing?.serverId ?? null),
        version: (existing?.version ?? 0) + 1,
        timeZone: data.timeZone,
        rules: data.rules,
      };
      const calls = await recentCalls(db, data);
      const policies = await policiesFor(db, calls, draftSet);
      const known = calls.filter((call) => policies.has(call.userId));
      const report = simulate(known, (call) => policies.get(call.userId)!, data.examples);
      return { ...report, skipped: report.skipped + calls.length - known.length };
    },
  }),
  defineAction({
    code: 9107,
    name: "GET_POLICY_SET_VERSIONS",
    summary:
      "What a policy set said at each of its versions, oldest first, or at one version: the version an audit record's `policyVersion` names. A deleted set's versions stay readable (`currentVersion` null). Sets created before versions were kept start with the version they were at then.",
    returns: "`{policySetId, currentVersion: number | null, versions: [{version, name, serverId, timeZone, rules, createdAt}]}`",
    input: z.strictObject({
      policySetId,
      version: z.number().int().min(1).optional().describe("Only this version; omitted: every kept version"),
    }),
    async run({ db }, data) {
      const versions = await keptVersions(db, data.policySetId, data.version);
      if (versions.length === 0) {
        const which = data.version === undefined ? "" : ` at version ${data.version}`;
        throw new AppError("NOT_FOUND", `No kept policy set with policySetId "${data.policySetId}"${which}`);
      }
      const [current] = await db.select({ version: policySets.version }).from(policySets).where(eq(policySets.id, data.policySetId));
      return { policySetId: data.policySetId, currentVersion: current?.version ?? null, versions: versions.map(versionView) };
    },
  }),
];

function versionView(row: PolicySetVersionRow) {
  const { version, name, serverId, timeZone, rules, createdAt } = row;
  return { version, name, serverId, timeZone, rules, createdAt: createdAt.toISOString() };
}

function unlessNotFound(error: unknown): null {
  if (error instanceof AppError && error.kind === "NOT_FOUND") return null;
  throw error;
}

const emptySnapshot: PolicySnapshot = {
  user: { id: null, role: "owner", email: null, attributes: {}, status: "active", rateLimitPerMinute: null },
  servers: {},
  narrowings: {},
  policySets: [],
};

function setSnapshot(row: PolicySetRow): PolicySetSnapshot {
  return { id: row.id, name: row.name, serverId: row.serverId, version: row.version, timeZone: row.timeZone, rules: row.rules };
}

async function recentCalls(db: Database, filter: z.output<typeof simulateInput>): Promise<AuditedCall[]> {
  return db
    .select({
      id: auditRecords.id,
      ts: auditRecords.ts,
      userId: auditRecords.userId,
      role: auditRecords.role,
      clientName: auditRecords.clientName,
      clientVersion: auditRecords.clientVersion,
      ip: auditRecords.ip,
      serverId: auditRecords.serverId,
      method: auditRecords.method,
      name: auditRecords.name,
      arguments: auditRecords.arguments,
      decision: auditRecords.decision,
      policyId: auditRecords.policyId,
      policyVersion: auditRecords.policyVersion,
      ruleId: auditRecords.ruleId,
    })
    .from(auditRecords)
    .where(
      and(
        inArray(auditRecords.method, REPLAYED_METHODS),
        filter.since === undefined ? undefined : gte(auditRecords.ts, filter.since),
        filter.until === undefined ? undefined : lt(auditRecords.ts, filter.until),
      ),
    )
    .orderBy(desc(auditRecords.id))
    .limit(filter.limit);
}

/** Each caller's current policy and the same with the draft in place; callers deleted since are left out. */
async function policiesFor(db: Database, calls: AuditedCall[], draftSet: PolicySetSnapshot) {
  const policies = new Map<string | null, { current: CompiledPolicy; draft: CompiledPolicy }>();
  for (const userId of new Set(calls.map((call) => call.userId))) {
    const principal = userId === null ? OWNER_PRINCIPAL : await principalOfUser(db, userId).catch(unlessNotFound);
    if (!principal) continue;
    const snapshot = await loadPolicySnapshot(db, principal, null);
    const others = snapshot.policySets.filter((set) => set.id !== draftSet.id);
    policies.set(userId, { current: compilePolicy(snapshot), draft: compilePolicy({ ...snapshot, policySets: [...others, draftSet] }) });
  }
  return policies;
}
