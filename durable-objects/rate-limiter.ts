import { DurableObject } from "cloudflare:workers";
import type { AppEnv } from "../worker/env.ts";
import { SlidingWindowLimiter, type TakeResult } from "../worker/policy/rate-limit.ts";

/**
 * One instance per user (`idFromName(userId)`): every session and isolate of the user counts against the
 * same SQLite-backed windows, so a limit holds globally. Keys name what is limited, e.g. "calls" or
 * "calls:<serverId>:<tool>" for a rule's per-tool limit, or "bytes" for request bodies (`cost`: their size).
 * A door without a user yet (`/register`) counts in one instance per client address instead
 * (`client-ip:<address>`, policy/client-ip-limit.ts).
 */
export class RateLimiter extends DurableObject<AppEnv> {
  readonly #limiter: SlidingWindowLimiter;

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    this.#limiter = new SlidingWindowLimiter(ctx.storage.sql);
  }

  take(key: string, limitPerMinute: number, cost = 1): TakeResult {
    return this.#limiter.take(key, limitPerMinute, Date.now(), cost);
  }
}
