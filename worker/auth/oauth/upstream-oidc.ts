import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { base64Url, randomBase64Url, sha256 } from "../crypto.ts";
import { OAuthError } from "./errors.ts";
import { fetchTargetProblem } from "./ssrf-guard.ts";

/** The owner's OpenID Connect provider (Google, Entra ID, Okta, …), when OIDC_ISSUER and its client are set. */
export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  displayName: string;
}

export function oidcConfig(env: AppEnv): OidcConfig | null {
  const issuer = (env.OIDC_ISSUER ?? "").replace(/\/+$/, "");
  if (!issuer || !env.OIDC_CLIENT_ID || !env.OIDC_CLIENT_SECRET) return null;
  return { issuer, clientId: env.OIDC_CLIENT_ID, clientSecret: env.OIDC_CLIENT_SECRET, displayName: env.OIDC_DISPLAY_NAME || new URL(issuer).host };
}

const discoverySchema = z.object({
  issuer: z.string().describe("Must equal OIDC_ISSUER (OpenID Connect Discovery §4.3)"),
  authorization_endpoint: z.string().url().describe("Where the user signs in"),
  token_endpoint: z.string().url().describe("Where the gateway redeems the provider's code"),
  jwks_uri: z.string().url().describe("The keys that sign ID tokens"),
});
type Discovery = z.infer<typeof discoverySchema>;

const idTokenClaimsSchema = z.object({
  email: z.string().email().describe("Maps the sign-in to a gateway user"),
  email_verified: z.boolean().optional().describe("A provider that says false is not trusted with the address"),
  nonce: z.string().describe("Binds the ID token to this sign-in"),
});

const tokenResponseSchema = z.object({ id_token: z.string().describe("The provider's signed statement of who signed in") });

interface Discovered {
  issuer: string;
  discovery: Promise<Discovery>;
  /** jose caches the provider's keys and refetches them when an unknown kid appears (key rotation). */
  jwks: Promise<ReturnType<typeof createRemoteJWKSet>>;
}

let discovered: Discovered | undefined;

/** Discovery is fetched once per isolate; a failed one is forgotten so the next sign-in tries again. */
function discover(config: OidcConfig, env: AppEnv): Discovered {
  if (discovered?.issuer !== config.issuer) {
    const discovery = fetchDiscovery(config, env);
    const entry: Discovered = { issuer: config.issuer, discovery, jwks: discovery.then((d) => createRemoteJWKSet(new URL(d.jwks_uri))) };
    discovery.catch(() => {
      if (discovered === entry) discovered = undefined;
    });
    entry.jwks.catch(() => {});
    discovered = entry;
  }
  return discovered;
}

async function fetchDiscovery(config: OidcConfig, env: AppEnv): Promise<Discovery> {
  const problem = fetchTargetProblem(config.issuer, { allowLoopback: env.OAUTH_ALLOW_LOOPBACK_CLIENTS === "true" });
  if (problem) throw upstreamError(`OIDC_ISSUER ${problem}`);
  const response = await fetch(`${config.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
  const parsed = discoverySchema.safeParse(response?.ok ? await response.json().catch(() => null) : null);
  if (!parsed.success) throw upstreamError("its discovery document could not be read");
  if (parsed.data.issuer.replace(/\/+$/, "") !== config.issuer) throw upstreamError("its discovery document names another issuer");
  return parsed.data;
}

function upstreamError(why: string): OAuthError {
  return new OAuthError("access_denied", `Sign-in through the identity provider failed: ${why}`);
}

/** What the gateway must remember across the provider's redirect; kept in a cookie of this browser only. */
export interface UpstreamAttempt {
  nonce: string;
  verifier: string;
}

export function newAttempt(): UpstreamAttempt {
  return { nonce: randomBase64Url(16), verifier: randomBase64Url(32) };
}

/** The provider's authorization URL for one sign-in, with its own PKCE and nonce. */
export async function upstreamAuthorizationUrl(config: OidcConfig, env: AppEnv, callbackUri: string, state: string, attempt: UpstreamAttempt): Promise<string> {
  const { authorization_endpoint } = await discover(config, env).discovery;
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: callbackUri,
    scope: "openid email",
    state,
    nonce: attempt.nonce,
    code_challenge: base64Url(await sha256(attempt.verifier)),
    code_challenge_method: "S256",
  }).toString();
  return url.href;
}

/** Redeems the provider's code and returns the verified email of whoever signed in. */
export async function upstreamEmail(config: OidcConfig, env: AppEnv, callbackUri: string, code: string, attempt: UpstreamAttempt): Promise<string> {
  const entry = discover(config, env);
  const { token_endpoint } = await entry.discovery;
  const jwks = await entry.jwks;
  const response = await fetch(token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`)}` },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: callbackUri, code_verifier: attempt.verifier }),
    signal: AbortSignal.timeout(10_000),
  }).catch(() => null);
  const tokens = tokenResponseSchema.safeParse(response?.ok ? await response.json().catch(() => null) : null);
  if (!tokens.success) throw upstreamError(`its token endpoint refused the code (HTTP ${response?.status ?? "no answer"})`);
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(tokens.data.id_token, jwks, { issuer: config.issuer, audience: config.clientId }));
  } catch (error) {
    if (error instanceof errors.JOSEError) throw upstreamError(`its ID token did not verify (${error.code})`);
    throw error;
  }
  const claims = idTokenClaimsSchema.safeParse(payload);
  if (!claims.success) throw upstreamError("its ID token carries no email");
  if (claims.data.nonce !== attempt.nonce) throw upstreamError("its ID token belongs to another sign-in");
  if (claims.data.email_verified === false) throw upstreamError(`it has not verified ${claims.data.email}`);
  return claims.data.email.toLowerCase();
}
