import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { effectiveRateLimit, SlidingWindowLimiter, WINDOW_MS } from "./rate-limit.ts";

/** Runs `check` inside a fresh limiter object, whose storage may only be touched from there. */
function withLimiter(check: (limiter: SlidingWindowLimiter) => void): Promise<void> {
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.newUniqueId());
  return runInDurableObject(stub, (_instance, state) => check(new SlidingWindowLimiter(state.storage.sql)));
}

describe("SlidingWindowLimiter", () => {
  it("allows up to the limit per minute, then says when to retry", () =>
    withLimiter((l) => {
    const t0 = 10 * WINDOW_MS;
    for (let i = 0; i < 3; i++) expect(l.take("calls", 3, t0 + i)).toMatchObject({ ok: true, remaining: 2 - i });
    const refused = l.take("calls", 3, t0 + 10);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBeGreaterThan(WINDOW_MS - 10);
    expect(l.take("other", 3, t0 + 10).ok).toBe(true);
    }));

  it("weights the previous minute, so no burst of twice the limit at the boundary", () =>
    withLimiter((l) => {
    const t0 = 20 * WINDOW_MS;
    for (let i = 0; i < 4; i++) l.take("k", 4, t0 + WINDOW_MS - 100);
    // Just after the boundary the previous minute still counts almost fully.
    const early = l.take("k", 4, t0 + WINDOW_MS + 1000);
    expect(early.ok).toBe(false);
    if (!early.ok) {
      expect(early.retryAfterMs).toBeGreaterThan(0);
      expect(l.take("k", 4, t0 + WINDOW_MS + 1000 + early.retryAfterMs).ok).toBe(true);
    }
    expect(l.take("k", 4, t0 + 3 * WINDOW_MS).ok).toBe(true);
    }));

  it("counts a cost (a body's bytes) against the limit, and says when that much would pass", () =>
    withLimiter((l) => {
    const t0 = 30 * WINDOW_MS;
    expect(l.take("bytes", 1000, t0, 600)).toMatchObject({ ok: true, remaining: 400 });
    // A smaller cost still fits in what is left; a larger one does not.
    expect(l.take("bytes", 1000, t0 + 10, 400)).toMatchObject({ ok: true, remaining: 0 });
    const refused = l.take("bytes", 1000, t0 + 20, 600);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(l.take("bytes", 1000, t0 + 20 + refused.retryAfterMs - 1, 600).ok).toBe(false);
      expect(l.take("bytes", 1000, t0 + 20 + refused.retryAfterMs, 600).ok).toBe(true);
    }
    }));

  it("is one count for every caller of a user's object", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`user-${crypto.randomUUID()}`));
    const results = await Promise.all(Array.from({ length: 5 }, () => stub.take("calls", 3)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
  });
});

describe("rate limit helpers", () => {
  it("takes the user's limit, else the gateway's, and none for the owner key", () => {
    expect(effectiveRateLimit({ id: "u", rateLimitPerMinute: 5 }, "600")).toBe(5);
    expect(effectiveRateLimit({ id: "u", rateLimitPerMinute: null }, "120")).toBe(120);
    expect(effectiveRateLimit({ id: "u", rateLimitPerMinute: null }, "nonsense")).toBe(600);
    expect(effectiveRateLimit({ id: null, rateLimitPerMinute: null }, "120")).toBeNull();
  });
});
