// A client that knows only the /mcp URL gets in through OAuth against `npm run dev`: the official SDK's
// auth() and Client, a client metadata document on loopback, and the consent page clicked in Chromium.
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, launchChromium } from "../support/chromium.ts";
import { startClientMetadataServer, type MetadataServer } from "../support/client-metadata-server.ts";
import { startFixtureServer, stopServer, type RunningServer } from "../support/downstream-servers.ts";
import { formatDevVars, generateSecrets } from "../../scripts/lib/dev-vars.ts";
import { type DevProcess, freePort, makeDevProject, REPO_ROOT, startDev, stopDev, waitForHealthy } from "../support/dev-project.ts";
import { MemoryProvider } from "../support/memory-oauth-provider.ts";
import { type OidcProvider, startOidcProvider } from "../support/oidc-provider.ts";

const DEV_CLIENT_NAME = "Dev DCR client";



/** The client's redirect endpoint: a loopback listener, as a native MCP client runs one. */
async function startCallback(): Promise<{ uri: string; next(): Promise<URL>; close(): void }> {
  let deliver: ((url: URL) => void) | undefined;
  const server = http.createServer((req, res) => {
    res.end("You may close this window.");
    deliver?.(new URL(req.url ?? "/", "http://127.0.0.1"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    next: () => new Promise((resolve) => (deliver = resolve)),
    close: () => server.close(),
  };
}


// The same pages, submitted as forms: what the browser does, without one.
const ticketOf = (page: string) => /name="ticket" value="([^"]+)"/.exec(page)?.[1] ?? "";

describe("OAuth against npm run dev", () => {
  let dev: DevProcess;
  let origin = "";
  let ownerKey = "";
  let apiKey = "";
  let metadata: MetadataServer;
  let fixture: RunningServer;
  let idp: OidcProvider;

  beforeAll(async () => {
    const dir = makeDevProject();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider();
    // The owner configures an OIDC provider as docs/deployment.md says: its issuer, and the gateway's client there.
    const secrets = await generateSecrets();
    ownerKey = secrets.OWNER_KEY;
    const oidc = { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_DISPLAY_NAME: "Local IdP" };
    writeFileSync(join(dir, ".dev.vars"), `${formatDevVars(secrets)}${Object.entries(oidc).map(([name, value]) => `${name}='${value}'\n`).join("")}`);
    // wrangler reads from .dev.vars only the secrets wrangler.toml requires; an optional one comes as a --var.
    dev = startDev(dir, port, {}, ["--var", `OIDC_CLIENT_SECRET:${idp.clientSecret}`]);
    [metadata, fixture] = await Promise.all([startClientMetadataServer(), startFixtureServer("alpha"), waitForHealthy(dev, origin)]);
    const admin = (action: number, data: unknown) =>
      fetch(`${origin}/admin`, { method: "POST", headers: { authorization: `Bearer ${ownerKey}`, "content-type": "application/json" }, body: JSON.stringify({ action, data }) }).then((r) => r.json());
    const user = (await admin(1010, { name: "Dana Dev", email: "dana@example.test" })) as { data: { apiKey: string } };
    apiKey = user.data.apiKey;
    await admin(2010, { serverId: "alpha", transport: "streamable-http", url: fixture.url });
  });

  afterAll(async () => {
    await metadata?.close();
    await idp?.close();
    if (fixture) stopServer(fixture);
    await stopDev(dev);
  });

  const form = (fields: Record<string, string>) => fetch(`${origin}/authorize`, { method: "POST", redirect: "manual", body: new URLSearchParams(fields) });

  async function connect(provider: MemoryProvider): Promise<Client> {
    const client = new Client({ name: "oauth-dev-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { authProvider: provider }));
    return client;
  }

  it.skipIf(chromiumPath === "")("a CIMD client: consent clicked through in Chromium, a tool call, refresh, reuse detection", async () => {
    const callback = await startCallback();
    const clientId = `${metadata.origin}/clients/desk-agent.json?redirect=${encodeURIComponent(callback.uri)}`;
    const provider = new MemoryProvider({ redirectUrl: callback.uri, clientId, name: DEV_CLIENT_NAME });
    expect(await auth(provider, { serverUrl: `${origin}/mcp` })).toBe("REDIRECT");

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(String(provider.authorizationUrl));
      await page.fill("#api_key", apiKey);
      await page.click("button:has-text(\"Sign in\")");
      await page.waitForSelector("button[value=approve]");
      const consent = (await page.textContent("body")) ?? "";
      expect(consent).toContain("desk-agent");
      expect(consent).toContain(new URL(metadata.origin).host);
      expect(consent).toContain("Dana Dev");
      const redirected = callback.next();
      await page.click("button[value=approve]");
      const answer = await redirected;
      expect(answer.searchParams.get("iss")).toBe(origin);
      expect(await auth(provider, { serverUrl: `${origin}/mcp`, authorizationCode: answer.searchParams.get("code") ?? "" })).toBe("AUTHORIZED");
    } finally {
      await browser.close();
      callback.close();
    }

    const client = await connect(provider);
    const result = await client.callTool({ name: "alpha__echo", arguments: { text: "through OAuth" } });
    expect(JSON.stringify(result.content)).toContain("through OAuth");
    // The downstream server never sees the client's token, not even as a digest of a header it received.
    const seen = JSON.stringify((await client.callTool({ name: "alpha__whoami", arguments: {} })).content);
    const accessToken = provider.saved?.access_token ?? "";
    expect(seen).not.toContain(accessToken);
    expect(seen).not.toContain(createHash("sha256").update(`Bearer ${accessToken}`).digest("hex"));
    expect(seen).not.toContain(createHash("sha256").update(accessToken).digest("hex"));
    await client.close();

    const spent = provider.saved?.refresh_token ?? "";
    expect(await auth(provider, { serverUrl: `${origin}/mcp` })).toBe("AUTHORIZED");
    expect(provider.saved?.refresh_token).not.toBe(spent);
    const reuse = await fetch(`${origin}/token`, { method: "POST", body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: spent, client_id: clientId }) });
    expect(await reuse.json()).toMatchObject({ error: "invalid_grant" });
    // The grant is looked up when a session opens (open sessions are told of the revocation instead).
    const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "reuse", version: "1" } } };
    const refused = await fetch(`${origin}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${provider.saved?.access_token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(initialize),
    });
    expect(refused.status).toBe(401);
  });

  it("a DCR client: registered by the SDK, tools listed, and the user's revocation ends its access", async () => {
    const callback = "http://127.0.0.1:49999/callback";
    const provider = new MemoryProvider({ redirectUrl: callback, name: DEV_CLIENT_NAME });
    expect(await auth(provider, { serverUrl: `${origin}/mcp` })).toBe("REDIRECT");
    const signIn = await (await fetch(String(provider.authorizationUrl))).text();
    const consent = await (await form({ ticket: ticketOf(signIn), step: "sign-in", api_key: apiKey })).text();
    expect(consent).toContain(DEV_CLIENT_NAME);
    const approved = await form({ ticket: ticketOf(consent), step: "approve" });
    const code = new URL(approved.headers.get("location") ?? "").searchParams.get("code") ?? "";
    expect(await auth(provider, { serverUrl: `${origin}/mcp`, authorizationCode: code })).toBe("AUTHORIZED");

    const client = await connect(provider);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("alpha__echo");
    await client.close();

    const self = (action: number, data: unknown) =>
      fetch(`${origin}/user`, { method: "POST", headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" }, body: JSON.stringify({ action, data }) }).then((r) => r.json());
    const listed = (await self(1201, {})) as { data: { consents: { grantId: string; clientId: string }[] } };
    const mine = listed.data.consents.find((entry) => entry.clientId === provider.client?.client_id);
    expect(mine).toBeDefined();
    expect(await self(1202, { grantId: mine?.grantId })).toMatchObject({ success: true });
    await expect(connect(provider)).rejects.toThrow();
  });

  it.skipIf(chromiumPath === "")("refuses, in Chromium, a consent form another site posts, and grants nothing", async () => {
    const provider = new MemoryProvider({ redirectUrl: "http://127.0.0.1:49997/callback", name: DEV_CLIENT_NAME });
    expect(await auth(provider, { serverUrl: `${origin}/mcp` })).toBe("REDIRECT");
    const signIn = await (await fetch(String(provider.authorizationUrl))).text();
    const ticket = ticketOf(await (await form({ ticket: ticketOf(signIn), step: "sign-in", api_key: apiKey })).text());
    // A page on another origin that holds a consent ticket (leaked, say) and submits it in the user's browser.
    const attacker = http.createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<form method="post" action="${origin}/authorize"><input type="hidden" name="ticket" value="${ticket}"><button name="step" value="approve">Win a prize</button></form>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      const [answer] = await Promise.all([page.waitForResponse(`${origin}/authorize`), page.click("button")]);
      expect(answer.status()).toBe(403);
      expect(await page.textContent("body")).toContain("another site");
    } finally {
      await browser.close();
      attacker.close();
    }
    // The ticket was not spent by the refused form: only the user's own page could still use it.
    const approved = await form({ ticket, step: "approve" });
    expect(approved.status).toBe(303);
  });

  it("signs a user in through the owner's OIDC provider, matched by email, and refuses a callback from another browser", async () => {
    idp.email = "Dana@Example.test";
    const provider = new MemoryProvider({ redirectUrl: "http://127.0.0.1:49998/callback", name: DEV_CLIENT_NAME });
    expect(await auth(provider, { serverUrl: `${origin}/mcp` })).toBe("REDIRECT");
    const signIn = await (await fetch(String(provider.authorizationUrl))).text();
    expect(signIn).toContain("Sign in with Local IdP");
    const started = await form({ ticket: ticketOf(signIn), step: "upstream" });
    expect(started.status).toBe(303);
    const cookie = (started.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect(cookie).toMatch(/^peta_oidc_attempt=/);
    const atIdp = await fetch(started.headers.get("location") ?? "", { redirect: "manual" });
    const callback = atIdp.headers.get("location") ?? "";
    expect(callback.startsWith(`${origin}/authorize/callback?`)).toBe(true);

    // Without this browser's cookie the callback is worthless (a replayed URL, or login CSRF).
    const elsewhere = await fetch(callback, { redirect: "manual" });
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain("another browser");

    // The provider's code was spent by that refused attempt only if the gateway redeemed it; it did not.
    const consent = await (await fetch(callback, { headers: { cookie }, redirect: "manual" })).text();
    expect(consent).toContain("Dana Dev");
    const approved = await form({ ticket: ticketOf(consent), step: "approve" });
    const code = new URL(approved.headers.get("location") ?? "").searchParams.get("code") ?? "";
    expect(await auth(provider, { serverUrl: `${origin}/mcp`, authorizationCode: code })).toBe("AUTHORIZED");
    const client = await connect(provider);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("alpha__echo");
    await client.close();

    idp.email = "stranger@example.test";
    const again = new MemoryProvider({ redirectUrl: "http://127.0.0.1:49998/callback", name: DEV_CLIENT_NAME });
    await auth(again, { serverUrl: `${origin}/mcp` });
    const page = await (await fetch(String(again.authorizationUrl))).text();
    const start = await form({ ticket: ticketOf(page), step: "upstream" });
    const strangerCookie = (start.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const back = (await fetch(start.headers.get("location") ?? "", { redirect: "manual" })).headers.get("location") ?? "";
    const refused = await fetch(back, { headers: { cookie: strangerCookie } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("No active user of this gateway has the email stranger@example.test");
  });

  it("puts the OAuth endpoints behind the gateway-wide IP allow-list, and leaves discovery open", async () => {
    // Under wrangler dev a CF-Connecting-IP the client sends is kept, so one test can be two addresses.
    const inside = "198.51.100.7";
    const outside = "203.0.113.9";
    const asOwnerFrom = (ip: string, action: number, data: unknown) =>
      fetch(`${origin}/admin`, {
        method: "POST",
        headers: { authorization: `Bearer ${ownerKey}`, "content-type": "application/json", "cf-connecting-ip": ip },
        body: JSON.stringify({ action, data }),
      });
    const from = (ip: string, path: string, init: RequestInit = {}) =>
      fetch(`${origin}${path}`, { redirect: "manual", ...init, headers: { ...(init.headers as Record<string, string>), "cf-connecting-ip": ip } });
    const form = (fields: Record<string, string>): RequestInit => ({ method: "POST", body: new URLSearchParams(fields) });
    const oauthRequests: [string, RequestInit][] = [
      ["/authorize?response_type=code&client_id=x", {}],
      ["/authorize", form({ ticket: "t", step: "approve" })],
      ["/authorize/callback?code=c&state=s", {}],
      ["/token", form({ grant_type: "authorization_code", code: "c" })],
      ["/register", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ redirect_uris: ["http://127.0.0.1:1/cb"] }) }],
      ["/revoke", form({ token: "t" })],
      ["/auth/token", { method: "POST" }],
    ];

    expect((await asOwnerFrom(inside, 4001, { cidrs: [`${inside}/32`] })).status).toBe(200);
    expect((await asOwnerFrom(inside, 4005, { mode: "allow-list" })).status).toBe(200);
    // No waiting: the isolate that made the change applies it to the very next request.
    try {
      for (const [path, init] of oauthRequests) {
        const refused = await from(outside, path, init);
        expect(refused.status, path).toBe(403);
        expect(((await refused.json()) as { error: { message: string } }).error.message, path).toContain("not on the IP allow-list");
        // From inside the list the endpoint itself answers (whatever it makes of the made-up input).
        const answered = await from(inside, path, init);
        expect(answered.status, path).not.toBe(403);
      }
      for (const path of ["/health", "/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/mcp", "/.well-known/jwks.json"]) {
        expect((await from(outside, path)).status, path).toBe(200);
      }
    } finally {
      expect((await asOwnerFrom(inside, 4005, { mode: "allow-all" })).status).toBe(200);
    }
    expect((await from(outside, "/token", form({ grant_type: "authorization_code", code: "c" }))).status).not.toBe(403);
  });

  it.skipIf(chromiumPath === "")("mcp-remote completes its OAuth flow (the browser step in Chromium) and lists the tools", async () => {
    // Its token store in a home of its own, and no browser opener: the test is the user's browser.
    const home = mkdtempSync(join(tmpdir(), "mcp-remote-"));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(REPO_ROOT, "node_modules/mcp-remote/dist/proxy.js"), `${origin}/mcp`, String(await freePort())],
      env: { PATH: process.env.PATH ?? "", HOME: home, MCP_REMOTE_CONFIG_DIR: join(home, ".mcp-auth") },
      stderr: "pipe",
    });
    let log = "";
    const authorizationUrl = new Promise<string>((resolve) => {
      transport.stderr?.on("data", (chunk: Buffer) => {
        log += chunk.toString();
        const match = /Please authorize this client by visiting:\s+(\S+)/.exec(log);
        if (match?.[1]) resolve(match[1]);
      });
    });
    const client = new Client({ name: "via-mcp-remote", version: "1.0.0" });
    const connected = client.connect(transport);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(await authorizationUrl);
      await page.fill("#api_key", apiKey);
      await page.click("button:has-text(\"Sign in\")");
      await page.click("button[value=approve]");
      await page.waitForURL(/\/oauth\/callback/);
      await connected;
      expect((await client.listTools()).tools.map((tool) => tool.name), log).toContain("alpha__echo");
    } finally {
      await browser.close();
      await client.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
