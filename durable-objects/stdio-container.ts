import { Container, type StopParams } from "@cloudflare/containers";
import type { AppEnv } from "../worker/env.ts";
import { launchDigest, type StdioLaunch } from "../worker/servers/stdio-definition.ts";
import { asleep, failed, type Lifecycle, NEVER_STARTED, online, restartDelay, starting, statusOf, wakeBlockedForMs } from "../worker/servers/stdio-lifecycle.ts";
import type { InstanceStatus } from "../worker/servers/stdio-runtime.ts";
import { decryptRecord, encryptRecord } from "../worker/vault/envelope.ts";
import { loadKeyRing } from "../worker/vault/keyring.ts";

const BRIDGE_PORT = 8080;
const HEALTH_EVERY_SECONDS = 30;
const LIFECYCLE_KEY = "lifecycle";
const LAUNCH_KEY = "launch";
const RETIRED_KEY = "retired";
const DELETED = "This stdio instance's server has been deleted";

/**
 * One stdio MCP server instance (one per server and credential scope), running the bridge image from
 * containers/. It wakes on the first request, sleeps after the server's idle time unless kept warm, is
 * health-checked while it runs, and after a crash is started again with back-off. Its launch (resolved
 * secrets included) is kept sealed with the vault key in storage, so an evicted object can still wake it.
 * When its server is deleted it is retired: stopped, its launch and restarts gone, and any launch of that
 * server (a session may not have heard yet) refused from then on.
 */
export class StdioContainer extends Container<AppEnv> {
  override defaultPort = BRIDGE_PORT;
  override sleepAfter: string | number = 300;
  // The readiness probe asks the bridge's health endpoint rather than a path it would answer 404.
  override pingEndpoint = "bridge/health";
  #launch: StdioLaunch | undefined;
  #stopping = false;

  /**
   * Called for every new downstream connection: a changed configuration restarts the instance. Null
   * when the launch is of a deleted server (this generation or an older one was retired).
   */
  async configure(launch: StdioLaunch): Promise<InstanceStatus | null> {
    if (launch.generation <= ((await this.ctx.storage.get<number>(RETIRED_KEY)) ?? -Infinity)) return null;
    const digest = await launchDigest(launch);
    const stored = await this.ctx.storage.get<{ digest: string }>(LAUNCH_KEY);
    if (stored?.digest !== digest) {
      const ring = await loadKeyRing(this.env.VAULT_KEYS);
      const sealed = await encryptRecord(ring, { kind: "instance-launch", owner: launch.instance, name: "launch" }, JSON.stringify(launch));
      await this.ctx.storage.put(LAUNCH_KEY, { digest, sealed });
      if (this.ctx.container?.running) await this.sleep();
    }
    this.#apply(launch);
    return this.status();
  }

  async wake(launch: StdioLaunch): Promise<InstanceStatus | null> {
    if (!(await this.configure(launch))) return null;
    await this.#record(starting(await this.#lifecycle(), new Date()));
    await this.startAndWaitForPorts(BRIDGE_PORT);
    return this.status();
  }

  async sleep(): Promise<InstanceStatus> {
    this.#stopping = true;
    await this.stop("SIGTERM");
    await this.#record(asleep(await this.#lifecycle(), new Date()));
    return this.status();
  }

  /** Its server was deleted: stopped for good, with nothing left that could start it again. */
  async retire(generation: number): Promise<void> {
    const retired = (await this.ctx.storage.get<number>(RETIRED_KEY)) ?? generation;
    await this.ctx.storage.put(RETIRED_KEY, Math.max(retired, generation));
    await this.ctx.storage.delete([LAUNCH_KEY, LIFECYCLE_KEY]);
    this.#launch = undefined;
    this.deleteSchedules("restartWarm");
    this.deleteSchedules("checkHealth");
    this.#stopping = true;
    if (this.ctx.container?.running) await this.destroy();
  }

