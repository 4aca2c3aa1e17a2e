// The /desk page in real Chromium against `npm run dev`: sign-in with an API key (ticket → WebSocket), the
// user named (never their id), an SDK client's held call approved from its card, edited and approved, and
// rejected by clicks, capabilities toggled, personal values set, a session ended, an OAuth consent given on
// the sign-in and consent pages and revoked from the Desk, all under the pages' own CSP; light and dark
// screenshots of the Desk and of the OAuth pages go to .bench/screenshots/.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Browser, Page } from "playwright-core";
import { chromiumPath, launchChromium } from "../support/chromium.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevGateway, startDevGateway, stopDevGateway } from "../support/dev-gateway.ts";
import { REPO_ROOT } from "../support/dev-project.ts";
import { MemoryProvider } from "../support/memory-oauth-provider.ts";

const CANARY = `desk-browser-canary-${crypto.randomUUID()}`;
const SCREENSHOTS = join(REPO_ROOT, ".bench", "screenshots");

/** Elements (other than URLs, code and text fields) whose words the browser may break mid-word: none should. */
function brokenWordStyles(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`[...document.body.querySelectorAll("*")]
    .filter((node) => !node.closest(".url, code, pre, textarea"))
    .filter((node) => { const style = getComputedStyle(node); return style.wordBreak === "break-all" || style.overflowWrap === "anywhere" || style.overflowWrap === "break-word"; })
    .map((node) => node.tagName.toLowerCase() + ": " + (node.textContent || "").slice(0, 40))`);
}


