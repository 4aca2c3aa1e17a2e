import type { AuditFields } from "../audit/record.ts";

const MAX_BLOB_CHARS = 256;

/**
 * Counters for Workers Analytics Engine, when an `ANALYTICS` dataset is bound (docs/deployment.md).
 * Index by server so per-server queries are cheap; blobs and doubles carry what dashboards group by.
 */
export function analyticsPoint(fields: AuditFields): AnalyticsEngineDataPoint {
  return {
    indexes: [fields.serverId ?? "-"],
    // A name comes from the client, and a data point's blobs are limited in size: keep them short.
    blobs: [fields.method, fields.serverId ?? "", fields.name ?? "", fields.outcome, fields.decision, fields.userId ?? "owner"].map((blob) => blob.slice(0, MAX_BLOB_CHARS)),
    doubles: [fields.latencyMs, fields.responseBytes, fields.errorCode ?? 0],
  };
}
