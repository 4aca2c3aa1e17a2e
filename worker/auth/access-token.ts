import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from "jose";
import { loadSigningKeys } from "./signing-keys.ts";

/** Short enough that a stolen token is worth little; the key and its user are checked when a session opens. */
export const ACCESS_TOKEN_TTL_SECONDS = 900;
/** Tolerated difference between the clocks of the isolate that minted a token and the one that checks it. */
const CLOCK_SKEW_SECONDS = 60;

export interface TokenAudience {
  issuer: string;
  audience: string;
}

export interface AccessTokenClaims {
  userId: string;
  /** The API key that was exchanged: rotating or deleting it revokes the tokens it minted. */
  keyId: string;
}

export async function mintAccessToken(
  signingKeySource: string,
  where: TokenAudience,
  claims: AccessTokenClaims,
): Promise<string> {
  const { active } = await loadSigningKeys(signingKeySource);
  return new SignJWT({ key_id: claims.keyId })
    .setProtectedHeader({ alg: active.alg, kid: active.kid, typ: "at+jwt" })
    .setIssuer(where.issuer)
    .setAudience(where.audience)
    .setSubject(claims.userId)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
    .setJti(crypto.randomUUID())
    .sign(active.key);
}

/** Returns the claims of a valid token, or null for any token we did not issue or that no longer holds. */
export async function verifyAccessToken(
  signingKeySource: string,
  where: TokenAudience,
  token: string,
): Promise<AccessTokenClaims | null> {
  const { verifiers } = await loadSigningKeys(signingKeySource);
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return null;
  }
  const verifier = kid ? verifiers.get(kid) : undefined;
  if (!verifier) return null;
  try {
    // Pinning the algorithm to the key's own rules out `alg: none` and algorithm confusion.
    const { payload } = await jwtVerify(token, verifier.key, {
      algorithms: [verifier.alg],
      issuer: where.issuer,
      audience: where.audience,
      requiredClaims: ["sub", "exp", "iat", "key_id"],
      typ: "at+jwt",
    });
    if (typeof payload.sub !== "string" || typeof payload.key_id !== "string") return null;
    // We never issue a longer-lived token, so one that claims to be was not minted here as it stands.
    if (payload.exp! - payload.iat! > ACCESS_TOKEN_TTL_SECONDS || payload.exp! - Date.now() / 1000 > ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS) return null;
    return { userId: payload.sub, keyId: payload.key_id };
  } catch (error) {
    if (error instanceof errors.JOSEError) return null;
    throw error;
  }
}
