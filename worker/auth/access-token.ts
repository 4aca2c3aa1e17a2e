import { signOwnJwt, verifyOwnJwt } from "./own-jwt.ts";

/** Short enough that a stolen token is worth little; the key (or grant) and its user are checked when a session opens. */
export const ACCESS_TOKEN_TTL_SECONDS = 900;

const ACCESS_TOKEN_TYP = "at+jwt";

export interface TokenAudience {
  issuer: string;
  /** The resource the token is minted for. */
  audience: string;
}

export interface AcceptedAudiences {
  issuer: string;
  audiences: string[];
}

export type AccessTokenClaims = KeyTokenClaims | GrantTokenClaims;

export interface KeyTokenClaims {
  userId: string;
  /** The API key that was exchanged: rotating or deleting it revokes the tokens it minted. */
  keyId: string;
}

/** A token issued to an OAuth client (RFC 9068's `client_id`): revoking the grant revokes the tokens it minted. */
export interface GrantTokenClaims {
  userId: string;
  grantId: string;
  clientId: string;
}

export function mintAccessToken(signingKeySource: string, where: TokenAudience, claims: AccessTokenClaims): Promise<string> {
  const binding = "grantId" in claims ? { grant_id: claims.grantId, client_id: claims.clientId } : { key_id: claims.keyId };
  return signOwnJwt(signingKeySource, binding, { typ: ACCESS_TOKEN_TYP, ...where, subject: claims.userId, ttlSeconds: ACCESS_TOKEN_TTL_SECONDS });
}

/** Returns the claims of a valid token, or null for any token we did not issue or that no longer holds. */
export async function verifyAccessToken(
  signingKeySource: string,
  where: AcceptedAudiences,
  token: string,
): Promise<AccessTokenClaims | null> {
  // We never issue a longer-lived token, so one that claims to be was not minted here as it stands.
  const payload = await verifyOwnJwt(signingKeySource, token, { typ: ACCESS_TOKEN_TYP, ...where, maxLifetimeSeconds: ACCESS_TOKEN_TTL_SECONDS });
  if (!payload) return null;
  const { sub, key_id: keyId, grant_id: grantId, client_id: clientId } = payload;
  if (typeof sub !== "string") return null;
  if (typeof keyId === "string") return { userId: sub, keyId };
  if (typeof grantId === "string" && typeof clientId === "string") return { userId: sub, grantId, clientId };
  return null;
}
