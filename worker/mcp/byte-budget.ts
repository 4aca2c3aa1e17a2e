import type { PresentedCredential } from "../auth/credential.ts";
import type { AppEnv } from "../env.ts";
import type { McpConfig } from "./config.ts";
import { errorResponse, JSONRPC_ERRORS } from "./protocol.ts";
import { jsonRpcReply } from "./session/responses.ts";

/**
 * Request-body bytes per user per minute (RATE_LIMIT_BYTES_PER_MINUTE), counted in the user's rate-limit
 * object under "bytes", so one user's large payloads cannot take the isolate's time from everyone else.
 * The session (or the stateless front) counts each body once its user is known; the Worker then remembers
 * the refusal for that credential until it expires, so the flood that follows is refused from its headers,
 * before its bodies are read or anything else runs for them.
 */
const BYTES_KEY = "bytes";

/** Counts `bytes` against the user's budget; the refusal to send when it is spent, else null. The owner key has no budget. */
export async function takeBodyBytes(env: AppEnv, config: Pick<McpConfig, "bytesPerMinute">, userId: string | null, bytes: number): Promise<Response | null> {
  if (userId === null) return null;
  const taken = await env.RATE_LIMITER.getByName(userId).take(BYTES_KEY, config.bytesPerMinute, bytes);
  return taken.ok ? null : bytesRefusal(config.bytesPerMinute, taken.retryAfterMs);
}

function bytesRefusal(bytesPerMinute: number, retryAfterMs: number): Response {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const response = jsonRpcReply(
    errorResponse(
      null,
      JSONRPC_ERRORS.RATE_LIMITED,
      `Rate limited: this user sent more than ${bytesPerMinute} bytes of requests in the last minute (RATE_LIMIT_BYTES_PER_MINUTE); retry after ${seconds} s`,
      { retryAfterMs },
    ),
    429,
  );
  response.headers.set("Retry-After", String(seconds));
  return response;
}

/** Distinct credentials remembered at most; past it, the expired go, then the oldest. */
const MAX_REMEMBERED = 10_000;

/**
 * The isolate's memory of credentials whose user has spent their budget, until the time the limiter
 * named. Only a refusal the session or the front sent after checking the credential is learned, so a
 * forged credential can neither plant one nor read one (an API key is remembered with its secret's hash).
 */
export class SpentBudgets {
  readonly #until = new Map<string, { until: number; bytesPerMinute: number }>();

  /** The refusal for a credential whose budget is still spent, before its body is read; null to go on. */
  refusal(credential: PresentedCredential, now = Date.now()): Response | null {
    const key = credentialKey(credential);
    const spent = key === null ? undefined : this.#until.get(key);
    if (!spent) return null;
    if (spent.until <= now) {
      this.#until.delete(key!);
      return null;
    }
    return bytesRefusal(spent.bytesPerMinute, spent.until - now);
  }

  /** Learns from a response that `takeBodyBytes` may have sent (429 with Retry-After). */
  learn(credential: PresentedCredential, response: Response, bytesPerMinute: number, now = Date.now()): void {
    const key = credentialKey(credential);
    const retryAfter = Number(response.headers.get("retry-after"));
    if (key === null || response.status !== 429 || !(retryAfter > 0)) return;
    if (this.#until.size >= MAX_REMEMBERED) this.#prune(now);
    this.#until.set(key, { until: now + retryAfter * 1000, bytesPerMinute });
  }

  #prune(now: number): void {
    for (const [key, spent] of this.#until) if (spent.until <= now) this.#until.delete(key);
    // Insertion order: the first entries are the oldest.
    for (const key of this.#until.keys()) {
      if (this.#until.size < MAX_REMEMBERED) break;
      this.#until.delete(key);
    }
  }
}

/** One user's credential, as the Worker can name it without the database; null for the owner key. */
function credentialKey(credential: PresentedCredential): string | null {
  switch (credential.via) {
    case "owner-key":
      return null;
    case "api-key":
      return `key:${credential.keyId}:${credential.secretHash}`;
    case "access-token":
      return `token:${credential.keyId}:${credential.userId}`;
    case "oauth":
      return `grant:${credential.grantId}:${credential.userId}`;
  }
}
