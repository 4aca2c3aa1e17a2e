import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { admin, callAction, createUser, type CreatedUser, mcpStatus, ORIGIN, request, sql } from "./gateway.ts";
import { runScheduledPrune } from "../../worker/audit/scheduled.ts";
import { connectClient, listAll, registerServer } from "./mcp-client.ts";
import { authorizeThroughSdk, MemoryProvider, openAuthorization, postForm, REDIRECT_URI, runAuth, signInAndConsent, submitPage, ticketOf, tokenRequest } from "./oauth-flow.ts";

let alice: CreatedUser;
let alpha: string;
let beta: string;

beforeAll(async () => {
  alice = await createUser({ name: "Alice OAuth" });
  alpha = await registerServer("alpha");
  beta = await registerServer("beta");
});

function mcpAt(path: string, token: string): Promise<Response> {
  return request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }),
  });
}

/** POST /register; from an address of its own when given, since registrations are limited per address. */
function register(body: unknown, ip?: string): Promise<Response> {
  return request("/register", { method: "POST", headers: { "content-type": "application/json", ...(ip ? { "cf-connecting-ip": ip } : {}) }, body: JSON.stringify(body) });
}

async function oauthAudit(grantId: string): Promise<{ method: string; outcome: string; arguments: unknown }[]> {
  return sql(`select method, outcome, arguments from audit_records where chain_id = 'admin' and arguments->>'grantId' = $1 order by seq`, [grantId]);
}

describe("discovery", () => {
  it("names the authorization server in the protected-resource metadata of /mcp and of each /mcp/<id>", async () => {
    const aggregate = await (await request("/.well-known/oauth-protected-resource")).json();
    expect(aggregate).toMatchObject({ resource: `${ORIGIN}/mcp`, authorization_servers: [ORIGIN] });
    const one = await (await request(`/.well-known/oauth-protected-resource/mcp/${alpha}`)).json();
    expect(one).toMatchObject({ resource: `${ORIGIN}/mcp/${alpha}`, authorization_servers: [ORIGIN] });
    expect((await request("/.well-known/oauth-protected-resource/admin")).status).toBe(404);
    const challenge = (await request(`/mcp/${alpha}`, { method: "POST" })).headers.get("www-authenticate");
    expect(challenge).toBe(`Bearer resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/mcp/${alpha}"`);
  });

  it("serves RFC 8414 metadata with S256 only, public clients, CIMD and the iss parameter", async () => {
    const metadata = await (await request("/.well-known/oauth-authorization-server")).json();
    expect(metadata).toMatchObject({
      issuer: ORIGIN,
      authorization_endpoint: `${ORIGIN}/authorize`,
      token_endpoint: `${ORIGIN}/token`,
      registration_endpoint: `${ORIGIN}/register`,
      revocation_endpoint: `${ORIGIN}/revoke`,
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none"],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
    });
  });
});

