// stdio MCP servers under `npm run dev`: real servers (server-everything, server-memory through npx,
// server-filesystem, and a fixture) behind the bridge, called through the gateway with the SDK Client.
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateMessageRequestSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { supervisorToken } from "../../worker/servers/supervisor-token.ts";
import { REPO_ROOT } from "../support/dev-project.ts";
import { EVERYTHING, type InstanceView, STDIO_FIXTURE, StdioGateway, textOf } from "../support/stdio-gateway.ts";

const FILESYSTEM = join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js");
const CANARY = "canary-stdio-7f3a9c2e51";
const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

describe("stdio servers through the gateway under npm run dev", () => {
  let gateway: StdioGateway;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "peta-stdio-"));
    gateway = await StdioGateway.start();
    const stdio = (serverId: string, definition: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      gateway.admin(2010, { serverId, transport: "stdio", stdio: definition, ...extra });
    await stdio("everything", { command: "node", args: [EVERYTHING, "stdio"], env: { API_TOKEN: "{{secret:CANARY}}" } });
    // The README's walk-through: npx finds the installed package, so no network is needed.
    await stdio("memory", { command: "npx", args: ["-y", "@modelcontextprotocol/server-memory"], env: { MEMORY_FILE_PATH: join(scratch, "memory.jsonl") } });
    await stdio("files", { command: "node", args: [FILESYSTEM, scratch] });
    await stdio("fixture", { command: "node", args: [STDIO_FIXTURE], env: { SECRET_VALUE: "{{secret:CANARY}}" } });
    await stdio("noisy", { command: "node", args: [STDIO_FIXTURE, "--die-printing=SECRET_VALUE"], env: { SECRET_VALUE: "{{secret:CANARY}}" } });
    await stdio("personal", { command: "node", args: [STDIO_FIXTURE], env: { USER_TOKEN: "{{user:TOKEN}}" } }, { userInputs: [{ name: "TOKEN" }] });
    for (const serverId of ["everything", "fixture", "noisy"]) await gateway.admin(2101, { serverId, name: "CANARY", value: CANARY });
  });

  afterAll(async () => {
    const left = await gateway.stop();
    gateway.cleanUp();
    rmSync(scratch, { recursive: true, force: true });
    expect(left, "processes left after npm run dev stopped").toEqual([]);
  });

  it("keeps the supervisor's token off every command line: what is there (its URL and nonce) opens nothing", async () => {
    const cmdlines = readdirSync("/proc").flatMap((entry) => {
      try {
        return /^\d+$/.test(entry) ? [readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ")] : [];
      } catch {
        return []; // exited while we looked
      }
    });
    expect(gateway.processesRunning("STDIO_SUPERVISOR_TOKEN")).toEqual([]);
    // This project's wrangler: other test files may run gateways of their own meanwhile.
    const wrangler = gateway.processesRunning("STDIO_SUPERVISOR_NONCE:")[0]?.cmdline;
    const nonce = /STDIO_SUPERVISOR_NONCE:(\S+)/.exec(wrangler ?? "")?.[1];
    const url = /STDIO_SUPERVISOR_URL:(\S+)/.exec(wrangler ?? "")?.[1];
    expect(nonce && url, "wrangler's command line names the supervisor and its nonce").toBeTruthy();
    const token = await supervisorToken(gateway.ownerKey, nonce!);
    expect(cmdlines.filter((line) => line.includes(token))).toEqual([]);
    const statusWith = async (bearer: string) => (await fetch(`${url}/instances/fixture`, { headers: { authorization: `Bearer ${bearer}` } })).status;
    expect(await statusWith(nonce!)).toBe(401);
    expect(await statusWith(token)).toBe(200);
  });

  it("calls tools of server-everything, server-memory (npx) and server-filesystem", async () => {
    const client = await gateway.client();
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["everything__echo", "memory__create_entities", "files__write_file", "fixture__pid"]));

    expect(textOf(await client.callTool({ name: "everything__echo", arguments: { message: "through the bridge" } }))).toBe("Echo: through the bridge");

    await client.callTool({ name: "memory__create_entities", arguments: { entities: [{ name: "Ada", entityType: "person", observations: ["wrote the first program"] }] } });
    expect(textOf(await client.callTool({ name: "memory__read_graph", arguments: {} }))).toContain("wrote the first program");

    const path = join(scratch, "note.txt");
    await client.callTool({ name: "files__write_file", arguments: { path, content: "hello from stdio" } });
    expect(textOf(await client.callTool({ name: "files__read_text_file", arguments: { path } }))).toContain("hello from stdio");
    // Outside its folder the server itself refuses: the arguments reached it as given.
    const outside = await client.callTool({ name: "files__read_text_file", arguments: { path: "/etc/hostname" } });
    expect(outside.isError).toBe(true);
  });

  it("passes progress, elicitation and sampling through the bridge", async () => {
    const client = await gateway.client(gateway.ownerKey, { elicitation: {}, sampling: {} });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: "accept", content: { name: "Grace", check: true, email: "g@example.com", integer: 7, number: 1.5, enum: "Option 1", untitledSingleSelectEnum: "option1", untitledMultipleSelectEnum: ["option1"], titledSingleSelectEnum: "value1", titledMultipleSelectEnum: ["value1"], legacyTitledEnum: "opt1" } }));
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: "assistant", content: { type: "text", text: "sampled by the test client" }, model: "test-model" }));

    let progress = 0;
    const long = await client.callTool({ name: "everything__trigger-long-running-operation", arguments: { duration: 2, steps: 4 } }, undefined, { onprogress: () => progress++, timeout: 60_000 });
    expect(textOf(long)).toContain("Long running operation completed");
    expect(progress).toBeGreaterThan(0);

    const sampled = await client.callTool({ name: "everything__trigger-sampling-request", arguments: { prompt: "say hi" } });
    expect(textOf(sampled)).toContain("sampled by the test client");

    const elicited = await client.callTool({ name: "everything__trigger-elicitation-request", arguments: {} });
    expect(textOf(elicited)).toContain("Grace");
  });

  it("injects secrets through the environment and scrubs them from replies, status, logs and the audit trail", async () => {
    const client = await gateway.client();
    // The process has the value: its digest matches...
    expect(textOf(await client.callTool({ name: "fixture__env_digest", arguments: { name: "SECRET_VALUE" } }))).toBe(sha256(CANARY));
    // ...but the value itself never comes back.
    const echoed = textOf(await client.callTool({ name: "fixture__env_value", arguments: { name: "SECRET_VALUE" } }));
    expect(echoed).toBe("value=[REDACTED:CANARY]");
    const everythingEnv = JSON.stringify(await client.callTool({ name: "everything__get-env", arguments: {} }));
    expect(everythingEnv).toContain("[REDACTED:CANARY]");
    expect(everythingEnv).not.toContain(CANARY);

    const status = await gateway.post("/admin", gateway.ownerKey, 3004, { serverId: "fixture" });
    const servers = await gateway.post("/admin", gateway.ownerKey, 2011, { serverId: "fixture" });
    const logs = await gateway.post("/admin", gateway.ownerKey, 7002, { limit: 500 });
    for (const text of [status.text, servers.text, logs.text, gateway.dev.stdout(), gateway.dev.stderr()]) expect(text).not.toContain(CANARY);
    expect(servers.text).toContain("{{secret:CANARY}}");
  });

  it("scrubs a server's last words of its secret in every encoding, in START_SERVER's error and in GET_SERVER_STATUS", async () => {
    const encodings = [CANARY, Buffer.from(CANARY).toString("base64"), Buffer.from(CANARY).toString("hex")];
    const started = await gateway.post("/admin", gateway.ownerKey, 2001, { serverId: "noisy" });
    expect(started.body.success).toBe(false);
    const status = await gateway.post("/admin", gateway.ownerKey, 3004, { serverId: "noisy" });
    const [instance] = (status.body.data as { servers: { instances: InstanceView[] }[] }).servers[0]!.instances;
    expect(instance?.state).toBe("error");
    for (const text of [started.text, status.text]) {
      // The redacted line is still there, so it is the scrubbing that hides the value, not its absence.
      expect(text).toContain("config: raw=[REDACTED:SECRET_VALUE] base64=[REDACTED:SECRET_VALUE] hex=[REDACTED:SECRET_VALUE]");
      for (const encoded of encodings) expect(text.toLowerCase()).not.toContain(encoded.toLowerCase());
    }
  });

  it("keeps a stdio server's failed connection in GET_SERVER_STATUS, naming the transport, scrubbed in every encoding", async () => {
    const encodings = [CANARY, Buffer.from(CANARY).toString("base64"), Buffer.from(CANARY).toString("hex")];
    const client = await gateway.client();
    await expect(client.callTool({ name: "noisy__echo", arguments: { text: "x" } })).rejects.toMatchObject({ code: -32003 });
    const status = await vi.waitFor(async () => {
      const reply = await gateway.post("/admin", gateway.ownerKey, 3004, { serverId: "noisy" });
      const [server] = (reply.body.data as { servers: { lastConnectError: string | null; lastConnectErrorAt: string | null }[] }).servers;
      expect(server?.lastConnectError).toBeTruthy();
      return { server: server!, text: reply.text };
    });
    expect(status.server.lastConnectError).toContain('Could not connect to server "noisy" (stdio at ');
    expect(status.server.lastConnectErrorAt).not.toBeNull();
    for (const encoded of encodings) expect(status.text.toLowerCase()).not.toContain(encoded.toLowerCase());
  });

  it("answers a call whose server crashes with a clean error, and restarts the server on the next call", async () => {
    const client = await gateway.client();
    const before = textOf(await client.callTool({ name: "fixture__pid", arguments: {} }));
    const crash = await client.callTool({ name: "fixture__crash", arguments: {} }).then(
      (result) => ({ message: textOf(result), isError: result.isError === true }),
      (error: unknown) => ({ message: error instanceof Error ? error.message : String(error), isError: true }),
    );
    expect(crash.isError).toBe(true);
    expect(crash.message).toContain("exited");
    expect(crash.message).not.toMatch(/\n\s+at /);
    const after = textOf(await client.callTool({ name: "fixture__pid", arguments: {} }));
    expect(after).toMatch(/^\d+$/);
    expect(after).not.toBe(before);
    const [instance] = await gateway.instances("fixture");
    expect(instance).toMatchObject({ state: "online", lastError: null });
  });

  it("runs one instance per user for a server whose env uses {{user:…}}: each sees only their own value", async () => {
    const alice = await gateway.createUser("alice");
    const bob = await gateway.createUser("bob");
    for (const [user, value] of [[alice, "alice-token-1"], [bob, "bob-token-2"]] as const) {
      const configured = await gateway.post("/user", user.apiKey, 2001, { serverId: "personal", values: { TOKEN: value } });
      expect(configured.body.success).toBe(true);
    }
    const ask = async (apiKey: string) => {
      const client = await gateway.client(apiKey);
      return {
        digest: textOf(await client.callTool({ name: "personal__env_digest", arguments: { name: "USER_TOKEN" } })),
        pid: textOf(await client.callTool({ name: "personal__pid", arguments: {} })),
        value: textOf(await client.callTool({ name: "personal__env_value", arguments: { name: "USER_TOKEN" } })),
      };
    };
    const [seenByAlice, seenByBob] = [await ask(alice.apiKey), await ask(bob.apiKey)];
    expect(seenByAlice.digest).toBe(sha256("alice-token-1"));
    expect(seenByBob.digest).toBe(sha256("bob-token-2"));
    expect(seenByAlice.pid).not.toBe(seenByBob.pid);
    expect(seenByAlice.value).toBe("value=[REDACTED:TOKEN]");

    const instances = await gateway.instances("personal");
    const online = instances.filter((instance: InstanceView) => instance.state === "online").map((instance) => instance.userId);
    expect(online.sort()).toEqual([alice.userId, bob.userId].sort());
  });
});
