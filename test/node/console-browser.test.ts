// The /console page in real Chromium against `npm run dev`, run the way an owner would from the page alone:
// sign in with the owner key, register an HTTP and a stdio server, set a secret (never shown again),
// create a user and copy its key (the copied key works for an SDK client), a CEL error shown at its rule,
// a draft simulated against that user's real calls, a held call approved while the client waits, the audit
// log filtered to the user, and the overview chart drawn from the calls; light and dark screenshots of
// every tab, all under the page's own CSP with no console error.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, launchChromium } from "../support/chromium.ts";
import { type DevGateway, startDevGateway, stopDevGateway } from "../support/dev-gateway.ts";
import { REPO_ROOT } from "../support/dev-project.ts";
import type { RunningServer } from "../support/downstream-servers.ts";

const CANARY = `console-browser-canary-${crypto.randomUUID()}`;
const SCREENSHOTS = join(REPO_ROOT, ".bench", "screenshots");
const TABS = ["overview", "servers", "users", "policy", "approvals", "access", "audit"] as const;

describe.skipIf(chromiumPath === "")("the /console page in Chromium", () => {
  let gateway: DevGateway;
  let origin = "";
  let ownerKey = "";
  let fixture: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let copiedKey = "";
  let client: Client | undefined;
  const consoleErrors: string[] = [];

  const admin = (action: number, data: unknown) => gateway.call("/admin", ownerKey, action, data);
  const testid = (id: string) => `[data-testid="${id}"]`;

  beforeAll(async () => {
    gateway = await startDevGateway();
    ({ origin, ownerKey, fixture } = gateway);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(String(error)));
  });

  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await stopDevGateway(gateway);
  });

  async function shot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `console-${name}-light.png`), fullPage: true });
  }

  async function tab(id: (typeof TABS)[number]): Promise<void> {
    await page.click(testid(`tab-${id}`));
    await page.waitForSelector(testid(`panel-${id}`));
    await page.waitForSelector(`${testid("panel")}:not([aria-busy])`);
  }

  it("refuses a wrong key on the page, signs in with the owner key, and keeps the key out of the page", async () => {
    await page.goto(`${origin}/console`);
    await page.fill(testid("api-key"), "pk_wrong_wrong");
    await page.click(testid("sign-in"));
    await page.waitForSelector(`${testid("sign-in-error")}:visible`);
    expect(await page.textContent(testid("sign-in-error"))).toMatch(/Invalid credential/);

    await page.fill(testid("api-key"), ownerKey);
    await page.click(testid("sign-in"));
    await page.waitForSelector(testid("panel-overview"));
    expect(await page.inputValue(testid("api-key"))).toBe("");
    expect(await page.evaluate<string>("JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.documentElement.outerHTML")).not.toContain(ownerKey);
  });

  it("registers an HTTP server and a stdio server from the form", async () => {
    await tab("servers");
    await page.fill(testid("server-id"), "alpha");
    await page.fill(testid("server-name"), "Alpha fixture");
    await page.fill(testid("server-url"), fixture.url);
    await page.click(testid("server-register-submit"));
    const alpha = page.locator(`${testid("servers-row")}[data-server="alpha"]`);
    await alpha.waitFor();
    expect(await alpha.textContent()).toContain("Alpha fixture");

    await page.fill(testid("server-id"), "local");
    await page.selectOption(testid("server-transport"), "stdio");
    await page.fill(testid("server-command"), "node");
    await page.fill(testid("server-args"), join(REPO_ROOT, "test", "fixtures", "stdio-fixture-server.ts"));
    await page.click(testid("server-register-submit"));
    await page.locator(`${testid("servers-row")}[data-server="local"]`).waitFor();
    expect(await page.locator(`${testid("servers-row")}[data-server="local"]`).textContent()).toContain("stdio: node");
    const listed = (await admin(2011, {})).data.servers as { serverId: string; transport: string; url: string }[];
    expect(listed.map((s) => [s.serverId, s.transport])).toEqual([
      ["alpha", "streamable-http"],
      ["local", "stdio"],
    ]);
  });

  it("sets a secret that is never shown again (only its name is listed), and renames the server", async () => {
    await page.locator(`${testid("servers-row")}[data-server="alpha"] ${testid("server-open")}`).click();
    await page.locator(`${testid("server-details")}:has-text("Alpha fixture: secrets")`).waitFor();
    await page.fill(testid("secret-name"), "API_TOKEN");
    await page.fill(testid("secret-value"), CANARY);
    await page.click(testid("secret-set"));
    await page.locator(`${testid("secrets-row")}:has-text("API_TOKEN")`).waitFor();
    expect(await page.textContent(testid("secret-notice"))).toBe("Secret API_TOKEN set. Its value is not shown again.");
    expect(await page.content()).not.toContain(CANARY);
    expect(await page.inputValue(testid("secret-value"))).toBe("");
    expect(JSON.stringify(await admin(2103, { serverId: "alpha" }))).not.toContain(CANARY);

    // Renamed in its settings: the list shows the new name.
    await page.fill(testid("server-edit-name"), "Alpha (renamed)");
    await page.click(testid("server-edit-save"));
    await page.locator(`${testid("servers-row")}[data-server="alpha"]:has-text("Alpha (renamed)")`).waitFor();
    expect(((await admin(2011, { serverId: "alpha" })).data.servers as { name: string }[])[0]!.name).toBe("Alpha (renamed)");
  });

  it("creates a user and copies its key once; the copied key works for an SDK client", async () => {
    await tab("users");
    await page.fill(testid("user-name"), "Ada Lovelace");
    await page.fill(testid("user-email"), "ada@example.test");
    await page.click(testid("user-create-submit"));
    await page.locator(testid("new-key")).waitFor();
    await page.locator(`${testid("new-key")} ${testid("copy")}`).click();
    await page.locator(`${testid("new-key")} ${testid("copy")}:has-text("Copied")`).waitFor();
    copiedKey = await page.evaluate<string>("navigator.clipboard.readText()");
    expect(copiedKey).toBe(await page.textContent(testid("new-key-value")));
    await page.click(testid("new-key-dismiss"));
    expect(await page.locator(testid("new-key")).count()).toBe(0);
    expect(await page.locator(`${testid("users-row")}[data-user="Ada Lovelace"]`).textContent()).toContain("ada@example.test");

    client = new Client({ name: "console-browser-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${copiedKey}` } } }));
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("alpha__echo");
    for (const text of ["one", "two", "three"]) await client.callTool({ name: "alpha__echo", arguments: { text } });
    await client.callTool({ name: "alpha__fail" });
    // The audit records reach Postgres a second or so after the calls.
    const userId = ((await admin(1011, {})).data.users as { userId: string; name: string }[]).find((u) => u.name === "Ada Lovelace")!.userId;
    await expect.poll(async () => ((await admin(7002, { userId, name: "echo" })).data.entries as unknown[]).length, { timeout: 15_000 }).toBe(3);

    // Her capabilities, by layer.
    await page.locator(`${testid("users-row")}[data-user="Ada Lovelace"] ${testid("user-open")}`).click();
    await page.locator(`${testid("user-capability-server")}[data-server="alpha"]`).waitFor();
  });

  it("shows a CEL error at its rule, then simulates the fixed draft: the table lists the changed decisions", async () => {
    await tab("policy");
    await page.click(testid("set-new"));
    await page.fill(testid("set-name"), "no echo for users");
    await page.selectOption(testid("set-server"), "alpha");
    const rule = page.locator(testid("rule")).first();
    await rule.locator(testid("rule-id")).fill("no-echo");
    await rule.locator(testid("rule-tool")).fill("echo");
    await rule.locator(testid("rule-when")).fill('user.role == "user" &&');
    await rule.locator(testid("rule-reason")).fill("echo is for admins");
    await page.click(testid("set-save"));
    await rule.locator(`${testid("rule-error")}:visible`).waitFor();
    expect(await rule.locator(testid("rule-error")).textContent()).toMatch(/^rule "no-echo": /);
    expect(await rule.getAttribute("class")).toContain("invalid");
    await shot("policy-cel-error");
    expect((await admin(9102, {})).data.policySets).toEqual([]);

    await rule.locator(testid("rule-when")).fill('user.role == "user"');
    await page.click(testid("set-simulate"));
    await page.locator(testid("simulation-changes")).waitFor();
    expect(await rule.locator(testid("rule-error")).isHidden()).toBe(true);
    expect(await page.textContent(testid("simulation-summary"))).toMatch(/changes 3 decisions/);
    const rows = page.locator(testid("simulation-changes-row"));
    expect(await rows.count()).toBe(3);
    for (const text of await rows.allTextContents()) {
      expect(text).toContain("Ada Lovelace");
      expect(text).toContain("allow");
      expect(text).toContain("deny");
      expect(text).toContain("rule no-echo");
    }
    await shot("policy-simulation");
  });

  it("approves a held call from the Console while the SDK client waits on it", async () => {
    const policy = await admin(9101, {
      name: "ask the owner",
      serverId: "alpha",
      rules: [{ id: "ask-whoami", priority: 10, match: { tool: "whoami" }, effect: "require_approval", reason: "whoami shows headers", approvers: ["owner"] }],
    });
    expect(policy.success).toBe(true);
    await tab("approvals");
    const held = client!.callTool({ name: "alpha__whoami" }, undefined, { timeout: 60_000, resetTimeoutOnProgress: true, onprogress: () => {} });
    const card = page.locator(testid("approval"));
    await card.waitFor({ timeout: 20_000 });
    expect(await card.locator(testid("approval-user")).textContent()).toBe("Ada Lovelace");
    expect(await card.locator(testid("approval-tool")).textContent()).toBe("whoami");
    await shot("approval-card");
    await card.locator(testid("approve")).click();
    const result = await held;
    expect(result.isError).toBeFalsy();
    await expect.poll(async () => ((await admin(7002, { name: "whoami" })).data.entries as unknown[]).length, { timeout: 15_000 }).toBe(1);
    await tab("approvals");
    await page.locator(`${testid("recent-approvals-row")}:has-text("executed")`).waitFor({ timeout: 20_000 });
    expect(await page.locator(testid("recent-approvals-row")).first().textContent()).toContain("Owner key");
  });

  it("filters the audit log to one user's calls", async () => {
    await tab("audit");
    await page.locator(testid("audit-row")).first().waitFor();
    // Unfiltered, the owner's changes are there too.
    expect(await page.locator(`${testid("audit-row")}[data-user="Owner key"]`).count()).toBeGreaterThan(0);
    await page.selectOption(testid("audit-user"), { label: "Ada Lovelace" });
    await page.click(testid("audit-apply"));
    await expect
      .poll(async () => [...new Set(await page.locator(testid("audit-row")).evaluateAll((rows) => rows.map((row) => row.getAttribute("data-user"))))])
      .toEqual(["Ada Lovelace"]);
    expect(await page.locator(`${testid("audit-row")}:has-text("echo")`).count()).toBe(3);
    await page.locator(testid("audit-row")).first().click();
    expect(await page.textContent(testid("audit-record"))).toContain('"clientName": "console-browser-test"');
    await page.click(testid("audit-verify"));
    await page.locator(`${testid("audit-notice")}:has-text("intact")`).waitFor();
  });

  it("draws the overview chart from the real calls", async () => {
    await tab("overview");
    const counts = await page.locator(`${testid("chart")} rect[data-count]`).evaluateAll((rects) => rects.map((r) => Number(r.getAttribute("data-count"))));
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.every((n) => n > 0)).toBe(true);
    // Ada's four calls and the approved one (the SDK's tools/list is not a call).
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(await page.textContent(testid("stat-calls"))).toBe("5");
    expect(await page.locator(`${testid("top-servers-row")}:has-text("alpha")`).count()).toBe(1);
    expect(await page.locator(`${testid("failing-servers-row")}:has-text("alpha")`).count()).toBe(1);
  });

  it("takes light and dark screenshots of every tab, with no console error and no secret in the page", async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const id of TABS) {
        await tab(id);
        if (id === "servers") {
          await page.locator(`${testid("servers-row")}[data-server="alpha"] ${testid("server-open")}`).click();
          await page.locator(testid("server-capabilities")).waitFor();
        }
        if (id === "users") {
          await page.locator(`${testid("users-row")}[data-user="Ada Lovelace"] ${testid("user-open")}`).click();
          await page.locator(testid("user-capabilities")).waitFor();
        }
        if (id === "policy") {
          await page.locator(`[data-set="ask the owner"] ${testid("set-edit")}`).click();
          await page.locator(`${testid("policy-editor")}:has-text("Edit ask the owner")`).waitFor();
        }
        await page.screenshot({ path: join(SCREENSHOTS, `console-${id}-${scheme}.png`), fullPage: true });
        expect(await page.content()).not.toContain(CANARY);
      }
    }
    // On a phone: the sign-in form, and the overview once signed in.
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click(testid("sign-out"));
    await page.screenshot({ path: join(SCREENSHOTS, "console-sign-in-phone.png"), fullPage: true });
    await page.fill(testid("api-key"), ownerKey);
    await page.click(testid("sign-in"));
    await tab("overview");
    await page.screenshot({ path: join(SCREENSHOTS, "console-overview-phone.png"), fullPage: true });
    // The refused sign-in (401) and the refused save (400) are the API's answers the page showed; nothing else may fail.
    expect(consoleErrors.filter((text) => !/^Failed to load resource: the server responded with a status of (401|400) /.test(text))).toEqual([]);
  });
});
