import { describe, expect, it } from "vitest";
import { openRequestState, type RequestState, sealRequestState } from "./request-state.ts";

const SECRET = "test-secret-for-request-state";
const state: RequestState = { call: "c1", bridge: "u/*/alpha", subject: "u", method: "tools/call", name: "alpha__ask", expiresAt: Date.now() + 60_000 };

describe("requestState", () => {
  it("opens what it sealed, and only that", async () => {
    const token = await sealRequestState(SECRET, state);
    expect(await openRequestState(SECRET, token)).toEqual({ ok: true, state });
    const [payload, mac] = token.split(".");
    const forged = btoa(JSON.stringify({ ...state, subject: "someone-else" })).replaceAll("=", "");
    expect(await openRequestState(SECRET, `${forged}.${mac}`)).toEqual({ ok: false, reason: "invalid" });
    expect(await openRequestState(SECRET, `${payload}.${mac!.slice(0, -2)}AA`)).toEqual({ ok: false, reason: "invalid" });
    expect(await openRequestState("another-deployment", token)).toEqual({ ok: false, reason: "invalid" });
    for (const junk of [undefined, 42, "", "a.b.c", "no-dot"]) expect(await openRequestState(SECRET, junk)).toEqual({ ok: false, reason: "invalid" });
  });

  it("refuses a state past its expiry", async () => {
    const token = await sealRequestState(SECRET, { ...state, expiresAt: 1000 });
    expect(await openRequestState(SECRET, token, 999)).toMatchObject({ ok: true });
    expect(await openRequestState(SECRET, token, 1000)).toEqual({ ok: false, reason: "expired" });
  });
});
