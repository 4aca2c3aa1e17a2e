// `npm run dev`'s supervisor of stdio servers, on loopback outside workerd (which cannot start
// processes). The Worker reaches it at STDIO_SUPERVISOR_URL with a token derived from the owner key and
// STDIO_SUPERVISOR_NONCE, random per run (worker/servers/supervisor-token.ts); it
// starts, stops and locates instances, and proxies each call to its instance's bridge, waking it first.
import { timingSafeEqual } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import type { StdioLaunch } from "../../worker/servers/stdio-definition.ts";
import { supervisorToken } from "../../worker/servers/supervisor-token.ts";
import { NEVER_STARTED, statusOf, wakeBlockedForMs } from "../../worker/servers/stdio-lifecycle.ts";
import { BridgeInstance } from "./stdio-instance.ts";

const START_LIMIT_MS = 120_000;

const launchSchema = z.strictObject({
  instance: z.string().min(1).max(200).describe("The instance name: serverId, or serverId~userId"),
  command: z.string().min(1).describe("The stdio server's executable"),
  args: z.array(z.string()).describe("Its arguments"),
  env: z.record(z.string(), z.string()).describe("Its environment, values resolved"),
  idleSeconds: z.number().int().positive().describe("Idle time before it is stopped"),
  keepWarm: z.boolean().describe("Never stopped for idleness"),
  generation: z.number().int().describe("When its server was created (ms): a deleted server's is refused"),
});
const retireSchema = z.strictObject({ generation: z.number().int().describe("The deleted server's generation") });

export interface StdioSupervisor {
  url: string;
  /** Goes on wrangler's command line; the token does not (anyone local can read a command line). */
  nonce: string;
  token: string;
  /** Every instance, for tests and the bench: name → bridge process id, if running. */
  instances(): Map<string, number | undefined>;
  stopAll(): Promise<void>;
  /** Synchronous, for process "exit": kills every instance's process group. */
  killAll(): void;
}

export async function startStdioSupervisor(ownerKey: string): Promise<StdioSupervisor> {
  const nonce = crypto.randomUUID();
  const token = await supervisorToken(ownerKey, nonce);
  const instances = new Map<string, BridgeInstance>();
  // Instances of deleted servers → the newest generation deleted: a launch no newer is refused (410).
  const retired = new Map<string, number>();
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => reply(res, 500, { error: error instanceof Error ? error.message : String(error) }));
  });

  /** The instance for `launch`, configured with it; undefined when its server has been deleted. */
  async function configured(launch: StdioLaunch): Promise<BridgeInstance | undefined> {
    const deleted = () => launch.generation <= (retired.get(launch.instance) ?? -Infinity);
    if (deleted()) return undefined;
    const known = instances.get(launch.instance);
    if (known) {
      await known.configure(launch);
      return known;
    }
    const created = await BridgeInstance.create(launch);
    // Again after the wait: a deletion that came meanwhile must not be undone by this launch.
    if (deleted()) return undefined;
    instances.set(launch.instance, created);
    return created;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req.headers.authorization, token)) return reply(res, 401, { error: "unauthorized" });
    const match = /^\/instances\/([^/]+)(\/start|\/stop|\/mcp)?$/.exec(new URL(req.url ?? "/", "http://supervisor").pathname);
    if (!match) return reply(res, 404, { error: "not found" });
    const name = decodeURIComponent(match[1]!);
    const action = match[2] ?? "";
    const instance = instances.get(name);
    if (action === "/mcp") {
      if (!instance && retired.has(name)) return rpcError(res, 410, "This stdio instance's server has been deleted");
      return proxy(req, res, instance);
    }
    if (action === "/stop") {
      await instance?.stop();
      return reply(res, 200, instance ? await instance.status() : statusOf(name, NEVER_STARTED));
    }
    if (req.method === "GET" && action === "") return reply(res, 200, instance ? await instance.status() : statusOf(name, NEVER_STARTED));
    if (req.method === "DELETE" && action === "") {
      const { generation } = retireSchema.parse(JSON.parse(await readBody(req)));
      retired.set(name, Math.max(generation, retired.get(name) ?? generation));
      instances.delete(name);
      await instance?.retire();
      return reply(res, 200, statusOf(name, NEVER_STARTED));
    }
    const launch = launchSchema.parse(JSON.parse(await readBody(req)));
    if (launch.instance !== name) return reply(res, 400, { error: "instance name mismatch" });
    const target = await configured(launch);
    if (!target) return reply(res, 410, { error: "This stdio instance's server has been deleted" });
    if (action === "/start") await target.waitOnline(START_LIMIT_MS);
    return reply(res, 200, await target.status());
  }

  async function proxy(req: IncomingMessage, res: ServerResponse, instance: BridgeInstance | undefined): Promise<void> {
    if (!instance) return rpcError(res, 404, "This stdio instance is not configured (the supervisor restarted?); reconnect");
    const blocked = wakeBlockedForMs(instance.lifecycle, new Date());
    if (blocked > 0 && instance.pid === undefined) {
      return rpcError(res, 503, `The stdio server keeps failing (${instance.lifecycle.lastError ?? "no details"}); retrying in ${Math.ceil(blocked / 1000)} s`);
    }
    instance.begin();
    let ended = false;
    const end = () => {
      if (!ended) instance.end();
      ended = true;
    };
    res.once("close", end);
    try {
      const port = await instance.wake();
      const headers = { ...req.headers };
      delete headers.authorization;
      const upstream = httpRequest({ host: "127.0.0.1", port, path: "/mcp", method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.once("error", (error) => {
        if (res.headersSent) res.destroy();
        else rpcError(res, 502, `The stdio bridge is unreachable: ${error.message}`);
      });
      req.pipe(upstream);
    } catch (error) {
      end();
      rpcError(res, 503, error instanceof Error ? error.message : String(error));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    nonce,
    token,
    instances: () => new Map([...instances].map(([name, instance]) => [name, instance.pid])),
    async stopAll() {
      await closeServer(server);
      await Promise.all([...instances.values()].map((instance) => instance.stop()));
    },
    killAll() {
      for (const instance of instances.values()) instance.killNow();
    },
  };
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? "");
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** For the SDK client on the other side: an error it reads as the call's own answer. */
function rpcError(res: ServerResponse, status: number, message: string): void {
  reply(res, status, { jsonrpc: "2.0", id: null, error: { code: -32003, message } });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