  async status(): Promise<InstanceStatus> {
    return statusOf(this.ctx.id.name ?? this.ctx.id.toString(), await this.#lifecycle());
  }

  override async fetch(request: Request): Promise<Response> {
    const launch = await this.#loadLaunch();
    if (!launch && (await this.ctx.storage.get(RETIRED_KEY)) !== undefined) return jsonRpcUnavailable(DELETED, 0);
    if (!launch) return jsonRpcUnavailable("This stdio instance has no configuration yet; the next connection provides it", 0);
    const lifecycle = await this.#lifecycle();
    const blocked = wakeBlockedForMs(lifecycle, new Date());
    if (blocked > 0 && !this.ctx.container?.running) return jsonRpcUnavailable(`The stdio server keeps failing (${lifecycle.lastError ?? "no details"}); retrying in ${Math.ceil(blocked / 1000)} s`, blocked);
    return super.fetch(request);
  }

  override async onStart(): Promise<void> {
    // A start under way when the server was deleted: it goes at once.
    if (!(await this.#loadLaunch())) {
      this.#stopping = true;
      await this.destroy();
      return;
    }
    this.#stopping = false;
    await this.#record(online(await this.#lifecycle(), new Date()));
    await this.schedule(HEALTH_EVERY_SECONDS, "checkHealth");
  }

  override async onStop({ exitCode, reason }: StopParams): Promise<void> {
    const now = new Date();
    if (this.#stopping || exitCode === 0) {
      await this.#record(asleep(await this.#lifecycle(), now));
      return;
    }
    const lifecycle = failed(await this.#lifecycle(), `The container exited with code ${exitCode} (${reason})`, now);
    await this.#record(lifecycle);
    const delay = restartDelay(lifecycle, this.#launch?.keepWarm ?? false);
    if (delay !== null) await this.schedule(Math.max(1, Math.ceil(delay / 1000)), "restartWarm");
  }

  override onError(error: unknown): unknown {
    const message = error instanceof Error ? error.message : String(error);
    void this.#lifecycle().then((lifecycle) => this.#record(failed(lifecycle, message, new Date())));
    throw error;
  }

  /** A warm instance stays up; any other is put to sleep, to wake on its next call. */
  override async onActivityExpired(): Promise<void> {
    if (this.#launch?.keepWarm) {
      this.renewActivityTimeout();
      return;
    }
    await this.sleep();
  }

  /** Scheduled: the bridge must answer its health endpoint, or it is replaced. */
  async checkHealth(): Promise<void> {
    if (!this.ctx.container?.running) return;
    // Straight to the port: a request through containerFetch would count as activity and keep it awake.
    const healthy = await this.ctx.container
      .getTcpPort(BRIDGE_PORT)
      .fetch("http://bridge/health", { signal: AbortSignal.timeout(5000) })
      .then((response) => response.ok)
      .catch(() => false);
    if (healthy) {
      await this.schedule(HEALTH_EVERY_SECONDS, "checkHealth");
      return;
    }
    await this.#record(failed(await this.#lifecycle(), "The bridge stopped answering its health check", new Date()));
    await this.destroy();
  }

  /** Scheduled after a warm instance failed: the back-off has passed. */
  async restartWarm(): Promise<void> {
    const launch = await this.#loadLaunch();
    if (launch?.keepWarm && !this.ctx.container?.running) await this.wake(launch);
  }

  #apply(launch: StdioLaunch): void {
    this.#launch = launch;
    this.sleepAfter = launch.keepWarm ? "24h" : launch.idleSeconds;
    this.envVars = {
      BRIDGE_COMMAND: launch.command,
      BRIDGE_ARGS: JSON.stringify(launch.args),
      BRIDGE_SERVER_ENV: JSON.stringify(launch.env),
      BRIDGE_PORT: String(BRIDGE_PORT),
    };
  }

  async #loadLaunch(): Promise<StdioLaunch | undefined> {
    if (this.#launch) return this.#launch;
    const stored = await this.ctx.storage.get<{ sealed: string }>(LAUNCH_KEY);
    if (!stored) return undefined;
    const ring = await loadKeyRing(this.env.VAULT_KEYS);
    const name = this.ctx.id.name ?? "";
    const launch = JSON.parse(await decryptRecord(ring, { kind: "instance-launch", owner: name, name: "launch" }, stored.sealed).catch(() => "null")) as StdioLaunch | null;
    if (launch) this.#apply(launch);
    return launch ?? undefined;
  }

  async #lifecycle(): Promise<Lifecycle> {
    return (await this.ctx.storage.get<Lifecycle>(LIFECYCLE_KEY)) ?? NEVER_STARTED;
  }

  async #record(lifecycle: Lifecycle): Promise<void> {
    await this.ctx.storage.put(LIFECYCLE_KEY, lifecycle);
  }
}

/** A JSON-RPC error the SDK client reports as the call's failure, rather than an HTTP error it cannot read. */
function jsonRpcUnavailable(message: string, retryAfterMs: number): Response {
  return Response.json(
    { jsonrpc: "2.0", id: null, error: { code: -32003, message } },
    { status: 503, headers: retryAfterMs > 0 ? { "retry-after": String(Math.ceil(retryAfterMs / 1000)) } : {} },
  );
}