describe("the SDK's OAuth flow with dynamic registration", () => {
  it("registers, consents, calls /mcp, refreshes with rotation, and a reused refresh token revokes the family", async () => {
    const provider = new MemoryProvider({ name: "Acme Agent" });
    const { consentPage, redirect, tokens } = await authorizeThroughSdk(provider, alice.apiKey);
    expect(provider.client?.client_id).toMatch(/^dcr_/);
    // The consent page says who asks (a self-chosen name, marked unverified), where it sends you and what it reaches.
    expect(consentPage).toContain("Acme Agent");
    expect(consentPage).toContain("not verified");
    expect(consentPage).toContain("127.0.0.1:33418");
    expect(consentPage).toContain("every MCP server you may use");
    expect(consentPage).toContain("Alice OAuth");
    // It says where to revoke in words a person follows, with a link, and wears the shared stylesheet (no inline style).
    expect(consentPage).toContain('You can revoke this on your <a href="/desk">Desk page</a>');
    expect(consentPage).not.toContain("LIST_MY_CONSENTS");
    expect(consentPage).toContain('<link rel="stylesheet" href="/ui/ui.css">');
    expect(consentPage).not.toContain("<style>");
    expect(redirect.searchParams.get("iss")).toBe(ORIGIN);
    expect(redirect.searchParams.get("state")).toMatch(/^state-/);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);

    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ aud: `${ORIGIN}/mcp`, sub: alice.userId, client_id: provider.client?.client_id });
    expect(tokens.refresh_token).toMatch(/^prt_/);
    const { client } = await connectClient({ credential: tokens.access_token });
    const names = (await listAll(client, "tools")).map((tool) => String(tool.name));
    expect(names.some((name) => name.startsWith(`${alpha}__`))).toBe(true);
    await client.close();

    // The SDK refreshes when it holds a refresh token; the old one is spent and a new one issued.
    const first = tokens.refresh_token as string;
    expect(await runAuth(provider)).toBe("AUTHORIZED");
    const second = provider.saved?.refresh_token as string;
    expect(second).not.toBe(first);
    expect((await mcpStatus(provider.saved?.access_token)).status).toBe(200);

    const clientId = provider.client?.client_id as string;
    const reuse = await tokenRequest({ grant_type: "refresh_token", refresh_token: first, client_id: clientId });
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: "invalid_grant" });
    // The whole family is gone: the newest refresh token and every access token with it.
    expect((await tokenRequest({ grant_type: "refresh_token", refresh_token: second, client_id: clientId })).status).toBe(400);
    expect((await mcpStatus(provider.saved?.access_token)).status).toBe(401);
    expect((await mcpStatus(tokens.access_token)).status).toBe(401);

    const grantId = claims.grant_id as string;
    const records = await oauthAudit(grantId);
    expect(records.map((r) => `${r.method}:${r.outcome}`)).toEqual([
      "oauth/GRANT:ok",
      "oauth/REDEEM_CODE:ok",
      "oauth/REFRESH:ok",
      "oauth/REFRESH:error",
      "oauth/REFRESH_REUSE:ok",
      // The newest token's refused attempt, after the family was revoked, is on record too.
      "oauth/REFRESH:error",
    ]);
    const everything = JSON.stringify(await sql(`select * from audit_records where arguments->>'grantId' = $1`, [grantId]));
    for (const secret of [first, second, tokens.access_token, alice.apiKey, redirect.searchParams.get("code") as string]) expect(everything).not.toContain(secret);
    const stored = JSON.stringify(await sql(`select * from oauth_refresh_tokens where grant_id = $1`, [grantId]));
    expect(stored).not.toContain(first);
  });

  it("refuses the registration of unsafe redirect URIs and bad metadata with OAuth errors", async () => {
    const insecure = await register({ redirect_uris: ["http://evil.example/cb"] });
    expect(insecure.status).toBe(400);
    expect(await insecure.json()).toMatchObject({ error: "invalid_redirect_uri" });
    expect(await (await register({ client_name: "no redirects" })).json()).toMatchObject({ error: "invalid_client_metadata" });
    expect(await (await register({ redirect_uris: [REDIRECT_URI], grant_types: ["password"] })).json()).toMatchObject({ error: "invalid_client_metadata" });
    const notJson = await request("/register", { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(await notJson.json()).toMatchObject({ error: "invalid_client_metadata" });
  });
});

describe("registration limits", () => {
  const registerFrom = (ip: string) => register({ client_name: "flood", redirect_uris: [REDIRECT_URI] }, ip);

  it("answers 429 with Retry-After past 10 registrations a minute from one address, or one IPv6 /64", async () => {
    for (const [first, last, other] of [
      ["198.51.100.21", "198.51.100.21", "198.51.100.22"],
      ["2001:db8:7:7::1", "2001:db8:7:7:ffff::9", "2001:db8:7:8::1"],
    ] as const) {
      for (let i = 0; i < 10; i += 1) expect((await registerFrom(first)).status, `${first} #${i + 1}`).toBe(201);
      const limited = await registerFrom(last);
      expect(limited.status, last).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await limited.json()).toMatchObject({ error: "temporarily_unavailable", error_description: expect.stringContaining("Too many registrations") });
      // Another address is not held up by the first one's flood.
      expect((await registerFrom(other)).status, other).toBe(201);
    }
  });

  it("prunes, in the daily cron run, registered clients never used after a day, and keeps used and recent ones", async () => {
    const register = async () => ((await (await registerFrom("198.51.100.30")).json()) as { client_id: string }).client_id;
    const [unused, recent, used] = [await register(), await register(), await register()];
    const { redirect } = await signInAndConsent(
      new URL(`${ORIGIN}/authorize?${new URLSearchParams({ response_type: "code", client_id: used, redirect_uri: REDIRECT_URI, code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" })}`),
      alice.apiKey,
    );
    expect(redirect.searchParams.get("code")).toBeTruthy();
    await sql(`update oauth_clients set created_at = now() - interval '25 hours', fetched_at = now() - interval '25 hours' where client_id = any($1)`, [[unused, used]]);
    await runScheduledPrune({ ...env, AUDIT_RETENTION_DAYS: "0" });
    const left = (await sql<{ client_id: string }>(`select client_id from oauth_clients where client_id = any($1)`, [[unused, recent, used]])).map((row) => row.client_id);
    expect(left.sort()).toEqual([recent, used].sort());
    const gone = await openAuthorization(new URL(`${ORIGIN}/authorize?client_id=${unused}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`));
    expect(await gone.text()).toContain("Unknown client_id");
  });
});