describe.skipIf(chromiumPath === "")("the /desk page in Chromium", () => {
  let gateway: DevGateway;
  let origin = "";
  let ownerKey = "";
  let apiKey = "";
  let userId = "";
  let browser: Browser;
  let client: Client;
  const consoleErrors: string[] = [];

  const call = (path: "/admin" | "/user", credential: string, action: number, data: unknown) => gateway.call(path, credential, action, data);

  beforeAll(async () => {
    gateway = await startDevGateway();
    ({ origin, ownerKey } = gateway);
    const fixture = gateway.fixture;
    const user = await call("/admin", ownerKey, 1010, { name: "Desk Browser", email: "desk@example.test" });
    apiKey = user.data.apiKey as string;
    userId = user.data.userId as string;
    await call("/admin", ownerKey, 2010, { serverId: "alpha", transport: "streamable-http", url: fixture.url });
    await call("/admin", ownerKey, 2010, {
      serverId: "keyed",
      transport: "streamable-http",
      url: fixture.url,
      headers: { "X-Personal-Key": "{{user:PERSONAL_KEY}}" },
      userInputs: [{ name: "PERSONAL_KEY", description: "Your key for keyed", required: true }],
    });
    await call("/admin", ownerKey, 2010, { serverId: "gated", transport: "streamable-http", url: fixture.url });
    const policy = await call("/admin", ownerKey, 9101, {
      name: "desk-browser",
      serverId: "gated",
      rules: [{ id: "ask-me", priority: 10, match: { tool: "echo" }, effect: "require_approval", reason: "gated echo asks its caller", approvers: ["self"] }],
    });
    expect(policy.success).toBe(true);
    client = new Client({ name: "desk-browser-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${apiKey}` } } }));
    // The capabilities list what the catalogs hold: a session's tools/list fills them.
    await client.listTools();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await stopDevGateway(gateway);
  });

  async function signedIn(): Promise<Page> {
    const page = await browser.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    await page.goto(`${origin}/desk`);
    await page.fill('[data-testid="api-key"]', apiKey);
    await page.click('[data-testid="sign-in"]');
    await page.waitForSelector('[data-testid="who"]:has-text("Desk Browser")');
    return page;
  }

  it("refuses a wrong key on the page itself, and signs in with the right one", async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/desk`);
    await page.fill('[data-testid="api-key"]', "pk_wrong_wrong");
    await page.click('[data-testid="sign-in"]');
    await page.waitForSelector('[data-testid="sign-in-error"]:visible');
    expect(await page.textContent('[data-testid="sign-in-error"]')).toMatch(/Invalid credential/);
    await page.close();

    const desk = await signedIn();
    // The key typed in is not kept in the page: not in the field, storage, or the document.
    expect(await desk.inputValue('[data-testid="api-key"]')).toBe("");
    expect(await desk.evaluate<string>("JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.documentElement.outerHTML")).not.toContain(apiKey);
    expect(await desk.textContent('[data-testid="pending-count"]')).toBe("0");
    await desk.close();
  });

  /** The SDK client's call of gated__echo, held until someone decides; progress keeps its timeout from firing. */
  function heldEcho(text: string) {
    return client.callTool({ name: "gated__echo", arguments: { text } }, undefined, { timeout: 60_000, resetTimeoutOnProgress: true, onprogress: () => {} });
  }

  async function shownApproval(page: Page, text: string) {
    const item = page.locator('[data-testid="approval"]', { has: page.locator('[data-testid="approval-arguments"]', { hasText: text }) });
    await item.waitFor();
    expect(await item.locator('[data-testid="approval-tool"]').textContent()).toBe("echo");
    expect(await item.locator('[data-testid="approval-server"]').textContent()).toBe("gated");
    expect(await item.locator('[data-testid="approval-client"]').textContent()).toBe("desk-browser-test");
    expect(await item.locator('[data-testid="approval-requester"]').textContent()).toBe("Desk Browser (you)");
    return item;
  }

  const resultText = (result: Awaited<ReturnType<Client["callTool"]>>) => (result.content as { text?: string }[]).map((c) => c.text ?? "").join("");

  it("shows an SDK client's held call live; a click on Approve runs it and the client gets the result", async () => {
    const page = await signedIn();
    const sent = Date.now();
    const call = heldEcho("approve me in the browser");
    const item = await shownApproval(page, "approve me in the browser");
    const shown = Date.now();
    expect(await page.textContent('[data-testid="pending-count"]')).toBe("1");
    // The card reads as a request: the tool's description, the arguments as a list, the JSON on demand, a countdown.
    expect(await item.locator('[data-testid="approval-description"]').textContent()).toMatch(/\S/);
    expect(await item.locator('[data-testid="approval-arguments"] dt').allTextContents()).toEqual(["text"]);
    expect(await item.locator('[data-testid="approval-arguments"] dd').allTextContents()).toEqual(["approve me in the browser"]);
    expect(await item.locator('[data-testid="approval-json"]').isVisible()).toBe(false);
    await item.locator("summary").click();
    expect(JSON.parse((await item.locator('[data-testid="approval-json"]').textContent()) ?? "")).toEqual({ text: "approve me in the browser" });
    expect(await item.locator(".countdown").textContent()).toMatch(/^expires in \d/);
    await item.locator('[data-testid="approve"]').click();
    const result = await call;
    console.log(`desk e2e: tools/call sent → approval on the page ${shown - sent} ms; click → result at the client ${Date.now() - shown} ms (incl. Playwright polling)`);
    expect(result.isError).toBeFalsy();
    expect(resultText(result)).toBe("alpha: approve me in the browser");
    // One line for the request, its events in the order they happened, with who decided.
    const decision = page.locator('[data-testid="decision"]', { hasText: "executed" });
    await decision.waitFor();
    expect(await decision.textContent()).toMatch(/gated\/echo: approved, then executed by Desk Browser \(you\)/);
    expect(await page.locator('[data-testid="approval"]').count()).toBe(0);
    await page.close();
  });

  it("edits the arguments in the page's JSON editor and approves: the tool runs with the edited argument", async () => {
    const page = await signedIn();
    const call = heldEcho("before editing");
    const item = await shownApproval(page, "before editing");
    await item.locator('[data-testid="edit"]').click();
    const editor = item.locator('[data-testid="edit-arguments"]');
    await editor.fill("{not json");
    await item.locator('[data-testid="edit-approve"]').click();
    expect(await item.locator('[data-testid="approval-error"]').textContent()).toBe("The arguments are not valid JSON");
    await editor.fill(JSON.stringify({ text: 42 }));
    await item.locator('[data-testid="edit-approve"]').click();
    // The gateway checks edited arguments against the tool's inputSchema; the request stays pending.
    await item.locator('[data-testid="approval-error"]:visible').waitFor();
    expect(await item.locator('[data-testid="approval-error"]').textContent()).toMatch(/Invalid/);
    await editor.fill(JSON.stringify({ text: "edited in the browser" }));
    await item.locator('[data-testid="edit-approve"]').click();
    expect(resultText(await call)).toBe("alpha: edited in the browser");
    await page.waitForSelector('[data-testid="decision"]:has-text("with edited arguments")');
    await page.close();
  });

  it("rejects with a reason: the client's result says rejected, with the reason, and the tool never ran", async () => {
    const page = await signedIn();
    const echoCalls = async () => (JSON.parse(resultText(await client.callTool({ name: "gated__stats", arguments: {} }))) as { calls: number }).calls;
    const before = await echoCalls();
    const call = heldEcho("reject me in the browser");
    const item = await shownApproval(page, "reject me in the browser");
    await item.locator('[data-testid="reject-reason"]').fill("too risky today");
    await item.locator('[data-testid="reject"]').click();
    const result = await call;
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/Rejected/);
    expect(resultText(result)).toContain("too risky today");
    expect(await echoCalls()).toBe(before);
    await page.waitForSelector('[data-testid="decision"]:has-text("rejected")');
    await page.close();
  });

  it("toggles a capability off and on: SET_MY_CAPABILITIES stores it, and the page shows the pushed update", async () => {
    const page = await signedIn();
    // Each server is collapsed, with its counts; opening it shows its tools apart from prompts and resources.
    const alpha = page.locator('[data-testid="capability-server"][data-server="alpha"]');
    expect(await alpha.locator("summary").textContent()).toMatch(/alpha\s+\d+ tools/);
    const toggle = alpha.locator('[data-testid="capability-toggle"][data-kind="tools"][data-name="echo"]');
    expect(await toggle.isVisible()).toBe(false);
    await alpha.locator("summary").click();
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(true);
    await toggle.uncheck();
    await page.waitForSelector('[data-testid="capability-server"][data-server="alpha"] .cap.off:has-text("echo")');
    const mine = await call("/user", apiKey, 3010, {});
    expect(mine.data.narrowing).toEqual({ alpha: { tools: { echo: false } } });
    await toggle.check();
    await page.waitForSelector('[data-testid="capability-server"][data-server="alpha"] .cap:not(.off):has-text("echo")');
    expect((await call("/user", apiKey, 3010, {})).data.narrowing).toEqual({});
    await page.close();
  });

  it("sets and clears my value for a server without the value ever reaching the page", async () => {
    const page = await signedIn();
    const server = page.locator('[data-testid="server"][data-server="keyed"]');
    await server.locator('[data-testid="server-status"]:has-text("needs values")').waitFor();
    await server.locator('[data-testid="server-value"][data-name="PERSONAL_KEY"]').fill(CANARY);
    await server.locator('[data-testid="server-save"]').click();
    await server.locator('[data-testid="server-status"]:has-text("ready")').waitFor();
    const listed = (await call("/user", apiKey, 2003, {})).data.servers as { serverId: string; configured: boolean }[];
    expect(listed.find((s) => s.serverId === "keyed")?.configured).toBe(true);
    expect(await page.content()).not.toContain(CANARY);
    await server.locator('[data-testid="server-clear"]').click();
    await server.locator('[data-testid="server-status"]:has-text("needs values")').waitFor();
    await page.close();
    expect(consoleErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
  });

  it("names the user in the header and their requests, and never shows their id", async () => {
    const page = await signedIn();
    expect(await page.textContent('[data-testid="who"]')).toBe("Desk Browser · desk@example.test · user");
    const call = heldEcho("whose request is this");
    await shownApproval(page, "whose request is this");
    expect(await page.evaluate<string>("document.body.innerText")).not.toContain(userId);
    expect(await brokenWordStyles(page)).toEqual([]);
    await (await page.locator('[data-testid="approval"]').first()).locator('[data-testid="approve"]').click();
    await call;
    await page.close();
  });

  it("filters the capabilities: only the matching items show, their servers opened", async () => {
    const page = await signedIn();
    await page.locator('[data-testid="capability-filter"]').fill("stats");
    await page.locator('[data-testid="capability-toggle"][data-server="gated"][data-name="stats"]').waitFor();
    expect(await page.locator('[data-testid="capability-toggle"][data-name="echo"]').count()).toBe(0);
    await page.locator('[data-testid="capability-filter"]').fill("");
    await page.close();
  });

  it("lists the open sessions with their client; End ends one, and that client's next call gets session not found", async () => {
    const doomed = new Client({ name: "session-to-end", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${apiKey}` } } });
    await doomed.connect(transport);
    const page = await signedIn();
    const row = page.locator(`[data-testid="session-row"][data-session-id="${transport.sessionId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain("session-to-end");
    expect(await page.locator('[data-testid="session-row"]', { hasText: "desk-browser-test" }).count()).toBe(1);
    const listed = (await call("/user", apiKey, 1204, {})).data.sessions as { sessionId: string; clientName: string }[];
    expect(listed.find((s) => s.sessionId === transport.sessionId)?.clientName).toBe("session-to-end");
    await row.locator('[data-testid="session-end"]').click();
    await row.waitFor({ state: "detached" });
    await expect(doomed.listTools()).rejects.toThrow(/Session not found/);
    // The other session goes on.
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await doomed.close().catch(() => {});
    await page.close();
  });

  it("gives an OAuth consent on the sign-in and consent pages (no word broken), and revokes it from the Desk", async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const provider = new MemoryProvider({ redirectUrl: "http://127.0.0.1:9/oauth/callback", name: "Desk Consent Client" });
    expect(await auth(provider, { serverUrl: `${origin}/mcp` })).toBe("REDIRECT");
    const page = await browser.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    await page.goto(String(provider.authorizationUrl));
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(SCREENSHOTS, `oauth-sign-in-${scheme}.png`), fullPage: true });
    }
    expect(await brokenWordStyles(page)).toEqual([]);
    await page.fill("#api_key", apiKey);
    await page.click('button:has-text("Sign in")');
    await page.waitForSelector('h1:has-text("Authorize Desk Consent Client")');
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(SCREENSHOTS, `oauth-consent-${scheme}.png`), fullPage: true });
    }
    expect(await brokenWordStyles(page)).toEqual([]);
    expect(await page.getAttribute('a:has-text("Desk page")', "href")).toBe("/desk");
    // Approve sends the browser to the client's redirect URI, which nobody serves here.
    await Promise.all([page.waitForRequest((request) => request.url().startsWith("http://127.0.0.1:9/oauth/callback")), page.click('button:has-text("Approve")')]);
    await page.close();

    const desk = await signedIn();
    const consent = desk.locator('[data-testid="consent-row"]', { hasText: "Desk Consent Client" });
    await consent.waitFor();
    const revoke = consent.locator('[data-testid="consent-revoke"]');
    await revoke.click();
    await revoke.click();
    await desk.waitForSelector('[data-testid="consent-empty"]');
    expect((await call("/user", apiKey, 1201, {})).data.consents).toEqual([]);
    await desk.close();
  });

  it("takes light and dark screenshots of the Desk with a request waiting, with no console error", async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const page = await signedIn();
    const held = heldEcho("screenshot me");
    const item = await shownApproval(page, "screenshot me");
    await page.locator('[data-testid="capability-server"][data-server="alpha"] summary').click();
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(SCREENSHOTS, `desk-${scheme}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SCREENSHOTS, "desk-phone-dark.png"), fullPage: true });
    await item.locator('[data-testid="approve"]').click();
    await held;
    await page.close();
    expect(consoleErrors).toEqual([]);
  });
});
