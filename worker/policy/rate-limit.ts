/**
 * A per-minute limit as a sliding window counter: the current minute's count plus the previous
 * minute's, weighted by how much of it still lies within the last 60 s. Two integers per key and
 * minute, so it fits SQLite storage and never bursts to twice the limit at a minute boundary.
 */
export const WINDOW_MS = 60_000;

export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterMs: number };

/** The slice of Durable Object SQLite storage the limiter uses. */
export type LimiterStorage = Pick<SqlStorage, "exec">;

export class SlidingWindowLimiter {
  readonly #sql: LimiterStorage;

  constructor(sql: LimiterStorage) {
    this.#sql = sql;
    sql.exec("create table if not exists rate_windows (key text not null, start integer not null, count integer not null, primary key (key, start))");
  }

  /**
   * Counts `cost` (one call, or a body's bytes) against `key` if the limit allows it; otherwise says when
   * it would pass. A cost above the whole limit never passes: its callers cap what one request may cost.
   */
  take(key: string, limitPerMinute: number, now: number = Date.now(), cost = 1): TakeResult {
    const start = now - (now % WINDOW_MS);
    const elapsed = now - start;
    this.#sql.exec("delete from rate_windows where key = ? and start < ?", key, start - WINDOW_MS);
    let current = 0;
    let previous = 0;
    for (const row of this.#sql.exec("select start, count from rate_windows where key = ?", key).toArray()) {
      if (row.start === start) current = Number(row.count);
      else previous = Number(row.count);
    }
    const estimate = previous * (1 - elapsed / WINDOW_MS) + current;
    if (estimate + cost > limitPerMinute) return { ok: false, retryAfterMs: retryAfter(limitPerMinute, previous, current, elapsed, cost) };
    this.#sql.exec(
      "insert into rate_windows (key, start, count) values (?, ?, ?) on conflict (key, start) do update set count = count + excluded.count",
      key,
      start,
      cost,
    );
    return { ok: true, remaining: Math.max(0, Math.floor(limitPerMinute - estimate - cost)) };
  }
}

/** How long until `previous`'s weight has shrunk enough for `cost` more (after a window roll if need be). */
function retryAfter(limit: number, previous: number, current: number, elapsed: number, cost: number): number {
  if (current + cost <= limit) {
    // previous * (1 - (elapsed + t) / W) + current + cost <= limit
    return Math.max(1, Math.ceil(WINDOW_MS * (1 - (limit - cost - current) / previous) - elapsed));
  }
  // Next window: current becomes the previous one, weighted down from 1 as that window passes.
  return Math.max(1, Math.ceil(WINDOW_MS - elapsed + Math.max(0, WINDOW_MS * (1 - (limit - cost) / current))));
}

/** The user's own limit, else the gateway default; null for the owner key, which no limit binds. */
export function effectiveRateLimit(user: { id: string | null; rateLimitPerMinute: number | null }, gatewayDefault: string | undefined): number | null {
  if (user.id === null) return null;
  if (user.rateLimitPerMinute !== null) return user.rateLimitPerMinute;
  const parsed = Number(gatewayDefault);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : DEFAULT_RATE_LIMIT_PER_MINUTE;
}

/** The documented default of RATE_LIMIT_PER_MINUTE, used when the setting is missing or invalid. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
