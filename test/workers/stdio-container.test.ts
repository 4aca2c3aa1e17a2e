// The StdioContainer Durable Object's own hooks, in workerd. There is no container runtime here (no
// Docker): the object gets real Durable Object storage and a stand-in for `ctx.container` that records
// what the Container class asks of it. Starting a real container, and the image, are tested nowhere
// (docs/architecture.md, "What is tested where").
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { StdioContainer } from "../../durable-objects/stdio-container.ts";
import type { StdioLaunch } from "../../worker/servers/stdio-definition.ts";
import type { Lifecycle } from "../../worker/servers/stdio-lifecycle.ts";

const CANARY = "canary-container-5b8d1e";

/** What the Container class may ask of the platform's container; it records signals and starts. */
class StandInContainer {
  running = false;
  readonly signals: number[] = [];
  readonly starts: unknown[] = [];
  start(options: unknown): void {
    this.running = true;
    this.starts.push(options);
  }
  monitor(): Promise<void> {
    return new Promise(() => {});
  }
  signal(signo: number): void {
    this.signals.push(signo);
    this.running = false;
  }
  async destroy(): Promise<void> {
    this.running = false;
  }
}

/** Runs `test` against a StdioContainer over fresh real storage, named `instance` (a name no session has). */
async function withContainer(instance: string, test: (object: StdioContainer, container: StandInContainer, storage: DurableObjectStorage) => Promise<void>) {
  // A Durable Object of another class lends its real storage; the stand-in takes the container's place.
  await runInDurableObject(env.MCP_SESSION.getByName(instance), async (_session, state) => {
    const container = new StandInContainer();
    Object.defineProperty(state, "container", { value: container, configurable: true });
    // runInDurableObject types its state loosely; it is the real DurableObjectState of a Durable Object.
    const object = new StdioContainer(state as ConstructorParameters<typeof StdioContainer>[0], env);
    try {
      await state.blockConcurrencyWhile(async () => {});
      await test(object, container, state.storage);
    } finally {
      await state.storage.deleteAlarm();
    }
  });
}

const launch = (instance: string, overrides: Partial<StdioLaunch> = {}): StdioLaunch => ({
  instance,
  command: "npx",
  args: ["-y", "@modelcontextprotocol/server-memory"],
  env: { TOKEN: CANARY },
  idleSeconds: 120,
  keepWarm: false,
  generation: 1,
  ...overrides,
});

describe("StdioContainer hooks", () => {
  it("keeps the launch sealed in storage, gives it to the container as envVars, and restarts on a changed one", async () => {
    await withContainer("stdio-test-seal", async (object, container, storage) => {
      await object.configure(launch("stdio-test-seal"));
      const stored = JSON.stringify(await storage.get("launch"));
      expect(stored).not.toContain(CANARY);
      expect(stored).toContain("pv1.");
      expect(object.envVars).toMatchObject({ BRIDGE_COMMAND: "npx", BRIDGE_SERVER_ENV: JSON.stringify({ TOKEN: CANARY }) });
      expect(object.sleepAfter).toBe(120);

      // Running, the same launch again changes nothing; a changed value stops it, to start with the new one.
      container.running = true;
      await object.configure(launch("stdio-test-seal"));
      expect(container.signals).toEqual([]);
      await object.configure(launch("stdio-test-seal", { env: { TOKEN: `${CANARY}-2` } }));
      expect(container.signals).toEqual([15]);
      expect((await object.status()).state).toBe("sleeping");
    });
  });

  it("records a crash as an error, and a requested stop as sleep", async () => {
    await withContainer("stdio-test-crash", async (object, container, storage) => {
      await object.configure(launch("stdio-test-crash"));
      await object.onStart();
      expect(await object.status()).toMatchObject({ state: "online", starts: 1 });
      await object.onStop({ exitCode: 137, reason: "exit" });
      expect(await object.status()).toMatchObject({ state: "error", lastError: "The container exited with code 137 (exit)" });
      expect(((await storage.get("lifecycle")) as Lifecycle).failures).toBe(1);

      container.running = true;
      await object.sleep();
      expect(container.signals).toEqual([15]);
      await object.onStop({ exitCode: 143, reason: "runtime_signal" });
      expect((await object.status()).state).toBe("sleeping");
    });
  });

  it("puts a cold instance to sleep when idle, keeps a warm one, and schedules a warm one's restart after a crash", async () => {
    await withContainer("stdio-test-idle", async (object, container) => {
      await object.configure(launch("stdio-test-idle"));
      container.running = true;
      await object.onActivityExpired();
      expect(container.signals).toEqual([15]);
    });
    await withContainer("stdio-test-warm", async (object, container, storage) => {
      await object.configure(launch("stdio-test-warm", { keepWarm: true }));
      expect(object.sleepAfter).toBe("24h");
      container.running = true;
      await object.onActivityExpired();
      expect(container.signals).toEqual([]);
      await object.onStop({ exitCode: 1, reason: "exit" });
      await object.onStop({ exitCode: 1, reason: "exit" });
      const schedules = storage.sql.exec<{ callback: string }>("SELECT callback FROM container_schedules").toArray();
      expect(schedules.map((row) => row.callback)).toContain("restartWarm");
    });
  });

  it("refuses to wake an instance that keeps failing until its back-off has passed, without starting it", async () => {
    await withContainer("stdio-test-backoff", async (object, container) => {
      await object.configure(launch("stdio-test-backoff"));
      for (let crash = 0; crash < 3; crash++) await object.onStop({ exitCode: 1, reason: "exit" });
      const response = await object.fetch(new Request("http://bridge/mcp", { method: "POST", body: "{}" }));
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      const body = await response.text();
      expect(body).toContain("keeps failing");
      expect(body).not.toContain(CANARY);
      expect(container.starts).toEqual([]);
    });
  });

  it("retires the instance of a deleted server: stopped, restarts cancelled, launch gone, that server's launches refused", async () => {
    await withContainer("stdio-test-retire", async (object, container, storage) => {
      await object.configure(launch("stdio-test-retire", { keepWarm: true, generation: 5 }));
      await object.onStart();
      await object.onStop({ exitCode: 1, reason: "exit" });
      container.running = true;

      await object.retire(5);
      expect(container.running).toBe(false);
      const callbacks = storage.sql.exec<{ callback: string }>("SELECT callback FROM container_schedules").toArray().map((row) => row.callback);
      expect(callbacks).not.toContain("restartWarm");
      expect(callbacks).not.toContain("checkHealth");
      expect(await storage.get("launch")).toBeUndefined();

      // A session that had not heard of the deletion: its call and its new connection start nothing.
      await object.restartWarm();
      const call = await object.fetch(new Request("http://bridge/mcp", { method: "POST", body: "{}" }));
      expect(await call.text()).toContain("has been deleted");
      expect(await object.configure(launch("stdio-test-retire", { keepWarm: true, generation: 5 }))).toBeNull();
      expect(await object.wake(launch("stdio-test-retire", { generation: 4 }))).toBeNull();
      expect(container.starts).toEqual([]);

      // A start that was under way when the server was deleted goes at once.
      container.running = true;
      await object.onStart();
      expect(container.running).toBe(false);

      // The same id created again is a newer server, and runs.
      expect(await object.configure(launch("stdio-test-retire", { generation: 6 }))).not.toBeNull();
      expect(object.envVars).toMatchObject({ BRIDGE_COMMAND: "npx" });
    });
  });
});
