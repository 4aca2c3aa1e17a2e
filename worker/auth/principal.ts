import type { UserRole } from "../db/schema.ts";

/** Who is calling, after authentication. The bootstrap owner key has no user row behind it. */
export type Principal =
  | { via: "owner-key"; role: "owner"; userId: null }
  | UserPrincipal;

export type UserPrincipal = KeyPrincipal | DelegatedPrincipal;

/** The user's own credential: their API key, or an access token exchanged for it at /auth/token. */
export interface KeyPrincipal {
  via: "api-key" | "access-token";
  role: UserRole;
  userId: string;
  keyId: string;
}

/** An access token an OAuth client obtained with the user's consent: it reaches only the MCP resource it names. */
export interface DelegatedPrincipal {
  via: "oauth";
  role: UserRole;
  userId: string;
  grantId: string;
  clientId: string;
  /**
   * The API key the user signed in with (null through the OIDC provider), as authentication read it:
   * rotating that key ends the grant, and the MCP sessions opened with it.
   */
  keyId?: string | null;
}

/** A stable name for a principal, for binding sessions and for audit. */
export function principalSubject(principal: Principal): string {
  return principal.userId ?? "owner";
}
