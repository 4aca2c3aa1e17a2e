// The stdio rows of `npm run bench`: the stdio fixture behind the same bridge and supervisor that
// `npm run dev` uses, registered in the gateway, and the time of the first call after it slept.
import { fileURLToPath } from "node:url";
import type { Cleanup } from "./bench-cleanup.ts";
import type { BenchContext } from "./bench-scenarios.ts";
import { echoSession } from "./bench-scenarios.ts";
import { type StdioSupervisor, startStdioSupervisor } from "./stdio-supervisor.ts";

const STDIO_FIXTURE = fileURLToPath(new URL("../../test/fixtures/stdio-fixture-server.ts", import.meta.url));

export async function startBenchSupervisor(cleanup: Cleanup, ownerKey: string): Promise<StdioSupervisor> {
  const supervisor = await startStdioSupervisor(ownerKey);
  cleanup.add("stdio supervisor and its instances", () => supervisor.stopAll());
  return supervisor;
}

/** The gateway's variables that send stdio servers to this supervisor. */
export function supervisorVars(supervisor: StdioSupervisor): Record<string, string> {
  return { STDIO_SUPERVISOR_URL: supervisor.url, STDIO_SUPERVISOR_NONCE: supervisor.nonce };
}

/** The CREATE_SERVER data of the stdio fixture, answering echo like the HTTP fixture named `fixtureName`. */
export function stdioFixtureServer(serverId: string, fixtureName: string): Record<string, unknown> {
  return { serverId, transport: "stdio", stdio: { command: process.execPath, args: [STDIO_FIXTURE, `--name=${fixtureName}`] } };
}

export interface ColdStarts {
  /** ms from the call to its answer, one per sample, with the instance stopped before each. */
  samplesMs: number[];
  medianMs: number;
}

/**
 * The first call after sleep: STOP_SERVER (2002), then one tools/call on a session that stays open
 * throughout, so the time is the instance's wake-up (bridge and server start) plus one call.
 */
export async function measureColdStarts(context: BenchContext, samples: number): Promise<ColdStarts> {
  const { serverId } = context.stdio;
  const session = await echoSession(context, new URL("/mcp", context.gateway.origin), `${serverId}__echo`, context.gateway.ownerKey);
  const samplesMs: number[] = [];
  try {
    await session.call(0);
    for (let sample = 1; sample <= samples; sample++) {
      await context.gateway.admin(2002, { serverId });
      const started = performance.now();
      await session.call(sample);
      samplesMs.push(performance.now() - started);
    }
  } finally {
    await session.close();
  }
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { samplesMs, medianMs: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN };
}
