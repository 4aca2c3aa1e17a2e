import { base64Url, sha256 } from "../crypto.ts";

/** RFC 7636 §4.1: 43–128 unreserved characters. A challenge is a base64url SHA-256: exactly 43. */
export const CODE_VERIFIER_PATTERN = /^[A-Za-z0-9._~-]{43,128}$/;
export const CODE_CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** S256 only: the verifier's base64url SHA-256 must equal the challenge sent with the authorization request. */
export async function verifierMatches(verifier: string, challenge: string): Promise<boolean> {
  if (!CODE_VERIFIER_PATTERN.test(verifier)) return false;
  return base64Url(await sha256(verifier)) === challenge;
}
