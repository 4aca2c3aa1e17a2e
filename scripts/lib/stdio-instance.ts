// One stdio server instance under `npm run dev`: the bridge from containers/bridge as a local process,
// woken on demand and put to sleep when idle, as the StdioContainer Durable Object does in production.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { launchDigest, type StdioLaunch } from "../../worker/servers/stdio-definition.ts";
import { asleep, failed, type Lifecycle, NEVER_STARTED, online, restartDelay, starting, statusOf } from "../../worker/servers/stdio-lifecycle.ts";
import type { InstanceStatus } from "../../worker/servers/stdio-runtime.ts";
import { freePort } from "./free-port.ts";

const BRIDGE_MAIN = fileURLToPath(new URL("../../containers/bridge/main.ts", import.meta.url));
const LISTEN_LIMIT_MS = 30_000;
const STOP_GRACE_MS = 3000;
// What a server needs from the launcher's own environment; nothing else of it (database URLs, tokens) is passed on.
const INHERITED = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "TMPDIR", "npm_config_cache"];

export class BridgeInstance {
  readonly name: string;
  #launch: StdioLaunch;
  #digest: string;
  #lifecycle: Lifecycle = NEVER_STARTED;
  #process: ChildProcess | undefined;
  #port: number | undefined;
  #waking: Promise<number> | undefined;
  #inFlight = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  /** Its server was deleted: nothing (a call in flight, a restart timer, a wake under way) may start it again. */
  #retired = false;

  private constructor(launch: StdioLaunch, digest: string) {
    this.name = launch.instance;
    this.#launch = launch;
    this.#digest = digest;
  }

  static async create(launch: StdioLaunch): Promise<BridgeInstance> {
    return new BridgeInstance(launch, await launchDigest(launch));
  }

  /**
   * While the bridge runs, its health says more than the process being alive: whether the stdio server
   * inside it has started, or why it could not.
   */
  async status(): Promise<InstanceStatus> {
    const status = statusOf(this.name, this.#lifecycle);
    if (this.#port === undefined) return status;
    const health = await this.#health(this.#port);
    if (health?.status === "starting") return { ...status, state: "starting" };
    if (health?.status === "error") return { ...status, state: "error", lastError: health.lastError };
    return status;
  }

  #health(port: number): Promise<{ status: string; lastError: string | null } | null> {
    return fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) })
      .then((r) => r.json() as Promise<{ status: string; lastError: string | null }>)
      .catch(() => null);
  }

  get lifecycle(): Lifecycle {
    return this.#lifecycle;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** A changed launch (settings or a value) restarts the instance, on its next wake-up. */
  async configure(launch: StdioLaunch): Promise<void> {
    const digest = await launchDigest(launch);
    if (digest === this.#digest) return;
    await this.stop();
    this.#launch = launch;
    this.#digest = digest;
  }

  /** The bridge's port once it listens, starting it if it sleeps. */
  wake(): Promise<number> {
    if (this.#process && this.#port !== undefined && !this.#waking) return Promise.resolve(this.#port);
    this.#waking ??= this.#spawn().finally(() => (this.#waking = undefined));
    return this.#waking;
  }

  /** Waits until the stdio server itself has started (not just the bridge): what START_SERVER promises. */
  async waitOnline(limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    const port = await this.wake();
    while (Date.now() < deadline) {
      const health = await this.#health(port);
      if (health?.status === "online") return;
      if (health?.status === "error") throw new Error(health.lastError ?? "The stdio server failed to start");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`The stdio server did not start within ${limitMs / 1000} s`);
  }

  /** A call began: the idle clock stops until every call has ended. */
  begin(): void {
    this.#inFlight++;
    clearTimeout(this.#idleTimer);
  }

  end(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (this.#inFlight === 0) this.#armIdle();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#restartTimer);
    const child = this.#process;
    this.#process = undefined;
    this.#port = undefined;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      signalGroup(child.pid, "SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS))]);
    }
    // The server's own children (npx starts node) share the group: whatever ignored SIGTERM goes now.
    if (child?.pid !== undefined) signalGroup(child.pid, "SIGKILL");
    if (child) this.#lifecycle = asleep(this.#lifecycle, new Date());
  }

  /** Its server was deleted: stopped for good. */
  async retire(): Promise<void> {
    this.#retired = true;
    await this.stop();
  }

  /** For the launcher's last moment (process "exit"), where nothing can be awaited. */
  killNow(): void {
    if (this.#process?.pid !== undefined) signalGroup(this.#process.pid, "SIGKILL");
  }

  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#launch.keepWarm || !this.#process) return;
    this.#idleTimer = setTimeout(() => void this.stop(), this.#launch.idleSeconds * 1000);
    this.#idleTimer.unref();
  }

  async #spawn(): Promise<number> {
    this.#lifecycle = starting(this.#lifecycle, new Date());
    const port = await freePort();
    // Checked after the wait, and before the process exists: a retire that came meanwhile wins.
    if (this.#retired) throw new Error("This stdio instance's server has been deleted");
    const env: Record<string, string> = {};
    for (const name of INHERITED) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, {
      BRIDGE_COMMAND: this.#launch.command,
      BRIDGE_ARGS: JSON.stringify(this.#launch.args),
      BRIDGE_SERVER_ENV: JSON.stringify(this.#launch.env),
      BRIDGE_PORT: String(port),
      BRIDGE_HOST: "127.0.0.1",
    });
    // Its own process group, so stopping it reaches the server and anything the server started.
    // (The generated ProcessEnv type claims the Worker's vars; this environment deliberately has none of them.)
    const child = spawn(process.execPath, [BRIDGE_MAIN], { detached: true, stdio: ["ignore", "ignore", "ignore"], env: env as NodeJS.ProcessEnv });
    this.#process = child;
    child.once("exit", (code, signal) => this.#exited(child, code, signal));
    try {
      await waitListening(port, child);
    } catch (error) {
      if (this.#process === child) await this.stop();
      this.#lifecycle = failed(this.#lifecycle, error instanceof Error ? error.message : String(error), new Date());
      throw error;
    }
    this.#port = port;
    this.#lifecycle = online(this.#lifecycle, new Date());
    if (this.#inFlight === 0) this.#armIdle();
    return port;
  }

  #exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#process !== child) return; // stopped on purpose
    this.#process = undefined;
    this.#port = undefined;
    signalGroup(child.pid ?? 0, "SIGKILL");
    this.#lifecycle = failed(this.#lifecycle, `The bridge exited (${signal ?? `code ${code}`})`, new Date());
    const delay = restartDelay(this.#lifecycle, this.#launch.keepWarm);
    if (delay !== null) this.#restartTimer = setTimeout(() => void this.wake().catch(() => {}), delay);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

async function waitListening(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + LISTEN_LIMIT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`The bridge exited at start (code ${child.exitCode})`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok).catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`The bridge did not listen within ${LISTEN_LIMIT_MS / 1000} s`);
}
