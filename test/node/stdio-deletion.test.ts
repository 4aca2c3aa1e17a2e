// Deleted means gone: once a stdio server is deleted, no process anywhere holds its secret, and nothing
// (a session still connected to it, a restart after a crash, the keep-warm minimum) starts one again.
// Checked in /proc: the secret is in the environment of the bridge and of the server it runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesHolding, STDIO_FIXTURE, StdioGateway, textOf } from "../support/stdio-gateway.ts";

// Longer than any restart back-off or keep-warm tick would take to bring an instance back.
const WATCH_MS = 15_000;

describe("a deleted stdio server under npm run dev", () => {
  let gateway: StdioGateway;

  beforeAll(async () => {
    gateway = await StdioGateway.start();
  });

  afterAll(async () => {
    gateway.cleanUp();
  });

  /** A fixture server with its own canary secret in its environment. */
  async function register(serverId: string, extra: Record<string, unknown> = {}): Promise<string> {
    const canary = `canary-deleted-${serverId}-${crypto.randomUUID()}`;
    await gateway.admin(2010, { serverId, transport: "stdio", stdio: { command: "node", args: [STDIO_FIXTURE], env: { SECRET_VALUE: "{{secret:CANARY}}" }, ...extra } });
    await gateway.admin(2101, { serverId, name: "CANARY", value: canary });
    return canary;
  }

  /** Deletes the server, then keeps looking for its secret in /proc for a while, the old session calling on. */
  async function deleteAndWatch(serverId: string, canary: string, calls: () => Promise<unknown>): Promise<void> {
    expect(processesHolding(canary).length).toBeGreaterThan(0);
    await gateway.admin(2013, { serverId });
    const seen = new Set<string>();
    const deadline = Date.now() + WATCH_MS;
    while (Date.now() < deadline) {
      await calls().catch(() => {});
      for (const process of processesHolding(canary)) seen.add(`${process.pid} ${process.cmdline}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect([...seen], "processes holding the deleted server's secret").toEqual([]);
    for (const action of [2002, 3004]) {
      const answer = await gateway.post("/admin", gateway.ownerKey, action, { serverId });
      expect(answer.body.error?.code, `action ${action} after the delete`).toBe(40401);
    }
  }

  it("stops the instance of a server a session is connected to, and the session cannot start it again", async () => {
    const canary = await register("held");
    const client = await gateway.client();
    expect(textOf(await client.callTool({ name: "held__pid", arguments: {} }))).toMatch(/^\d+$/);
    await deleteAndWatch("held", canary, async () => {
      await client.callTool({ name: "held__pid", arguments: {} }).catch(() => {});
      await client.listTools();
    });
    // Created again under the same id, it is a new server: it starts, with its own secret.
    const again = await register("held");
    const fresh = await gateway.client();
    expect(textOf(await fresh.callTool({ name: "held__pid", arguments: {} }))).toMatch(/^\d+$/);
    expect(processesHolding(again).length).toBeGreaterThan(0);
  }, 120_000);

  it("stops an instance restarted after a crash, and cancels its restart", async () => {
    const canary = await register("crashy");
    const client = await gateway.client();
    await client.callTool({ name: "crashy__crash", arguments: {} }).catch(() => {});
    expect(textOf(await client.callTool({ name: "crashy__pid", arguments: {} }))).toMatch(/^\d+$/);
    await deleteAndWatch("crashy", canary, async () => {
      await client.callTool({ name: "crashy__pid", arguments: {} }).catch(() => {});
    });
  }, 120_000);

  it("stops a warm instance and its keep-warm restarts", async () => {
    const canary = await register("warm", { keepWarm: true });
    await gateway.admin(2001, { serverId: "warm" });
    const client = await gateway.client();
    expect(textOf(await client.callTool({ name: "warm__pid", arguments: {} }))).toMatch(/^\d+$/);
    await deleteAndWatch("warm", canary, async () => {
      await client.callTool({ name: "warm__pid", arguments: {} }).catch(() => {});
    });
  }, 120_000);
});
