import type { AuditFields } from "../audit/record.ts";

/**
 * Counters for Workers Analytics Engine, when an `ANALYTICS` dataset is bound (docs/deployment.md).
 * Index by server so per-server queries are cheap; blobs and doubles carry what dashboards group by.
 */
export function analyticsPoint(fields: AuditFields): AnalyticsEngineDataPoint {
  return {
    indexes: [fields.serverId ?? "-"],
    blobs: [fields.method, fields.serverId ?? "", fields.name ?? "", fields.outcome, fields.decision, fields.userId ?? "owner"],
    doubles: [fields.latencyMs, fields.responseBytes, fields.errorCode ?? 0],
  };
}
