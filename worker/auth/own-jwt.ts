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

/** The payload of a valid JWT we signed for this purpose and one of `audiences`, or null for any other. */
export async function verifyOwnJwt(
  signingKeySource: string,
  token: string,
  purpose: JwtPurpose & { audiences: string[] },
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
      requiredClaims: ["sub", "exp"],
    });
    return payload;
  } catch (error) {
    if (error instanceof errors.JOSEError) return null;
    throw error;
  }
}
