import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Worker } from "node:worker_threads";
import type { CpuMeter } from "./bench-cpu.ts";

/** How user A's client treats a 429: a hostile one sends again at once, a well-behaved one waits out Retry-After. */
export type FloodClient = "ignores Retry-After" | "waits out Retry-After";

/** What user A's thread is given. */
export interface FloodJob extends Omit<FairnessTarget, "meter"> {
  apiKey: string;
  tool: string;
  plan: FairnessPlan;
  client: FloodClient;
}

/** What A's flood got: sessions opened, calls answered, and refusals by kind. */
export interface FloodOutcome {
  sessionsOpened: number;
  callsOk: number;
  refused: Record<string, number>;
}

/** What the row needs of the run: the audited gateway, the fixture's id there, and the per-call timeout. */
export interface FairnessTarget {
  origin: string;
  /** Meters the gateway's workerd over each phase; absent on A's thread, which meters nothing. */
  meter?: CpuMeter;
  serverId: string;
  callTimeoutMs: number;
}

/**
 * "One user cannot slow another down much" (issue 21): user B makes paced echo calls on /mcp, first
 * alone, then while user A floods the same gateway: A opens sessions up to MCP_MAX_SESSIONS_PER_USER and
 * sends large payloads from several workers. Twice, each time as a user of its own: a hostile client that
 * never waits, then one that waits out Retry-After. All are plain users with the gateway's default limits.
 * The row is B's p50 and p95 during each flood over the same figures alone, measured in one run; nothing
 * here asserts a timing.
 */
export interface FairnessPlan {
  /** B's calls in each phase, one every `paceMs`. */
  pacedCalls: number;
  paceMs: number;
  floodWorkers: number;
  floodPayloadBytes: number;
  /** How many sessions A tries to open before the flood (the gateway's cap refuses the rest). */
  floodSessions: number;
}

export interface FairnessResult {
  plan: FairnessPlan;
  alone: Percentiles;
  floods: FloodPhase[];
}

export interface FloodPhase {
  client: FloodClient;
  /** B during this flood. */
  during: Percentiles;
  /** during ÷ alone, p50 and p95. */
  ratio: { p50: number; p95: number };
  outcome: FloodOutcome;
}

export interface Percentiles {
  p50: number;
  p95: number;
  calls: number;
  /** B's failed calls: B must never be refused for A's traffic. */
  errors: number;
  /** CPU over the phase as a share of one core: the gateway's workerd, and this process (both clients). */
  cpu: { workerd: number | null; clients: number };
}

export interface FairnessUsers {
  /** API keys, only ever sent in an Authorization header: B's, and one user per flood. */
  pacedApiKey: string;
  floodApiKeys: Record<FloodClient, string>;
}

const FLOOD_CLIENTS: FloodClient[] = ["ignores Retry-After", "waits out Retry-After"];

export async function measureFairness(context: FairnessTarget, users: FairnessUsers, plan: FairnessPlan): Promise<FairnessResult> {
  const tool = `${context.serverId}__echo`;
  const paced = await openSession(context, users.pacedApiKey);
  try {
    // Warm B's path (and the gateway's caches) before either phase.
    await pacedCalls(paced, tool, Math.min(10, plan.pacedCalls), plan.paceMs, context.callTimeoutMs);
    const alone = percentiles(await metered(context, () => pacedCalls(paced, tool, plan.pacedCalls, plan.paceMs, context.callTimeoutMs)));
    const floods: FloodPhase[] = [];
    for (const client of FLOOD_CLIENTS) {
      // A runs on a thread of its own, as another client would: its JSON and sockets must not hold up B's
      // event loop, or the row would measure this process instead of the gateway.
      const flood = new FloodThread({ origin: context.origin, serverId: context.serverId, callTimeoutMs: context.callTimeoutMs, apiKey: users.floodApiKeys[client], tool, plan, client });
      await flood.ready;
      const during = percentiles(await metered(context, () => pacedCalls(paced, tool, plan.pacedCalls, plan.paceMs, context.callTimeoutMs)));
      const outcome = await flood.stop();
      floods.push({ client, during, ratio: { p50: during.p50 / alone.p50, p95: during.p95 / alone.p95 }, outcome });
    }
    return { plan, alone, floods };
  } finally {
    await paced.close();
  }
}

