import { z } from "zod";
import { exportNdjson } from "../audit/export.ts";
import { auditFilterFields, auditPage, auditRangeFields } from "../audit/query.ts";
import { callStats } from "../audit/stats.ts";
import { verifyAudit } from "../audit/verify.ts";
import { openDatabase } from "../db/client.ts";
import { defineAction } from "./action.ts";

const MAX_LIMIT = 1000;

export const auditActions = [
  defineAction({
    code: 7002,
    name: "GET_LOGS",
    summary:
      "Lists audit records, newest first. Pass the returned `nextCursor` back as `cursor` for the next page; it is null after the last.",
    returns: "`{entries: AuditRecord[], nextCursor: string | null}`",
    input: z.strictObject({
      ...auditFilterFields,
      since: auditRangeFields.since.optional(),
      until: auditRangeFields.until.optional(),
      cursor: z
        .string()
        .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "is not a cursor returned by GET_LOGS")
        .optional()
        .describe("The `nextCursor` of the previous page"),
      limit: z.number().int().min(1).max(MAX_LIMIT).default(100).describe(`Records per page, at most ${MAX_LIMIT}`),
    }),
    async run({ db }, data) {
      const { cursor, limit, ...filter } = data;
      // One extra row says whether another page exists without a separate count.
      const rows = await auditPage(db, filter, { after: cursor, limit: limit + 1, order: "newest" });
      const entries = rows.slice(0, limit);
      return { entries, nextCursor: rows.length > limit ? entries[entries.length - 1]!.id : null };
    },
  }),
  defineAction({
    code: 7003,
    name: "EXPORT_LOGS",
    summary:
      "Streams the audit records of a time range as NDJSON (`application/x-ndjson`, one record per line, oldest first) for SIEM ingestion. The reply is that stream, not the JSON envelope; errors before the stream starts still use the envelope.",
    returns: "NDJSON lines, each an `AuditRecord`",
    input: z.strictObject({ ...auditRangeFields, ...auditFilterFields }),
    async run({ env }, data) {
      return exportNdjson(openDatabase(env), data);
    },
  }),
  defineAction({
    code: 7004,
    name: "VERIFY_AUDIT",
    summary:
      "Checks the hash chains of the audit trail: every record's hash against its contents, every prev_hash link, and seq continuity from each chain's retention anchor. Reports every break: how many, the first 20, and the first on its own.",
    returns: "`{ok, checked, firstMismatch?: {chainId, seq, id, reason}, mismatchCount, mismatches: [{chainId, seq, id, reason}]}` (mismatches: the first 20)",
    input: z.strictObject({
      since: auditRangeFields.since.optional(),
      until: auditRangeFields.until.optional(),
      sessionId: z.string().min(1).max(200).optional().describe("Only the chain of this MCP session (its Mcp-Session-Id); `admin` is the chain of admin and /user changes"),
      chainId: z
        .string()
        .min(1)
        .max(300)
        .optional()
        .describe("Only this chain, by its `chainId` as GET_LOGS shows it: a session's id, `admin`, or a 2026-07-28 (stateless) chain `mcp2026/<user>/<endpoint>/<server>/<day>`"),
    }),
    async run({ db }, data) {
      return verifyAudit(db, data);
    },
  }),
  defineAction({
    code: 7005,
    name: "GET_CALL_STATS",
    summary:
      "Counts the calls (tools/call, prompts/get, resources/read) of the last hours from the audit trail: per hour by decision (allow, deny, or approval: held for an approval request) and outcome, the busiest servers and tools, and the servers whose allowed calls failed, with the last error. The Console's overview chart.",
    returns:
      "`{since, hours, buckets: [{hour, total, byDecision: {allow, deny, approval}, byOutcome: {ok, error}}], topServers: [{serverId, calls, errors}], topTools: [{serverId, tool, calls}], failingServers: [{serverId, errors, calls, lastError, lastErrorAt}]}` (tops: at most 10)",
    input: z.strictObject({
      hours: z.number().int().min(1).max(168).default(24).describe("How many whole hours back, the current one included (at most a week)"),
      serverId: auditFilterFields.serverId,
    }),
    async run({ db }, data) {
      return callStats(db, data);
    },
  }),
];
