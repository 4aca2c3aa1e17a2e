import { importJWK, type JWK } from "jose";
import { AppError } from "../http/errors.ts";

const SUPPORTED_ALGS = new Set(["ES256", "ES384", "EdDSA", "Ed25519", "RS256", "PS256"]);
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

export interface SigningKeyRing {
  /** The first key signs new tokens. */
  active: { kid: string; alg: string; key: CryptoKey };
  /** Every key's public half, by kid: tokens signed by a retiring key stay valid until they expire. */
  verifiers: Map<string, { alg: string; key: CryptoKey }>;
  publicJwks: JWK[];
}

let cached: { source: string; ring: Promise<SigningKeyRing> } | undefined;

/**
 * `JWT_SIGNING_KEY` is one private JWK, or a JSON array of them for rotation (newest first).
 * Parsing and importing happens once per isolate.
 */
export function loadSigningKeys(source: string): Promise<SigningKeyRing> {
  if (cached?.source !== source) cached = { source, ring: importRing(source) };
  return cached.ring;
}

async function importRing(source: string): Promise<SigningKeyRing> {
  const jwks = parseJwks(source);
  const verifiers = new Map<string, { alg: string; key: CryptoKey }>();
  const publicJwks: JWK[] = [];
  let active: SigningKeyRing["active"] | undefined;
  for (const jwk of jwks) {
    const { kid, alg } = jwk as { kid: string; alg: string };
    // A second key under one kid would silently replace the first one's verifier.
    if (verifiers.has(kid)) throw misconfigured(`the kid "${kid}" appears twice`);
    const publicJwk = toPublicJwk(jwk);
    verifiers.set(kid, { alg, key: (await importJWK(publicJwk, alg)) as CryptoKey });
    publicJwks.push({ ...publicJwk, use: "sig" });
    active ??= { kid, alg, key: (await importJWK(jwk, alg)) as CryptoKey };
  }
  if (!active) throw misconfigured("it holds no key");
  return { active, verifiers, publicJwks };
}

function parseJwks(source: string): JWK[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    throw misconfigured("it is not JSON");
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((entry: unknown, index) => {
    if (typeof entry !== "object" || entry === null) throw misconfigured(`entry ${index} is not a JWK object`);
    const jwk = entry as JWK;
    if (typeof jwk.kid !== "string" || jwk.kid === "") throw misconfigured(`entry ${index} has no "kid"`);
    if (typeof jwk.alg !== "string" || !SUPPORTED_ALGS.has(jwk.alg)) {
      throw misconfigured(`entry ${index} needs "alg", one of ${[...SUPPORTED_ALGS].join(", ")}`);
    }
    if (typeof jwk.d !== "string") throw misconfigured(`entry ${index} is not a private key`);
    return jwk;
  });
}

function toPublicJwk(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  delete copy.key_ops;
  return copy as JWK;
}

// The message names what is wrong, never the key material.
function misconfigured(why: string): AppError {
  return new AppError("INTERNAL", `JWT_SIGNING_KEY is misconfigured: ${why}`);
}
