import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { users } from "../../db/schema.ts";
import type { AppContext, HonoEnv } from "../../http/context.ts";
import { sha256Hex } from "../crypto.ts";
import { issuerOf } from "../token-audience.ts";
import { findClient } from "./clients.ts";
import { showConsent } from "./consent.ts";
import { OAuthError } from "./errors.ts";
import { singleValues } from "./form.ts";
import { onPage } from "./responses.ts";
import { type AuthorizationRequest, readTicket, signTicket } from "./ticket.ts";
import { newAttempt, oidcConfig, type OidcConfig, upstreamAuthorizationUrl, upstreamEmail } from "./upstream-oidc.ts";

/**
 * The attempt's nonce and PKCE verifier stay in this browser (an HttpOnly cookie, sent back only to the
 * callback); the state the provider round-trips names the attempt by hash, so a callback URL replayed in
 * another browser, or one an attacker started (login CSRF), finds no cookie that matches.
 */
const ATTEMPT_COOKIE = "peta_oidc_attempt";
const CALLBACK_PATH = "/authorize/callback";

export async function startUpstreamSignIn(c: AppContext, issuer: string, request: AuthorizationRequest): Promise<Response> {
  const config = requireConfig(c);
  const attempt = newAttempt();
  const cookie = `${attempt.nonce}.${attempt.verifier}`;
  const state = await signTicket(c.env.JWT_SIGNING_KEY, issuer, request, { subject: await attemptSubject(cookie) }, "upstream");
  const url = await upstreamAuthorizationUrl(config, c.env, `${issuer}${CALLBACK_PATH}`, state, attempt);
  // Lax: the provider's redirect back is a top-level GET from another site, which Lax still lets through.
  setCookie(c, ATTEMPT_COOKIE, cookie, { httpOnly: true, secure: issuer.startsWith("https:"), sameSite: "Lax", path: CALLBACK_PATH, maxAge: 600 });
  c.header("Cache-Control", "no-store");
  return c.redirect(url, 303);
}

/** `GET /authorize/callback`: the provider's answer; a verified email of an active user leads to the consent page. */
export const upstreamCallback = new Hono<HonoEnv>().get("/", (c) =>
  onPage(c, async () => {
    const config = requireConfig(c);
    const issuer = issuerOf(c.env, c.req.url);
    const params = singleValues(new URL(c.req.url).searchParams);
    if (params.error) throw new OAuthError("access_denied", `The identity provider refused the sign-in: ${params.error}`);
    const cookie = getCookie(c, ATTEMPT_COOKIE);
    deleteCookie(c, ATTEMPT_COOKIE, { path: CALLBACK_PATH });
    const { request, subject } = await readTicket(c.env.JWT_SIGNING_KEY, issuer, params.state ?? "", "upstream");
    const [nonce, verifier] = (cookie ?? "").split(".");
    if (!cookie || !nonce || !verifier || subject !== (await attemptSubject(cookie))) {
      throw new OAuthError("invalid_request", "This sign-in was started in another browser or has expired: start again from your client");
    }
    if (!params.code) throw new OAuthError("invalid_request", "The identity provider sent no code");
    const email = await upstreamEmail(config, c.env, `${issuer}${CALLBACK_PATH}`, params.code, { nonce, verifier });
    const db = c.get("db")();
    const [user] = await db.select({ id: users.id }).from(users).where(and(eq(users.email, email), eq(users.status, "active"))).limit(1);
    if (!user) throw new OAuthError("access_denied", `No active user of this gateway has the email ${email}: ask its owner to add you`);
    return showConsent(c, db, issuer, request, await findClient(db, c.env, request.clientId), { subject: user.id, keyId: null });
  }),
);

function requireConfig(c: AppContext): OidcConfig {
  const config = oidcConfig(c.env);
  if (!config) throw new OAuthError("invalid_request", "No identity provider is configured on this gateway: sign in with your API key");
  return config;
}

async function attemptSubject(cookie: string): Promise<string> {
  return `attempt:${await sha256Hex(cookie)}`;
}
