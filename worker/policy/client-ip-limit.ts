import type { AppEnv } from "../env.ts";
import { parseIp } from "./cidr.ts";
import type { TakeResult } from "./rate-limit.ts";

/**
 * Counts one request of a door that has no user yet (`what`, e.g. "register") against its caller's
 * address, in the rate-limiter object of that address. An IPv6 client commonly holds a whole /64, so the
 * /64 is the address here; a request without CF-Connecting-IP (local development only) shares one count.
 */
export function takeForClientIp(env: AppEnv, ip: string | null, what: string, limitPerMinute: number): Promise<TakeResult> {
  return env.RATE_LIMITER.getByName(`client-ip:${clientIpBucket(ip)}`).take(what, limitPerMinute);
}

function clientIpBucket(ip: string | null): string {
  const parsed = ip === null ? null : parseIp(ip);
  if (!parsed) return "unknown";
  if (parsed.family === 4) return parsed.value.toString();
  return `${(parsed.value >> 64n).toString(16)}::/64`;
}
