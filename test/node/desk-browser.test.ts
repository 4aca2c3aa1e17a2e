// The /desk page in real Chromium against `npm run dev`: sign-in with an API key (ticket → WebSocket), an
// SDK client's held call approved, edited and approved, and rejected by clicks, capabilities toggled,
// personal values set, all under the page's own CSP.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Browser, Page } from "playwright-core";
import { chromiumPath, launchChromium } from "../support/chromium.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevGateway, startDevGateway, stopDevGateway } from "../support/dev-gateway.ts";

const CANARY = `desk-browser-canary-${crypto.randomUUID()}`;


describe.skipIf(chromiumPath === "")("the /desk page in Chromium", () => {
  let gateway: DevGateway;
  let origin = "";
  let ownerKey = "";
  let apiKey = "";
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
    await page.waitForSelector('[data-testid="status"]:has-text("connected as")');
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
    await item.locator('[data-testid="approve"]').click();
    const result = await call;
    console.log(`desk e2e: tools/call sent → approval on the page ${shown - sent} ms; click → result at the client ${Date.now() - shown} ms (incl. Playwright polling)`);
    expect(result.isError).toBeFalsy();
    expect(resultText(result)).toBe("alpha: approve me in the browser");
    await page.waitForSelector('[data-testid="decision"]:has-text("executed")');
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
    const toggle = page.locator('[data-testid="capability-toggle"][data-server="alpha"][data-kind="tools"][data-name="echo"]');
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
});
