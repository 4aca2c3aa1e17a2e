// The lifecycle of stdio instances under `npm run dev`, checked in /proc: idle shutdown and the cold
// start after it, 50 start/stop cycles, deletion of the server, and the end of npm run dev itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type InstanceView, STDIO_FIXTURE, StdioGateway, textOf } from "../support/stdio-gateway.ts";

describe("stdio instance lifecycle under npm run dev", () => {
  let gateway: StdioGateway;

  /** A fixture server whose processes carry `--tag=<serverId>` on their command line, to be found in /proc. */
  const register = (serverId: string, extra: Record<string, unknown> = {}) =>
    gateway.admin(2010, { serverId, transport: "stdio", stdio: { command: "node", args: [STDIO_FIXTURE, `--tag=${serverId}`], ...extra } });
  const running = (serverId: string) => gateway.processesRunning(`--tag=${serverId}`);

  beforeAll(async () => {
    gateway = await StdioGateway.start();
  });

  afterAll(async () => {
    gateway.cleanUp();
  });

  it("stops an idle instance after its idleSeconds, and the next call starts it again", async () => {
    await register("sleepy", { idleSeconds: 10 });
    const client = await gateway.client();
    const first = textOf(await client.callTool({ name: "sleepy__pid", arguments: {} }));
    expect(running("sleepy").map((p) => String(p.pid))).toContain(first);

    await eventually(async () => running("sleepy").length === 0, 90_000, "idle shutdown");
    const [asleep] = await gateway.instances("sleepy");
    expect(asleep).toMatchObject({ state: "sleeping", lastError: null });

    // The same client and session: the gateway never noticed the instance was asleep.
    const second = textOf(await client.callTool({ name: "sleepy__pid", arguments: {} }));
    expect(second).toMatch(/^\d+$/);
    expect(second).not.toBe(first);
    expect((await gateway.instances("sleepy"))[0]).toMatchObject({ state: "online", starts: 2 });
  }, 180_000);

  it("leaves no process behind after 50 start/stop cycles", async () => {
    await register("cycler");
    for (let cycle = 0; cycle < 50; cycle++) {
      const started = await gateway.admin<{ instance: InstanceView }>(2001, { serverId: "cycler" });
      expect(started.instance.state).toBe("online");
      expect(running("cycler")).toHaveLength(1);
      const stopped = await gateway.admin<{ instance: InstanceView }>(2002, { serverId: "cycler" });
      expect(stopped.instance.state).toBe("sleeping");
    }
    expect(running("cycler")).toEqual([]);
    expect((await gateway.instances("cycler"))[0]).toMatchObject({ state: "sleeping", starts: 50, lastError: null });
  }, 600_000);

  it("stops a server's instances when the server is deleted", async () => {
    await register("doomed");
    const client = await gateway.client();
    await client.callTool({ name: "doomed__pid", arguments: {} });
    expect(running("doomed")).toHaveLength(1);
    await gateway.admin(2013, { serverId: "doomed" });
    expect(running("doomed")).toEqual([]);
  });

  it("refuses to start what is not a stdio server, and a stdio definition that is not whole", async () => {
    await gateway.admin(2010, { serverId: "remote", transport: "streamable-http", url: "http://127.0.0.1:9/mcp" });
    expect((await gateway.post("/admin", gateway.ownerKey, 2001, { serverId: "remote" })).body.error?.code).toBe(40901);
    expect((await gateway.post("/admin", gateway.ownerKey, 3004, { serverId: "nope" })).body.error?.code).toBe(40401);
    const noCommand = await gateway.post("/admin", gateway.ownerKey, 2010, { serverId: "broken", transport: "stdio" });
    expect(noCommand.status).toBe(400);
    const withUrl = await gateway.post("/admin", gateway.ownerKey, 2010, { serverId: "broken", transport: "stdio", url: "http://x.test/", stdio: { command: "node" } });
    expect(withUrl.status).toBe(400);
    const reserved = await gateway.post("/admin", gateway.ownerKey, 2010, { serverId: "broken", transport: "stdio", stdio: { command: "node", env: { BRIDGE_PORT: "1" } } });
    expect(reserved.status).toBe(400);
  });

  it("reports a command that cannot run as an error with its reason, and a call to it fails cleanly", async () => {
    await gateway.admin(2010, { serverId: "missing", transport: "stdio", stdio: { command: "definitely-not-a-command-7f3a" } });
    // /mcp/<serverId> reaches its one server as the session opens, so that is where it fails.
    const opened = await gateway.client(gateway.ownerKey, {}, "/mcp/missing").then(
      () => "opened",
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(opened).toContain("The stdio server could not be started: spawn definitely-not-a-command-7f3a ENOENT");
    expect(opened).not.toMatch(/\n\s+at /);
    const [instance] = await gateway.instances("missing");
    expect(instance?.state).toBe("error");
    expect(instance?.lastError).toContain("ENOENT");
  });

  it("takes every instance with it when npm run dev stops", async () => {
    await register("survivor");
    const client = await gateway.client();
    await client.callTool({ name: "survivor__pid", arguments: {} });
    expect(running("survivor")).toHaveLength(1);
    expect(await gateway.stop()).toEqual([]);
  });
});
