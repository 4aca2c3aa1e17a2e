// An OAuth client as MCP clients are: the official SDK's auth() with an in-memory OAuthClientProvider,
// and a "browser" that fills in the gateway's sign-in and consent pages as a user would.
import { exports } from "cloudflare:workers";
import { auth, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { MemoryProvider, REDIRECT_URI } from "../support/memory-oauth-provider.ts";
import type { OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { expect } from "vitest";
import { ORIGIN, request } from "./gateway.ts";

export { MemoryProvider, REDIRECT_URI };

export const gatewayFetch = (input: string | URL | Request, init?: RequestInit) => exports.default.fetch(new Request(input, init));


export function runAuth(provider: OAuthClientProvider, options: { path?: string; authorizationCode?: string } = {}) {
  return auth(provider, { serverUrl: `${ORIGIN}${options.path ?? "/mcp"}`, authorizationCode: options.authorizationCode, fetchFn: gatewayFetch });
}

export function ticketOf(page: string): string {
  const match = /name="ticket" value="([^"]+)"/.exec(page);
  if (!match?.[1]) throw new Error(`no ticket on the page:\n${page}`);
  return match[1];
}

export function postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return request(path, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(fields) });
}

/** A form on the gateway's own page, as a browser sends it: with the page's origin. */
export function submitPage(fields: Record<string, string>): Promise<Response> {
  return postForm("/authorize", fields, { origin: ORIGIN });
}

/** Opens an /authorize URL as a browser would, without following the redirect back to the client. */
export function openAuthorization(url: URL): Promise<Response> {
  return request(`${url.pathname}${url.search}`, { redirect: "manual" });
}

export interface Consent {
  signInPage: string;
  consentPage: string;
  /** Where the gateway sent the browser after the user's decision. */
  redirect: URL;
}

/** Opens the authorization URL, signs in with the API key and approves (or denies), as a user would. */
export async function signInAndConsent(authorizationUrl: URL, apiKey: string, decision: "approve" | "deny" = "approve"): Promise<Consent> {
  const opened = await openAuthorization(authorizationUrl);
  const signInPage = await opened.text();
  expect(opened.status, signInPage).toBe(200);
  const signedIn = await submitPage({ ticket: ticketOf(signInPage), step: "sign-in", api_key: apiKey });
  const consentPage = await signedIn.text();
  expect(signedIn.status, consentPage).toBe(200);
  const decided = await submitPage({ ticket: ticketOf(consentPage), step: decision });
  expect(decided.status, await decided.clone().text()).toBe(303);
  return { signInPage, consentPage, redirect: new URL(decided.headers.get("location") ?? "") };
}

/** The whole interactive flow through the SDK: discovery, registration, PKCE, consent, code exchange. */
export async function authorizeThroughSdk(provider: MemoryProvider, apiKey: string, path?: string): Promise<Consent & { tokens: OAuthTokens }> {
  expect(await runAuth(provider, { path })).toBe("REDIRECT");
  const consent = await signInAndConsent(provider.authorizationUrl as URL, apiKey);
  const code = consent.redirect.searchParams.get("code");
  expect(code).toBeTruthy();
  expect(await runAuth(provider, { path, authorizationCode: code as string })).toBe("AUTHORIZED");
  return { ...consent, tokens: provider.saved as OAuthTokens };
}

export function tokenRequest(fields: Record<string, string>): Promise<Response> {
  return postForm("/token", fields);
}
