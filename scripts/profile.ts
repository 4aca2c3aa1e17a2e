// `npm run profile`: where the gateway's CPU goes on the hot path. It starts the gateway in workerd as
// `npm run bench` does, with workerd's DevTools inspector open, drives `tools/call` to the fixture's echo
// as a plain user (API key) from a few SDK client sessions, samples the isolate's CPU over that window,
// and prints self time by function and by source file. The full profile is written to
// .bench/profile.cpuprofile (open it in Chrome DevTools' Performance panel). Nothing here asserts a timing.
//
// Flags: --seconds <n> (default 10) of sampled load; --sessions <n> (default 8) concurrent sessions.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import WebSocket from "ws";
import { startFixtureServer } from "../test/support/downstream-servers.ts";
import { Cleanup } from "./lib/bench-cleanup.ts";
import { startBenchDatabase } from "./lib/bench-database.ts";
import { bundleGateway, startGateway } from "./lib/bench-gateway.ts";
import { generateSecrets } from "./lib/dev-vars.ts";
import { freePort } from "./lib/free-port.ts";
import { runMigrations } from "./lib/migrate.ts";

const PROFILE_PATH = fileURLToPath(new URL("../.bench/profile.cpuprofile", import.meta.url));
const SAMPLING_INTERVAL_US = 100;
const TOP = 30;

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** One DevTools protocol session with the isolate behind the inspector's first target. */
async function inspect(port: number): Promise<(method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl?: string; title?: string }[];
  const target = targets.find((t) => t.webSocketDebuggerUrl);
  if (!target?.webSocketDebuggerUrl) throw new Error("workerd's inspector lists no target");
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  let nextId = 1;
  const waiting = new Map<number, (result: Record<string, unknown>) => void>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown> };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result ?? {});
  });
  return (method, params = {}) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
}

/** Self time per key (a function, or a file), in ms, highest first. */
function selfTime(profile: CpuProfile, keyOf: (frame: CallFrame) => string): [string, number][] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const totals = new Map<string, number>();
  profile.samples.forEach((nodeId, i) => {
    const key = keyOf(byNode.get(nodeId)!);
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

function fileOf(frame: CallFrame): string {
  if (!frame.url) return frame.functionName ? `(${frame.functionName})` : "(native)";
  return frame.url.replace(/^.*\/(node_modules\/)/, "$1").replace(/^.*\//, "");
}

const cleanup = new Cleanup();
cleanup.exitOnSignals();
try {
  const seconds = flag("seconds", 10);
  const sessions = flag("sessions", 8);
  const fixture = await startFixtureServer("profile");
  cleanup.addChild("fixture server", fixture.process);
  const database = await startBenchDatabase(cleanup);
  await runMigrations(database.url);
  const secrets = await generateSecrets();
  const inspectorPort = await freePort();
  const gateway = await startGateway({ cleanup, bundle: await bundleGateway(cleanup), hyperdriveUrl: database.hyperdriveUrl, secrets, inspectorPort });

  const admin = async (action: number, data: Record<string, unknown>) => {
    const response = await fetch(`${gateway.origin}/admin`, { method: "POST", headers: { authorization: `Bearer ${secrets.OWNER_KEY}` }, body: JSON.stringify({ action, data }) });
    const reply = (await response.json()) as { success: boolean; data?: unknown };
    if (!reply.success) throw new Error(`admin action ${action} failed (${response.status})`);
    return reply.data;
  };
  await admin(2010, { serverId: "profile", transport: "streamable-http", url: fixture.url });
  const created = (await admin(1010, { name: "profile" })) as { apiKey?: string; userId?: string } | undefined;
  const apiKey = created?.apiKey;
  if (!apiKey || !created.userId) throw new Error("CREATE_USER returned no apiKey");
  // The limiter still runs on every call; it must not refuse the sampled ones.
  await admin(1012, { userId: created.userId, rateLimitPerMinute: 1_000_000 });

  const clients = await Promise.all(
    Array.from({ length: sessions }, async () => {
      const client = new Client({ name: "peta-profile", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", gateway.origin), { requestInit: { headers: { authorization: `Bearer ${apiKey}` } } }));
      return client;
    }),
  );
  const loop = async (client: Client, until: number) => {
    let calls = 0;
    while (Date.now() < until) {
      await client.callTool({ name: "profile__echo", arguments: { text: `call ${calls}` } });
      calls++;
    }
    return calls;
  };
  // Warm: JIT, connections and caches, before anything is sampled.
  await Promise.all(clients.map((client) => loop(client, Date.now() + 2000)));

  const send = await inspect(inspectorPort);
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
  await send("Profiler.start");
  const counts = await Promise.all(clients.map((client) => loop(client, Date.now() + seconds * 1000)));
  const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
  await Promise.all(clients.map((client) => client.close()));

  const calls = counts.reduce((a, b) => a + b, 0);
  const sampled = profile.timeDeltas.reduce((a, b) => a + b, 0) / 1000;
  const idle = selfTime(profile, (frame) => frame.functionName).find(([name]) => name === "(idle)")?.[1] ?? 0;
  mkdirSync(fileURLToPath(new URL("../.bench/", import.meta.url)), { recursive: true });
  writeFileSync(PROFILE_PATH, JSON.stringify(profile));

  const perCall = (ms: number) => (ms / calls).toFixed(3);
  console.log(`\n${calls} tools/call in ${seconds} s from ${sessions} API-key sessions; isolate busy ${(sampled - idle).toFixed(0)} ms of ${sampled.toFixed(0)} ms sampled`);
  console.log(`busy CPU per call: ${perCall(sampled - idle)} ms (the isolate's JavaScript and what it calls; not workerd's own I/O threads)\n`);
  const print = (title: string, rows: [string, number][]) => {
    console.log(`${title.padEnd(72)}  ms/call   share`);
    for (const [key, ms] of rows.filter(([key]) => !key.startsWith("(idle)") && key !== "((idle))").slice(0, TOP)) {
      console.log(`${key.slice(0, 72).padEnd(72)}  ${perCall(ms).padStart(7)}  ${((100 * ms) / (sampled - idle)).toFixed(1).padStart(5)}%`);
    }
    console.log("");
  };
  print("self time by source file", selfTime(profile, fileOf));
  print("self time by function", selfTime(profile, (frame) => `${frame.functionName || "(anonymous)"} ${fileOf(frame)}:${frame.lineNumber + 1}`));
  console.log(`Wrote ${PROFILE_PATH}`);
} finally {
  await cleanup.run();
}
