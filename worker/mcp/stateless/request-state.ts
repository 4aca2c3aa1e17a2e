import { base64Url } from "../../auth/crypto.ts";
import { derivedMac } from "../../auth/derived-mac.ts";
import { decodeBase64Url } from "../../vault/base64.ts";

const PURPOSE = "peta-core mcp 2026 requestState";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * What an `input_required` answer's `requestState` binds: the downstream call held open for it, the
 * bridge holding it, who asked and what they asked, and when it stops being accepted. It names no
 * secret and no argument: the call stays in the bridge (memory, and its questions in held-store.ts).
 */
export interface RequestState {
  /** The held call's id inside its bridge. */
  call: string;
  /** The bridge Durable Object's name: a state is honoured only by the bridge that issued it. */
  bridge: string;
  /** principalSubject() of the caller: someone else's retry is refused. */
  subject: string;
  method: string;
  name: string | null;
  /** Unix milliseconds after which the state is refused as expired. */
  expiresAt: number;
}

export type StateCheck = { ok: true; state: RequestState } | { ok: false; reason: "invalid" | "expired" };

/** `<payload>.<mac>`, both base64url: tamper-evident (HMAC under a key derived from JWT_SIGNING_KEY), not secret. */
export async function sealRequestState(secret: string, state: RequestState): Promise<string> {
  const payload = encoder.encode(JSON.stringify(state));
  return `${base64Url(payload)}.${base64Url(await derivedMac(secret, PURPOSE, payload))}`;
}

export async function openRequestState(secret: string, token: unknown, now = Date.now()): Promise<StateCheck> {
  if (typeof token !== "string") return { ok: false, reason: "invalid" };
  const [encoded, mac, extra] = token.split(".");
  if (!encoded || !mac || extra !== undefined) return { ok: false, reason: "invalid" };
  const payload = decodeBase64Url(encoded);
  const presented = decodeBase64Url(mac);
  if (!payload || !presented) return { ok: false, reason: "invalid" };
  const expected = await derivedMac(secret, PURPOSE, payload);
  if (presented.length !== expected.length || !crypto.subtle.timingSafeEqual(presented, expected)) return { ok: false, reason: "invalid" };
  const state = JSON.parse(decoder.decode(payload)) as RequestState;
  return state.expiresAt <= now ? { ok: false, reason: "expired" } : { ok: true, state };
}
