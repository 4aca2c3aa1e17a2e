import type { CpuMeter, CpuUsage } from "./bench-cpu.ts";
import type { BenchContext, Scenario, ScenarioSession } from "./bench-scenarios.ts";

export interface LoadPlan {
  concurrency: number;
  /** Measured calls, spread over the sessions as each becomes free. */
  calls: number;
  /** No new call starts after this long, so a slow machine still finishes in bounded time. */
  maxSeconds: number;
  /** Unmeasured calls per session first: connections, JIT and the gateway's caches get warm. */
  warmupPerSession: number;
}

export interface LoadResult {
  scenario: string;
  concurrency: number;
  /** Calls made: the plan's, or fewer when `maxSeconds` ran out first (then `capped`). */
  calls: number;
  capped: boolean;
  ok: number;
  errors: number;
  /** The first few distinct failure messages. */
  errorSamples: string[];
  durationMs: number;
  callsPerSecond: number;
  latencyMs: { p50: number; p99: number; mean: number; min: number; max: number } | null;
  /** CPU per successful call over the measured window, when a meter was given. */
  cpuMsPerCall: CpuUsage | null;
  /** Set when the run could not take place at all (setup or a session failed to open). */
  failure?: string;
}

const MAX_ERROR_SAMPLES = 5;

/**
 * Opens `concurrency` sessions, warms each, then has them share `calls` calls as fast as each answers.
 * With a `meter`, the CPU of workerd and the database over the measured calls is taken too.
 */
export async function runLoad(scenario: Scenario, context: BenchContext, plan: LoadPlan, meter?: CpuMeter): Promise<LoadResult> {
  const result: LoadResult = {
    scenario: scenario.name,
    concurrency: plan.concurrency,
    calls: 0,
    capped: false,
    ok: 0,
    errors: 0,
    errorSamples: [],
    durationMs: 0,
    callsPerSecond: 0,
    latencyMs: null,
    cpuMsPerCall: null,
  };
  const noteError = (error: unknown) => {
    result.errors++;
    const message = error instanceof Error ? error.message : String(error);
    if (result.errorSamples.length < MAX_ERROR_SAMPLES && !result.errorSamples.includes(message)) result.errorSamples.push(message);
  };

  let sessions: ScenarioSession[] = [];
  try {
    await scenario.setup?.(context);
    const opened = await Promise.allSettled(Array.from({ length: plan.concurrency }, () => scenario.connect(context)));
    sessions = opened.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    const refused = opened.find((o) => o.status === "rejected");
    if (refused) {
      const failed = opened.length - sessions.length;
      throw new Error(`${failed} of ${plan.concurrency} sessions failed to open: ${errorMessage(refused.reason)}`);
    }

    // Sequence numbers make every call's argument (and so its expected answer) unique.
    let seq = 0;
    // A failure while warming up means the path does not work at all: no figures, just the reason.
    await Promise.all(
      sessions.map(async (session) => {
        for (let i = 0; i < plan.warmupPerSession; i++) {
          await session.call(seq++).catch((error: unknown) => {
            throw new Error(`warm-up call failed: ${errorMessage(error)}`);
          });
        }
      }),
    );

    const latencies: number[] = [];
    const origin = scenario.runtime?.(context);
    const cpuBefore = meter?.sample(origin);
    const started = performance.now();
    const deadline = started + plan.maxSeconds * 1000;
    await Promise.all(
      sessions.map(async (session) => {
        while (result.calls < plan.calls && performance.now() < deadline) {
          result.calls++;
          const sent = performance.now();
          try {
            await session.call(seq++);
            latencies.push(performance.now() - sent);
          } catch (error) {
            noteError(error);
          }
        }
      }),
    );
    result.durationMs = performance.now() - started;
    const cpu = cpuBefore && meter ? meter.since(cpuBefore, origin) : null;
    result.capped = result.calls < plan.calls;
    result.ok = latencies.length;
    result.callsPerSecond = (result.ok / result.durationMs) * 1000;
    result.latencyMs = summarize(latencies);
    if (cpu && result.ok > 0) {
      const perCall = (ms: number | null) => (ms === null ? null : ms / result.ok);
      result.cpuMsPerCall = { workerdMs: perCall(cpu.workerdMs), postgresMs: perCall(cpu.postgresMs) };
    }
  } catch (error) {
    result.failure = errorMessage(error);
  } finally {
    await Promise.allSettled(sessions.map((s) => s.close()));
    await scenario.teardown?.(context).catch((error: unknown) => {
      result.failure ??= `teardown failed: ${errorMessage(error)}`;
    });
  }
  return result;
}

function summarize(latencies: number[]): LoadResult["latencyMs"] {
  if (latencies.length === 0) return null;
  const sorted = [...latencies].sort((a, b) => a - b);
  // Nearest rank: the smallest latency that at least p of the calls did not exceed.
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return {
    p50: rank(0.5),
    p99: rank(0.99),
    mean: sorted.reduce((sum, x) => sum + x, 0) / sorted.length,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
