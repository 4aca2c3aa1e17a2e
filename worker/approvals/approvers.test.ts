import { describe, expect, it } from "vitest";
import type { Principal } from "../auth/principal.ts";
import { effectiveStatus, mayDecide } from "./store.ts";

const user = (userId: string, role: "user" | "admin" = "user"): Principal => ({ via: "api-key", role, userId, keyId: "k" });
const owner: Principal = { via: "owner-key", role: "owner", userId: null };

describe("who may decide", () => {
  it("lets owners and admins decide anything", () => {
    expect(mayDecide(owner, { userId: "u1", approvers: ["u9"] })).toBe(true);
    expect(mayDecide(user("a1", "admin"), { userId: "u1", approvers: ["u9"] })).toBe(true);
  });

  it("lets the requester decide only when the rule names self", () => {
    expect(mayDecide(user("u1"), { userId: "u1", approvers: ["self"] })).toBe(true);
    expect(mayDecide(user("u1"), { userId: "u1", approvers: ["admin"] })).toBe(false);
    expect(mayDecide(user("u2"), { userId: "u1", approvers: ["self"] })).toBe(false);
  });

  it("lets named users and roles decide", () => {
    expect(mayDecide(user("u2"), { userId: "u1", approvers: ["u2"] })).toBe(true);
    expect(mayDecide(user("u3"), { userId: "u1", approvers: ["user"] })).toBe(true);
    expect(mayDecide(user("u3"), { userId: "u1", approvers: ["u2"] })).toBe(false);
  });

  it("never treats the owner key's own request as the self of a user", () => {
    expect(mayDecide(user("u1"), { userId: null, approvers: ["self"] })).toBe(false);
  });
});

describe("effective status", () => {
  const now = new Date("2026-12-02T10:00:00Z");
  it("reads a pending request past its expiry as expired, and leaves decided ones alone", () => {
    expect(effectiveStatus({ status: "pending", expiresAt: new Date("2026-12-02T09:59:59Z") }, now)).toBe("expired");
    expect(effectiveStatus({ status: "pending", expiresAt: new Date("2026-12-02T10:00:01Z") }, now)).toBe("pending");
    expect(effectiveStatus({ status: "approved", expiresAt: new Date("2026-12-02T09:00:00Z") }, now)).toBe("approved");
  });
});
