import type { UserRole } from "../db/schema.ts";

/** Who is calling, after authentication. The bootstrap owner key has no user row behind it. */
export type Principal =
  | { via: "owner-key"; role: "owner"; userId: null }
  | UserPrincipal;

export interface UserPrincipal {
  via: "api-key" | "access-token";
  role: UserRole;
  userId: string;
  keyId: string;
}

/** A stable name for a principal, for binding sessions and for audit. */
export function principalSubject(principal: Principal): string {
  return principal.userId ?? "owner";
}
