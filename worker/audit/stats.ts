import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { rowsOf } from "../db/rows.ts";
import { REPLAYED_METHODS } from "../policy/simulate.ts";

/** How a call was decided: by the policy alone, or through an approval request (approved or rejected). */
export type CallDecision = "allow" | "deny" | "approval";

export interface HourBucket {
  /** The hour's start, ISO 8601. */
  hour: string;
  total: number;
  byDecision: Record<CallDecision, number>;
  byOutcome: { ok: number; error: number };
}

export interface CallStats {
  since: string;
  hours: number;
  buckets: HourBucket[];
  topServers: { serverId: string; calls: number; errors: number }[];
  topTools: { serverId: string; tool: string; calls: number }[];
  /** Servers with allowed calls that failed: the server or the gateway's path to it, not a policy refusal. */
  failingServers: { serverId: string; errors: number; calls: number; lastError: string | null; lastErrorAt: string }[];
}

const TOP = 10;
const HOUR_MS = 3_600_000;

interface StatsRow {
  grouped_by: "hour" | "server" | "tool";
  hour: string | null;
  kind: CallDecision | null;
  outcome: "ok" | "error" | null;
  server_id: string | null;
  method: string | null;
  name: string | null;
  calls: number;
  failures: number;
  last_error: string | null;
  last_error_at: string | null;
}

/**
 * The calls (tools/call, prompts/get, resources/read) of the last `hours`, counted in one pass over the
 * audit table with grouping sets: per hour and decision and outcome, per server, per tool.
 */
export async function callStats(db: Database, options: { hours: number; serverId?: string | undefined; now?: number }): Promise<CallStats> {
  const now = options.now ?? Date.now();
  // Whole hours, so the first bucket is as complete as the others.
  const firstHour = Math.floor(now / HOUR_MS) * HOUR_MS - (options.hours - 1) * HOUR_MS;
  const since = new Date(firstHour).toISOString();
  const methods = sql.join(
    REPLAYED_METHODS.map((method) => sql`${method}`),
    sql`, `,
  );
  const result = await db.execute(sql`
    with calls as (
      select date_trunc('hour', ts at time zone 'UTC') as hour,
             case when approval_id is not null then 'approval' else decision end as kind,
             outcome, server_id, method, name, ts, error_message,
             (outcome = 'error' and decision = 'allow') as failed
        from audit_records
       where ts >= ${since} and method in (${methods})
         and (${options.serverId ?? null}::text is null or server_id = ${options.serverId ?? null})
    )
    select case when grouping(hour) = 0 then 'hour' when grouping(name) = 0 then 'tool' else 'server' end as grouped_by,
           to_char(hour, 'YYYY-MM-DD"T"HH24:00:00.000"Z"') as hour, kind, outcome, server_id, method, name,
           count(*)::int as calls,
           count(*) filter (where failed)::int as failures,
           (array_agg(error_message order by ts desc) filter (where failed))[1] as last_error,
           max(ts) filter (where failed) as last_error_at
      from calls
     group by grouping sets ((hour, kind, outcome), (server_id), (server_id, method, name))
  `);
  const rows = rowsOf(result) as unknown as StatsRow[];

  const buckets: HourBucket[] = Array.from({ length: options.hours }, (_, index) => ({
    hour: new Date(firstHour + index * HOUR_MS).toISOString(),
    total: 0,
    byDecision: { allow: 0, deny: 0, approval: 0 },
    byOutcome: { ok: 0, error: 0 },
  }));
  const bucketOf = new Map(buckets.map((bucket) => [bucket.hour, bucket]));
  const servers: CallStats["topServers"] = [];
  const failing: CallStats["failingServers"] = [];
  const tools: CallStats["topTools"] = [];
  for (const row of rows) {
    if (row.grouped_by === "hour") {
      const bucket = bucketOf.get(row.hour ?? "");
      if (!bucket || row.kind === null || row.outcome === null) continue;
      bucket.total += row.calls;
      bucket.byDecision[row.kind] += row.calls;
      bucket.byOutcome[row.outcome] += row.calls;
    } else if (row.server_id === null) {
      continue; // a call that routed to no server (an unknown name) has nothing to rank
    } else if (row.grouped_by === "server") {
      servers.push({ serverId: row.server_id, calls: row.calls, errors: row.failures });
      if (row.failures > 0 && row.last_error_at !== null) {
        failing.push({ serverId: row.server_id, errors: row.failures, calls: row.calls, lastError: row.last_error, lastErrorAt: new Date(row.last_error_at).toISOString() });
      }
    } else if (row.method === "tools/call" && row.name !== null) {
      tools.push({ serverId: row.server_id, tool: row.name, calls: row.calls });
    }
  }
  const byCalls = (a: { calls: number }, b: { calls: number }) => b.calls - a.calls;
  return {
    since,
    hours: options.hours,
    buckets,
    topServers: servers.sort(byCalls).slice(0, TOP),
    topTools: tools.sort(byCalls).slice(0, TOP),
    failingServers: failing.sort((a, b) => b.errors - a.errors).slice(0, TOP),
  };
}