describe("the SDK's OAuth flow with a Client ID Metadata Document", () => {
  const documentUrl = (name: string) => `${inject("clientMetadataOrigin")}/clients/${name}.json?redirect=${encodeURIComponent(REDIRECT_URI)}`;

  it("fetches the document, names its host on the consent page, and the user's revocation ends access at once", async () => {
    const clientId = documentUrl("claude-like");
    const provider = new MemoryProvider({ clientId });
    const { consentPage, tokens } = await authorizeThroughSdk(provider, alice.apiKey);
    expect(consentPage).toContain("claude-like");
    expect(consentPage).toContain(new URL(clientId).host);
    expect(consentPage).not.toContain("not verified");
    expect(decodeJwt(tokens.access_token).client_id).toBe(clientId);
    expect((await mcpStatus(tokens.access_token)).status).toBe(200);
    // A session opened with the client's token checks no grant per request: the revocation is pushed to it.
    const { client: open } = await connectClient({ credential: tokens.access_token });
    expect((await open.listTools()).tools.length).toBeGreaterThan(0);

    const listed = await callAction<{ consents: { grantId: string; clientId: string; clientHost: string; verified: boolean }[] }>("/user", 1201, {}, alice.apiKey);
    const mine = listed.body.data?.consents.find((consent) => consent.clientId === clientId);
    expect(mine).toMatchObject({ clientHost: new URL(clientId).host, verified: true });

    const revoked = await callAction("/user", 1202, { grantId: mine?.grantId }, alice.apiKey);
    expect(revoked.body).toMatchObject({ success: true, data: { revoked: true } });
    expect((await mcpStatus(tokens.access_token)).status).toBe(401);
    await expect(open.listTools()).rejects.toThrow();
    await open.close();
    const refresh = await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token as string, client_id: clientId });
    expect(await refresh.json()).toMatchObject({ error: "invalid_grant" });
    expect((await callAction("/user", 1202, { grantId: mine?.grantId }, alice.apiKey)).status).toBe(404);
    const after = await callAction<{ consents: { grantId: string }[] }>("/user", 1201, {}, alice.apiKey);
    expect(after.body.data?.consents.some((consent) => consent.grantId === mine?.grantId)).toBe(false);
  });

  it("caches a fetched document instead of fetching it for every request", async () => {
    const origin = inject("clientMetadataOrigin");
    const clientId = documentUrl("cached-once");
    const open = () => openAuthorization(new URL(`${ORIGIN}/authorize?${new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT_URI, code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" })}`));
    expect((await open()).status).toBe(200);
    expect((await open()).status).toBe(200);
    expect(await (await fetch(`${origin}/fetches?path=/clients/cached-once.json`)).json()).toBe(1);
  });

  it("refuses documents that are too large, too slow, redirect, claim another client_id, or sit on a private address", async () => {
    const origin = inject("clientMetadataOrigin");
    for (const [clientId, why] of [
      [`${origin}/huge.json`, "larger than"],
      [`${origin}/moved.json`, "HTTP 302"],
      [`${origin}/impostor.json`, "not its own URL"],
      [`${origin}/slow.json`, "no answer within"],
      [`${origin}/nul.json`, "client_name: contains a NUL character"],
      ["https://10.0.0.8/client.json", "private"],
      ["https://169.254.169.254/latest/meta-data/client.json", "private"],
    ] as const) {
      const page = await request(`/authorize?response_type=code&client_id=${encodeURIComponent(clientId)}&redirect_uri=${encodeURIComponent("http://127.0.0.1/cb")}`);
      expect(page.status, clientId).toBe(400);
      expect(await page.text(), clientId).toContain(why);
    }
  });
});

