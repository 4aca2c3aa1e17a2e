import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** What the row needs of the run: the audited gateway, the fixture's id there, and the per-call timeout. */
export interface FairnessTarget {
  origin: string;
  serverId: string;
  callTimeoutMs: number;
}

/**
 * "One user cannot slow another down much" (issue 21): user B makes paced echo calls on /mcp, first
 * alone, then while user A floods the same gateway: A opens sessions up to MCP_MAX_SESSIONS_PER_USER and
 * sends large payloads from several workers that never wait (a hostile client ignores Retry-After).
 * Both are plain users with the gateway's default limits. The row is B's p50 and p95 during the flood
 * over the same figures alone, measured in one run; nothing here asserts a timing.
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
  flood: Percentiles;
  /** flood ÷ alone, p50 and p95. */
  ratio: { p50: number; p95: number };
  /** B's failed calls, alone and during the flood: B must never be refused for A's traffic. */
  bErrors: { alone: number; flood: number };
  /** What A's flood got: sessions opened, calls answered, and refusals by their first words. */
  floodOutcome: { sessionsOpened: number; callsOk: number; refused: Record<string, number> };
}

export interface Percentiles {
  p50: number;
  p95: number;
  calls: number;
}

export interface FairnessUsers {
  /** API keys, only ever sent in an Authorization header. */
  floodApiKey: string;
  pacedApiKey: string;
}

export async function measureFairness(context: FairnessTarget, users: FairnessUsers, plan: FairnessPlan): Promise<FairnessResult> {
  const tool = `${context.serverId}__echo`;
  const paced = await openSession(context, users.pacedApiKey);
  const floodSessions: OpenSession[] = [];
  try {
    // Warm B's path (and the gateway's caches) before either phase.
    await pacedCalls(paced, tool, Math.min(10, plan.pacedCalls), plan.paceMs, context.callTimeoutMs);
    const aloneRun = await pacedCalls(paced, tool, plan.pacedCalls, plan.paceMs, context.callTimeoutMs);

    const outcome: FairnessResult["floodOutcome"] = { sessionsOpened: 0, callsOk: 0, refused: {} };
    const noteRefusal = (error: unknown) => {
      const words = refusalWords(error);
      outcome.refused[words] = (outcome.refused[words] ?? 0) + 1;
    };
    let flooding = true;
    const payload = "x".repeat(plan.floodPayloadBytes);
    const worker = async (session: OpenSession) => {
      while (flooding) {
        try {
          await session.client.callTool({ name: tool, arguments: { text: payload } }, undefined, { timeout: context.callTimeoutMs });
          outcome.callsOk++;
        } catch (error) {
          noteRefusal(error);
          // Never a busy loop in this process, which shares the machine with workerd; still no Retry-After.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    };
    // A opens its sessions while its first workers already flood, as an agent fleet would.
    const workers: Promise<void>[] = [];
    const opening = (async () => {
      for (let i = 0; i < plan.floodSessions && flooding; i++) {
        try {
          const session = await openSession(context, users.floodApiKey);
          floodSessions.push(session);
          outcome.sessionsOpened++;
          if (workers.length < plan.floodWorkers) workers.push(worker(session));
        } catch (error) {
          noteRefusal(error);
        }
      }
    })();
    const floodRun = await pacedCalls(paced, tool, plan.pacedCalls, plan.paceMs, context.callTimeoutMs);
    flooding = false;
    await opening;
    await Promise.all(workers);

    const alone = percentiles(aloneRun.latencies);
    const flood = percentiles(floodRun.latencies);
    return {
      plan,
      alone,
      flood,
      ratio: { p50: flood.p50 / alone.p50, p95: flood.p95 / alone.p95 },
      bErrors: { alone: aloneRun.errors, flood: floodRun.errors },
      floodOutcome: outcome,
    };
  } finally {
    await Promise.allSettled([paced, ...floodSessions].map((s) => s.close()));
  }
}

export function formatFairness(result: FairnessResult): string {
  const { plan, alone, flood, ratio, bErrors, floodOutcome } = result;
  const ms = (p: Percentiles) => `p50 ${p.p50.toFixed(1)} ms, p95 ${p.p95.toFixed(1)} ms (${p.calls} calls)`;
  const refused = Object.entries(floodOutcome.refused)
    .map(([words, n]) => `${n}× "${words}"`)
    .join(", ");
  return [
    `Fairness (user B's paced echo on /mcp, one call every ${plan.paceMs} ms; user A floods with ${plan.floodWorkers} workers sending ${(plan.floodPayloadBytes / 1000).toFixed(0)} KB echo calls, ignoring Retry-After, after opening up to ${plan.floodSessions} sessions):`,
    `  B alone:          ${ms(alone)}${bErrors.alone ? `, ${bErrors.alone} errors` : ""}`,
    `  B during A flood: ${ms(flood)}${bErrors.flood ? `, ${bErrors.flood} errors` : ""}`,
    `  ratio flood ÷ alone: p50 ×${ratio.p50.toFixed(2)}, p95 ×${ratio.p95.toFixed(2)}`,
    `  A got: ${floodOutcome.sessionsOpened} sessions, ${floodOutcome.callsOk} calls answered${refused ? `, refused ${refused}` : ""}`,
  ].join("\n");
}

interface OpenSession {
  client: Client;
  close(): Promise<void>;
}

async function openSession(context: FairnessTarget, apiKey: string): Promise<OpenSession> {
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

function percentiles(latencies: number[]): Percentiles {
  const sorted = [...latencies].sort((a, b) => a - b);
  // Nearest rank, as the load rows use.
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
  return { p50: rank(0.5), p95: rank(0.95), calls: sorted.length };
}

/** A refusal's kind, for counting: its message up to the first digit or colon, so limits and ids do not split it. */
function refusalWords(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^MCP error -?\d+: /, "").split(/[:\d]/)[0]!.trim().slice(0, 60) || "error";
}
