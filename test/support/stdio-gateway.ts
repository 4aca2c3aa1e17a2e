// `npm run dev` in a throwaway project, driven as a user would: the admin API with the owner key, users
// with their own API keys, and the official SDK Client on /mcp. For the stdio-runtime tests.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { type DevProcess, describeOutput, freePort, type LiveProcess, makeDevProject, parseDevVars, processesOf, REPO_ROOT, startDev, waitForHealthy, waitForNoProcesses } from "./dev-project.ts";

export const STDIO_FIXTURE = join(REPO_ROOT, "test", "fixtures", "stdio-fixture-server.ts");
export const EVERYTHING = join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");

export interface ActionBody<T> {
  success: boolean;
  data?: T;
  error?: { code: number; message: string };
}

export interface InstanceView {
  instance: string;
  state: string;
  lastError: string | null;
  starts: number;
  userId: string | null;
}

export class StdioGateway {
  readonly dir: string;
  readonly dev: DevProcess;
  readonly origin: string;
  readonly ownerKey: string;
  readonly #clients: Client[] = [];

  private constructor(dir: string, dev: DevProcess, origin: string, ownerKey: string) {
    this.dir = dir;
    this.dev = dev;
    this.origin = origin;
    this.ownerKey = ownerKey;
  }

  static async start(): Promise<StdioGateway> {
    const dir = makeDevProject();
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const dev = startDev(dir, port);
    await waitForHealthy(dev, origin);
    const ownerKey = parseDevVars(readFileSync(join(dir, ".dev.vars"), "utf8")).OWNER_KEY ?? "";
    return new StdioGateway(dir, dev, origin, ownerKey);
  }

  async post<T>(path: "/admin" | "/user", credential: string, action: number, data: unknown): Promise<{ status: number; body: ActionBody<T>; text: string }> {
    const response = await fetch(`${this.origin}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
      body: JSON.stringify({ action, data }),
      signal: AbortSignal.timeout(150_000),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as ActionBody<T>, text };
  }

  /** An admin action that must succeed; its data. */
  async admin<T>(action: number, data: unknown): Promise<T> {
    const { body, text } = await this.post<T>("/admin", this.ownerKey, action, data);
    if (!body.success) throw new Error(`admin ${action} failed: ${text}\n${describeOutput(this.dev)}`);
    return body.data as T;
  }

  async createUser(name: string): Promise<{ userId: string; apiKey: string }> {
    return this.admin<{ userId: string; apiKey: string }>(1010, { name });
  }

  async instances(serverId: string): Promise<InstanceView[]> {
    return (await this.admin<{ servers: { instances: InstanceView[] | null }[] }>(3004, { serverId })).servers[0]?.instances ?? [];
  }

  async client(credential = this.ownerKey, capabilities: ClientCapabilities = {}, path = "/mcp"): Promise<Client> {
    const client = new Client({ name: "stdio-test", version: "1.0.0" }, { capabilities });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${this.origin}${path}`), { requestInit: { headers: { authorization: `Bearer ${credential}` } } }));
    this.#clients.push(client);
    return client;
  }

  /** Processes of this project whose command line or environment-free identity names `marker`. */
  processesRunning(marker: string): LiveProcess[] {
    return processesOf(this.dir).filter((p) => p.cmdline.includes(marker));
  }

  /** Stops npm run dev; returns whatever of the project is still running afterwards (bounded wait). */
  async stop(): Promise<LiveProcess[]> {
    await Promise.all(this.#clients.map((client) => client.close().catch(() => {})));
    if (this.dev.child.exitCode === null) this.dev.child.kill("SIGTERM");
    await Promise.race([this.dev.exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    return waitForNoProcesses(this.dir);
  }

  /** After a failure: end exactly what this test started, then remove the project. */
  cleanUp(): void {
    if (this.dev.child.exitCode === null) this.dev.child.kill("SIGKILL");
    for (const leftover of processesOf(this.dir)) {
      try {
        process.kill(leftover.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Every live process (of any project) whose environment holds `value`: where an injected secret of a
 * stdio server lives while its instance runs. Processes of other users, which cannot be read, are skipped.
 */
export function processesHolding(value: string): LiveProcess[] {
  const found: LiveProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, "utf8").includes(value)) continue;
      found.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim(), cwd: "" });
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return found;
}

/** Polls `probe` until it returns true, within `limitMs`. */
export async function eventually(probe: () => Promise<boolean> | boolean, limitMs: number, what: string): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not happen within ${limitMs / 1000} s`);
}

export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((part) => part.text ?? "").join("");
}