export function formatFairness(result: FairnessResult): string {
  const { plan, alone, floods } = result;
  const share = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(0)}%`);
  const ms = (p: Percentiles) =>
    `p50 ${p.p50.toFixed(1)} ms, p95 ${p.p95.toFixed(1)} ms (${p.calls} calls${p.errors ? `, ${p.errors} errors` : ""}); CPU of one core: workerd ${share(p.cpu.workerd)}, bench clients ${share(p.cpu.clients)}`;
  const lines = [
    `Fairness (user B's paced echo on /mcp, one call every ${plan.paceMs} ms; user A floods with ${plan.floodWorkers} workers sending ${(plan.floodPayloadBytes / 1000).toFixed(0)} KB echo calls after opening up to ${plan.floodSessions} sessions; default limits):`,
    `  B alone:                            ${ms(alone)}`,
  ];
  for (const flood of floods) {
    const refused = Object.entries(flood.outcome.refused)
      .map(([kind, n]) => `${n}× ${kind}`)
      .join(", ");
    lines.push(
      `  B while A floods, A ${flood.client.padEnd(22)}${ms(flood.during)}`,
      `    ratio ÷ alone: p50 ×${flood.ratio.p50.toFixed(2)}, p95 ×${flood.ratio.p95.toFixed(2)}; A got ${flood.outcome.sessionsOpened} sessions, ${flood.outcome.callsOk} calls answered${refused ? `, refused ${refused}` : ""}`,
    );
  }
  return lines.join("\n");
}

export interface OpenSession {
  client: Client;
  close(): Promise<void>;
}

export async function openSession(context: FairnessTarget, apiKey: string): Promise<OpenSession> {
  const transport = new StreamableHTTPClientTransport(new URL("/mcp", context.origin), {
    requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
  });
  const client = new Client({ name: "peta-bench-fairness", version: "1.0.0" });
  await client.connect(transport, { timeout: context.callTimeoutMs });
  return {
    client,
    async close() {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

/** `count` calls, each started `paceMs` after the previous one started (or at once when it took longer). */
async function pacedCalls(session: OpenSession, tool: string, count: number, paceMs: number, timeoutMs: number): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const text = `paced ${i}`;
    try {
      const result = (await session.client.callTool({ name: tool, arguments: { text } }, undefined, { timeout: timeoutMs })) as { isError?: unknown; content?: unknown };
      const [first] = Array.isArray(result.content) ? (result.content as { text?: string }[]) : [];
      if (result.isError || !first?.text?.endsWith(text)) throw new Error(`unexpected answer: ${JSON.stringify(result).slice(0, 200)}`);
      latencies.push(performance.now() - started);
    } catch {
      errors++;
    }
    const left = paceMs - (performance.now() - started);
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }
  return { latencies, errors };
}

type PacedRun = { latencies: number[]; errors: number };


/** `run`, with the CPU that workerd and this process used over it. */
async function metered(context: FairnessTarget, run: () => Promise<PacedRun>): Promise<PacedRun & { cpu: Percentiles["cpu"] }> {
  const workerdBefore = context.meter?.sample(context.origin);
  const clientsBefore = process.cpuUsage();
  const started = performance.now();
  const result = await run();
  const elapsedMs = performance.now() - started;
  const clients = process.cpuUsage(clientsBefore);
  const workerdMs = workerdBefore && context.meter ? context.meter.since(workerdBefore, context.origin).workerdMs : null;
  return { ...result, cpu: { workerd: workerdMs === null ? null : workerdMs / elapsedMs, clients: (clients.user + clients.system) / 1000 / elapsedMs } };
}

function percentiles(run: PacedRun & { cpu: Percentiles["cpu"] }): Percentiles {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  // Nearest rank, as the load rows use.
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
  return { p50: rank(0.5), p95: rank(0.95), calls: sorted.length, errors: run.errors, cpu: run.cpu };
}

/** A refusal's kind, for counting: the HTTP status and JSON-RPC code when there are, else the message's first words. */
export function refusalKind(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { code?: unknown } | null)?.code;
  const rpc = /"code":\s*(-\d+)/.exec(message)?.[1];
  if (typeof status === "number" && status >= 400) return `HTTP ${status}${rpc ? ` ${rpc}` : ""}`;
  if (typeof status === "number" && status < 0) return `${status}`;
  return message.split(/[:\d]/)[0]!.trim().slice(0, 60) || "error";
}

/** User A's flood, on a worker thread (bench-fairness-flood.ts): it opens its sessions, says it is ready, and floods until stopped. */
class FloodThread {
  readonly ready: Promise<void>;
  readonly #worker: Worker;
  readonly #outcome: Promise<FloodOutcome>;

  constructor(job: FloodJob) {
    this.#worker = new Worker(new URL("./bench-fairness-flood.ts", import.meta.url), { workerData: job });
    const failed = new Promise<never>((_, reject) => {
      this.#worker.once("error", reject);
      this.#worker.once("exit", (code) => reject(new Error(`the flood thread exited (${code}) before it reported`)));
    });
    this.ready = Promise.race([new Promise<void>((resolve) => this.#worker.once("message", () => resolve())), failed]);
    this.#outcome = Promise.race([new Promise<FloodOutcome>((resolve) => this.ready.then(() => this.#worker.once("message", resolve))), failed]);
    // Neither rejection may go unhandled while the other phase runs; both are awaited later.
    failed.catch(() => {});
  }

  async stop(): Promise<FloodOutcome> {
    this.#worker.postMessage("stop");
    try {
      return await this.#outcome;
    } finally {
      await this.#worker.terminate();
    }
  }
}