describe("refusals", () => {
  let clientId: string;
  const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

  beforeAll(async () => {
    const reply = await register({ client_name: "raw", redirect_uris: [REDIRECT_URI] });
    clientId = ((await reply.json()) as { client_id: string }).client_id;
  });

  function authorizeUrl(extra: Record<string, string> = {}): URL {
    return new URL(`${ORIGIN}/authorize?${new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: "S256", state: "s1", ...extra })}`);
  }

  async function freshCode(extra: Record<string, string> = {}): Promise<string> {
    const { redirect } = await signInAndConsent(authorizeUrl(extra), alice.apiKey);
    return redirect.searchParams.get("code") as string;
  }

  const redeem = (code: string, extra: Record<string, string> = {}) =>
    tokenRequest({ grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier, client_id: clientId, ...extra });

  it("refuses a replayed code and revokes what the first redemption issued", async () => {
    const code = await freshCode();
    const first = await redeem(code);
    expect(first.status).toBe(200);
    const { access_token } = (await first.json()) as { access_token: string };
    const replay = await redeem(code);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "invalid_grant" });
    expect((await mcpStatus(access_token)).status).toBe(401);
    expect((await oauthAudit(decodeJwt(access_token).grant_id as string)).map((r) => r.method)).toContain("oauth/CODE_REPLAY");
  });

  it("refuses a wrong verifier, another redirect URI and another client at the token endpoint", async () => {
    const code = await freshCode();
    const wrongVerifier = await redeem(code, { code_verifier: `${verifier.slice(0, -1)}Y` });
    expect(await wrongVerifier.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("code_verifier") });
    const otherRedirect = await redeem(code, { redirect_uri: "http://127.0.0.1:33418/other" });
    expect(await otherRedirect.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("redirect_uri") });
    expect(await (await redeem(code, { client_id: "dcr_someone_else" })).json()).toMatchObject({ error: "invalid_grant" });
    // None of them spent the code: the rightful client still redeems it.
    expect((await redeem(code)).status).toBe(200);
    expect(await (await tokenRequest({ grant_type: "password", username: "a", password: "b" })).json()).toMatchObject({ error: "unsupported_grant_type" });
    expect(await (await redeem("no-such-code")).json()).toMatchObject({ error: "invalid_grant" });
  });

  it("shows a mismatched redirect URI or an unknown client on a page and never redirects to it", async () => {
    const mismatched = await openAuthorization(authorizeUrl({ redirect_uri: "https://evil.example/cb" }));
    expect(mismatched.status).toBe(400);
    expect(mismatched.headers.get("location")).toBeNull();
    expect(await mismatched.text()).toContain("redirect_uri");
    const unknown = await request(`/authorize?response_type=code&client_id=dcr_nobody&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`);
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get("x-frame-options")).toBe("DENY");
  });

  it("sends PKCE plain, a foreign resource and a denial back to the client with iss and state", async () => {
    for (const [extra, error] of [
      [{ code_challenge_method: "plain" }, "invalid_request"],
      [{ resource: "https://elsewhere.example/mcp" }, "invalid_target"],
      [{ response_type: "token" }, "unsupported_response_type"],
    ] as const) {
      const answer = await openAuthorization(authorizeUrl(extra));
      expect(answer.status).toBe(303);
      const location = new URL(answer.headers.get("location") ?? "");
      expect(location.searchParams.get("error")).toBe(error);
      expect(location.searchParams.get("iss")).toBe(ORIGIN);
      expect(location.searchParams.get("state")).toBe("s1");
    }
    const { redirect } = await signInAndConsent(authorizeUrl(), alice.apiKey, "deny");
    expect(redirect.searchParams.get("error")).toBe("access_denied");
    expect(redirect.searchParams.get("code")).toBeNull();
  });

  async function consentTicket(): Promise<string> {
    const signIn = ticketOf(await (await openAuthorization(authorizeUrl())).text());
    return ticketOf(await (await submitPage({ ticket: signIn, step: "sign-in", api_key: alice.apiKey })).text());
  }

  const grantsOfClient = async () => Number((await sql<{ n: string }>(`select count(*) as n from oauth_grants where client_id = $1`, [clientId]))[0]?.n);

  it("makes one grant of a consent page however often it is sent, and none once it was denied", async () => {
    const ticket = await consentTicket();
    const before = await grantsOfClient();
    // Five at once, as a replaying attacker (or a double click) would send them: one wins, atomically.
    const answers = await Promise.all(Array.from({ length: 5 }, () => submitPage({ ticket, step: "approve" })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([303, 400, 400, 400, 400]);
    const refused = answers.find((answer) => answer.status === 400) as Response;
    expect(await refused.text()).toContain("already used");
    expect(refused.headers.get("location")).toBeNull();
    expect(await grantsOfClient()).toBe(before + 1);
    expect((await submitPage({ ticket, step: "approve" })).status).toBe(400);
    expect(await grantsOfClient()).toBe(before + 1);

    const denied = await consentTicket();
    expect((await submitPage({ ticket: denied, step: "deny" })).status).toBe(303);
    const afterDenial = await submitPage({ ticket: denied, step: "approve" });
    expect(afterDenial.status).toBe(400);
    expect(await afterDenial.text()).toContain("already used");
    expect(await grantsOfClient()).toBe(before + 1);
  });

  it("refuses a sign-in or consent form sent from another origin, with an error page, and grants nothing", async () => {
    const signIn = ticketOf(await (await openAuthorization(authorizeUrl())).text());
    // "null" is what a sandboxed frame or a page with Referrer-Policy: no-referrer sends.
    for (const origin of ["https://evil.example", "null", "http://localhost:6274"]) {
      const refused = await postForm("/authorize", { ticket: signIn, step: "sign-in", api_key: alice.apiKey }, { origin });
      expect(refused.status, origin).toBe(403);
      expect(refused.headers.get("x-frame-options")).toBe("DENY");
      const page = await refused.text();
      expect(page, origin).toContain("another site");
      expect(page).not.toContain(alice.apiKey);
    }
    const ticket = await consentTicket();
    const before = await grantsOfClient();
    const forged = await postForm("/authorize", { ticket, step: "approve" }, { origin: "https://evil.example" });
    expect(forged.status).toBe(403);
    expect(forged.headers.get("location")).toBeNull();
    expect(await grantsOfClient()).toBe(before);
    // The refused form did not spend the page: the user's own approval still goes through.
    const approved = await submitPage({ ticket, step: "approve" });
    expect(approved.status).toBe(303);
    expect(new URL(approved.headers.get("location") ?? "").searchParams.get("code")).toBeTruthy();
  });

  it("refuses a NUL character in any parameter or registered metadata as invalid input, never a 500", async () => {
    const page = await openAuthorization(authorizeUrl({ client_id: `${clientId}\u0000` }));
    expect(page.status).toBe(400);
    expect(await page.text()).toContain("client_id: contains a NUL character");
    expect((await openAuthorization(authorizeUrl({ state: "s\u0000" }))).status).toBe(400);
    for (const body of [
      { client_name: "evil\u0000name", redirect_uris: [REDIRECT_URI] },
      { client_name: "ok", client_uri: "https://x.example/\u0000", redirect_uris: [REDIRECT_URI] },
      { redirect_uris: [`${REDIRECT_URI}\u0000`] },
      { redirect_uris: [REDIRECT_URI], "\u0000": 1 },
    ]) {
      const refused = await register(body, "198.51.100.40");
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(await refused.json()).toMatchObject({ error: "invalid_client_metadata", error_description: expect.stringContaining("NUL character") });
    }
    for (const [path, fields] of [
      ["/token", { grant_type: "authorization_code", code: "c\u0000", redirect_uri: REDIRECT_URI, code_verifier: verifier, client_id: clientId }],
      ["/token", { grant_type: "refresh_token", refresh_token: "prt_x", client_id: `${clientId}\u0000` }],
      ["/revoke", { token: "t\u0000", client_id: clientId }],
    ] as const) {
      const refused = await postForm(path, fields);
      expect(refused.status, path).toBe(400);
      expect(await refused.json()).toMatchObject({ error: "invalid_request" });
    }
    expect((await postForm("/authorize", { ticket: "t\u0000", step: "approve" })).status).toBe(400);
  });

  it("refuses a wrong API key on the sign-in page and a tampered ticket", async () => {
    const ticket = ticketOf(await (await openAuthorization(authorizeUrl())).text());
    const wrong = await postForm("/authorize", { ticket, step: "sign-in", api_key: "pk_wrong" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("not valid");
    // A sign-in ticket is not a consent: approving without signing in grants nothing.
    expect((await postForm("/authorize", { ticket, step: "approve" })).status).toBe(400);
    expect((await postForm("/authorize", { ticket: `${ticket.slice(0, -2)}xx`, step: "approve" })).status).toBe(400);
    // Nor is a ticket an access token.
    expect((await mcpStatus(ticket)).status).toBe(401);
  });

  it("binds a token to the resource it was asked for: /mcp/<id> only, never /mcp, another server, /user or /admin", async () => {
    const code = await freshCode({ resource: `${ORIGIN}/mcp/${alpha}` });
    const reply = (await (await redeem(code, { resource: `${ORIGIN}/mcp/${alpha}` })).json()) as { access_token: string; refresh_token: string };
    expect(decodeJwt(reply.access_token).aud).toBe(`${ORIGIN}/mcp/${alpha}`);
    expect((await mcpAt(`/mcp/${alpha}`, reply.access_token)).status).toBe(200);
    expect((await mcpAt("/mcp", reply.access_token)).status).toBe(401);
    expect((await mcpAt(`/mcp/${beta}`, reply.access_token)).status).toBe(401);
    expect((await callAction("/user", 1201, {}, reply.access_token)).status).toBe(401);
    expect((await admin(1011, {}, reply.access_token)).status).toBe(401);
    // A refresh cannot widen it either.
    const widened = await tokenRequest({ grant_type: "refresh_token", refresh_token: reply.refresh_token, client_id: clientId, resource: `${ORIGIN}/mcp` });
    expect(await widened.json()).toMatchObject({ error: "invalid_target" });
  });

  it("ends the grants made with an API key when that key is rotated, as it ends the tokens minted from it", async () => {
    const bob = await createUser({ name: "Bob Rotates" });
    const { redirect } = await signInAndConsent(authorizeUrl(), bob.apiKey);
    const tokens = (await (await redeem(redirect.searchParams.get("code") as string)).json()) as { access_token: string; refresh_token: string };
    expect((await mcpStatus(tokens.access_token)).status).toBe(200);
    expect((await admin(1017, { userId: bob.userId })).status).toBe(200);
    expect((await mcpStatus(tokens.access_token)).status).toBe(401);
    expect(await (await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: clientId })).json()).toMatchObject({ error: "invalid_grant" });
  });

  it("drops codes, refresh tokens and spent consent tickets past their expiry in the daily cron run, and keeps live ones", async () => {
    const expired = (await (await redeem(await freshCode())).json()) as { access_token: string; refresh_token: string };
    const live = (await (await redeem(await freshCode())).json()) as { access_token: string; refresh_token: string };
    const grantOf = (token: string) => decodeJwt(token).grant_id as string;
    await sql(`update oauth_refresh_tokens set expires_at = now() - interval '1 minute' where grant_id = $1`, [grantOf(expired.access_token)]);
    await sql(`update oauth_codes set expires_at = now() - interval '1 minute' where grant_id = $1`, [grantOf(expired.access_token)]);
    await sql(`insert into oauth_spent_tickets (ticket_id, expires_at) values ('expired-ticket', now() - interval '1 minute'), ('live-ticket', now() + interval '5 minutes')`);
    // The cron run's own function, with audit retention off so no other test file's audit records are pruned.
    await runScheduledPrune({ ...env, AUDIT_RETENTION_DAYS: "0" });
    expect(await sql(`select 1 from oauth_refresh_tokens where grant_id = $1`, [grantOf(expired.access_token)])).toEqual([]);
    expect(await sql(`select 1 from oauth_codes where grant_id = $1`, [grantOf(expired.access_token)])).toEqual([]);
    expect(await sql(`select ticket_id from oauth_spent_tickets where ticket_id like '%-ticket'`)).toEqual([{ ticket_id: "live-ticket" }]);
    expect(await sql(`select 1 from oauth_refresh_tokens where grant_id = $1`, [grantOf(live.access_token)])).toHaveLength(1);
    expect((await tokenRequest({ grant_type: "refresh_token", refresh_token: live.refresh_token, client_id: clientId })).status).toBe(200);
  });

  it("revokes the whole grant at /revoke, by refresh token or access token, and answers 200 to anything", async () => {
    const tokens = (await (await redeem(await freshCode())).json()) as { access_token: string; refresh_token: string };
    expect((await postForm("/revoke", { token: tokens.refresh_token, client_id: clientId })).status).toBe(200);
    expect((await mcpStatus(tokens.access_token)).status).toBe(401);
    const other = (await (await redeem(await freshCode())).json()) as { access_token: string; refresh_token: string };
    expect((await postForm("/revoke", { token: other.access_token })).status).toBe(200);
    expect(await (await tokenRequest({ grant_type: "refresh_token", refresh_token: other.refresh_token, client_id: clientId })).json()).toMatchObject({ error: "invalid_grant" });
    expect((await postForm("/revoke", { token: "garbage" })).status).toBe(200);
    expect((await oauthAudit(decodeJwt(other.access_token).grant_id as string)).map((r) => r.method)).toContain("oauth/REVOKE");
  });
});
