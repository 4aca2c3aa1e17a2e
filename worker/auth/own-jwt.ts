import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { loadSigningKeys } from "./signing-keys.ts";

export interface JwtPurpose {
  /** The `typ` header: it keeps one kind of our tokens from being accepted as another. */
  typ: string;
  issuer: string;
}

export interface SignOptions extends JwtPurpose {
  audience: string;
  subject: string;
  ttlSeconds: number;
}

/** Signs with the active key of JWT_SIGNING_KEY; the kid lets verification pick the key after a rotation. */
export async function signOwnJwt(signingKeySource: string, claims: JWTPayload, options: SignOptions): Promise<string> {
  const { active } = await loadSigningKeys(signingKeySource);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: active.alg, kid: active.kid, typ: options.typ })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`)
    .setJti(crypto.randomUUID())
    .sign(active.key);
}

/** Tolerated difference between the clocks of the isolate that signed a token and the one that checks it. */
const CLOCK_SKEW_SECONDS = 60;

/**
 * The payload of a valid JWT we signed for this purpose and one of `audiences`, or null for any other.
 * `maxLifetimeSeconds` refuses a token that claims to live longer than we ever issue one for.
 */
export async function verifyOwnJwt(
  signingKeySource: string,
  token: string,
  purpose: JwtPurpose & { audiences: string[]; maxLifetimeSeconds?: number },
): Promise<JWTPayload | null> {
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
      typ: purpose.typ,
      issuer: purpose.issuer,
      audience: purpose.audiences,
      requiredClaims: ["sub", "exp", "iat"],
    });
    const lifetime = purpose.maxLifetimeSeconds;
    if (lifetime !== undefined && (payload.exp! - payload.iat! > lifetime || payload.exp! - Date.now() / 1000 > lifetime + CLOCK_SKEW_SECONDS)) return null;
    return payload;
  } catch (error) {
    if (error instanceof errors.JOSEError) return null;
    throw error;
  }
}
