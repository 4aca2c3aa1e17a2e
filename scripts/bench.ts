// `npm run bench`: what the gateway costs per MCP tools/call. One run starts a downstream MCP server
// (the SDK fixture), a database and the gateway in workerd, then times the same echo call made with
// the official SDK client directly and through the gateway, at concurrency 1 and 32. It prints a table
// with ratios against the direct call and writes .bench/results.json. Nothing here asserts a timing.
//
// Two floor rows run in a workerd of their own (scripts/bench-floors/floors.js): a Worker that forwards
// with fetch(), and one that forwards through a Durable Object by RPC, the least any Worker with a DO per
// session can cost; every row is also compared with the latter. Each row shows the CPU that workerd and
// the embedded database used per call, read from /proc over the measured calls.
//
// Features are measured by rows that differ from "gateway /mcp" in that feature alone: auditing (a
// second workerd with AUDIT_ENABLED="false"), vault injection with result scrubbing (the fixture
// registered again with a {{secret:…}} header), and authenticating as a plain user instead of the owner
// (the user's API key, or an access token minted from it), which makes the Worker read the key and its
// user from Postgres on every request. Their ratios are printed under the table, beside the redactor
// timed alone in this process, which isolates the scrubbing from the gateway's noise. The policy has two
// rows of its own, run back to back: "policy off" (nothing configured, the default) and a 50-rule set with
// CEL conditions on the fixture's server, every rule evaluated on every call; their difference in workerd
// CPU per call is printed against the target (0.1 ms), beside decide() over the same set alone in this process.
//
// Why this way into workerd: sequential GETs of a 404 (no database) on a busy 2-CPU machine, p50 over
// two runs: wrangler dev 8.4-13.5 ms, unstable_startWorker 11.9-14.9 ms, createTestHarness 6.2-6.5 ms
// (and it sends the Worker's outbound fetches through Node), Miniflare's entry socket 1.7-3.0 ms,
// Miniflare's direct socket to the Worker 0.6-1.4 ms. The last is used (see bench-gateway.ts). /health
// took 30-50 ms on every path, the cost of its fresh Postgres connection, so it could not tell them apart.
//
// The fairness row (scripts/lib/bench-fairness.ts) comes last: user B's paced calls alone, then while user A
// floods the gateway, printed as the ratio of the two.
//
// Flags: --quick runs a tenth of the calls (for checking that the benchmark itself works); --only=fairness
// runs the fairness row alone (one gateway, no floors, no other rows), since the whole run is long.
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { startFixtureServer } from "../test/support/downstream-servers.ts";
import { Cleanup } from "./lib/bench-cleanup.ts";
import { startBenchDatabase } from "./lib/bench-database.ts";
import { CpuMeter } from "./lib/bench-cpu.ts";
import { bundleGateway, RUNTIME_PATH, startFloors, startGateway, type GatewayLogs } from "./lib/bench-gateway.ts";
import { type LoadPlan, type LoadResult, runLoad } from "./lib/bench-load.ts";
import { benchLongValue, benchRedactor, type LongValueResult, type RedactorResult } from "./lib/bench-redactor.ts";
import { type ApprovalLatency, measureApprovalLatency } from "./lib/bench-approvals.ts";
import { type FairnessPlan, type FairnessResult, formatFairness, measureFairness } from "./lib/bench-fairness.ts";
import { type ColdStarts, measureColdStarts, startBenchSupervisor, stdioFixtureServer, supervisorVars } from "./lib/bench-stdio.ts";
import {
  compareRows,
  CONTRAST_LEGEND,
  contrastRows,
  formatContrasts,
  formatTable,
  TABLE_LEGEND,
  writeJson,
} from "./lib/bench-report.ts";
import { type BenchContext, contrasts, FLOOR_DO, GATEWAY_MCP, POLICY_OFF, POLICY_RULES, scenarios } from "./lib/bench-scenarios.ts";
import { benchGatewayDecide, type DecideResult } from "./lib/bench-policy-rules.ts";
import { generateSecrets } from "./lib/dev-vars.ts";
import { runMigrations } from "./lib/migrate.ts";

const RESULTS_PATH = fileURLToPath(new URL("../.bench/results.json", import.meta.url));
const FIXTURE_NAME = "bench";
// Generous: a call slower than this is a hang worth reporting as an error, not a data point.
const CALL_TIMEOUT_MS = 30_000;

const quick = process.argv.includes("--quick");
const fairnessOnly = process.argv.includes("--only=fairness");
const scale = (n: number) => (quick ? Math.max(10, Math.round(n / 10)) : n);
// Enough calls for a stable p99 at each level. On a 2-CPU machine few rows come near their time cap (a
// whole run of fourteen rows took 64-87 s); the caps keep it under about five minutes even
// on a slow or busy one (a capped row shows fewer calls, marked "*").
const PLANS: LoadPlan[] = [
  { concurrency: 1, calls: scale(300), maxSeconds: 10, warmupPerSession: 30 },
  { concurrency: 32, calls: scale(1500), maxSeconds: 10, warmupPerSession: 5 },
];
// Unmeasured, before any row, every scenario once: without it, whichever gateway row ran first at c=1
// was the slowest of them (by 10-35% in two runs with opposite row orders), the gateway still warming up.
const WARMUP: LoadPlan = { concurrency: 1, calls: scale(300), maxSeconds: 5, warmupPerSession: 0 };
// The most that the time caps allow all measured and warm-up calls together, for the report's header.
const CAPPED_SECONDS = scenarios.length * (WARMUP.maxSeconds + PLANS.reduce((sum, plan) => sum + plan.maxSeconds, 0));
const REDACTOR_SCRUBS = scale(100_000);
const LONG_VALUE_SCRUBS = 10;
const POLICY_DECISIONS = scale(20_000);
/** The most CPU per call the policy may add (issue 9). */
const POLICY_TARGET_MS = 0.1;
const COLD_STARTS = quick ? 3 : 7;
const APPROVAL_SAMPLES = quick ? 5 : 40;
// B paced at 10 calls/s for 20 s per phase (alone, then during each of the two floods); A as issue 21 measured
// it: 8 workers, 900 KB payloads, sessions to the cap.
const FAIRNESS: FairnessPlan = { pacedCalls: quick ? 30 : 200, paceMs: 100, floodWorkers: 8, floodPayloadBytes: 900_000, floodSessions: 60 };

const cleanup = new Cleanup();
cleanup.exitOnSignals();
const progress = (message: string) => console.error(`· ${message}`);

try {
  await main();
} catch (error) {
  if (!cleanup.interrupted) {
    console.error(`npm run bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  }
} finally {
  await cleanup.run();
}
// Keep-alive sockets and SDK timers may linger for a while; everything we started is stopped by now.
process.exit();

async function main(): Promise<void> {
  progress("starting the downstream fixture server");
  const fixture = await startFixtureServer(FIXTURE_NAME);
  cleanup.addChild("fixture server", fixture.process);

  const database = await startBenchDatabase(cleanup);
  progress(`database: ${database.description}; applying migrations`);
  await runMigrations(database.url);

  progress(fairnessOnly ? "bundling the Worker and starting workerd" : "bundling the Worker and starting two workerd: audit on (as configured) and audit off");
  // Throwaway secrets, held only in memory for this run and never printed. Both gateways share them, and
  // the database, so either opens what the other registered.
  const secrets = await generateSecrets();
  const bundle = await bundleGateway(cleanup);
  // stdio servers run where `npm run dev` runs them: under the supervisor, outside workerd.
  const supervisor = await startBenchSupervisor(cleanup, secrets.OWNER_KEY);
  const stdioVars = supervisorVars(supervisor);
  const gatewayOptions = { cleanup, bundle, hyperdriveUrl: database.hyperdriveUrl, secrets };
  const gateway = await startGateway({ ...gatewayOptions, vars: stdioVars });

  const admin = async (action: number, data: Record<string, unknown>): Promise<unknown> => {
    const response = await fetch(`${gateway.origin}/admin`, {
      method: "POST",
      headers: { authorization: `Bearer ${secrets.OWNER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ action, data }),
    });
    const reply = (await response.json()) as { success: boolean; data?: unknown; error?: { code: number; message: string } };
    if (!reply.success) throw new Error(`admin action ${action} failed: ${reply.error?.message ?? response.status}`);
    return reply.data;
  };
  // Random ids, so a run against a shared DATABASE_URL never collides with a real server or another run.
  const suffix = randomBytes(4).toString("hex");
  const serverId = `bench-${suffix}`;
  const vaultServerId = `bench-vault-${suffix}`;
  // What this run adds to a DATABASE_URL must go again; an embedded PGlite goes with everything in it.
  const undoOnSharedDatabase = (label: string, action: number, data: Record<string, unknown>) => {
    if (database.persistent) cleanup.add(label, async () => void (await admin(action, data)));
  };
  const register = async (id: string, headers: Record<string, string>) => {
    await admin(2010, { serverId: id, transport: "streamable-http", url: fixture.url, headers });
    // Unregistering also deletes the server's secrets.
    undoOnSharedDatabase(`unregistering server ${id}`, 2013, { serverId: id });
  };
  await register(serverId, {});
  // Plain users, whose keys the API key, access token and fairness rows authenticate with.
  const createUser = async (name: string) => {
    const user = await admin(1010, { name });
    if (!isCreatedUser(user)) throw new Error("CREATE_USER answered without a userId and apiKey");
    // Deleting the user also deletes its key; tokens minted from the key stop working with it.
    undoOnSharedDatabase(`deleting user ${name}`, 1013, { userId: user.userId });
    return user;
  };
  // Two users with the gateway's default limits, made before any row so the flood's sessions are its own.
  const fairnessUsers = {
    pacedApiKey: (await createUser(`bench-paced-${suffix}`)).apiKey,
    floodApiKeys: {
      "ignores Retry-After": (await createUser(`bench-flood-hostile-${suffix}`)).apiKey,
      "waits out Retry-After": (await createUser(`bench-flood-polite-${suffix}`)).apiKey,
    },
  };
  const fairnessRow = async (): Promise<FairnessResult> => {
    progress(`fairness: user B's ${FAIRNESS.pacedCalls} paced calls alone, then as many during each of two floods by other users`);
    return measureFairness({ origin: gateway.origin, meter: new CpuMeter(database.pid), serverId, callTimeoutMs: CALL_TIMEOUT_MS }, fairnessUsers, FAIRNESS);
  };
  if (fairnessOnly) {
    const fairness = await fairnessRow();
    if (cleanup.interrupted) return;
    console.log(`\nDatabase: ${database.description}. Node ${process.version}, ${availableParallelism()} CPUs${quick ? ", --quick" : ""}, --only=fairness`);
    console.log(formatFairness(fairness));
    console.log(describeLogs("audit on", gateway.logs));
    writeJson(RESULTS_PATH, { startedAt: new Date(performance.timeOrigin).toISOString(), node: process.version, cpus: availableParallelism(), quick, fairness, gatewayLogs: gateway.logs });
    console.log(`\nWrote ${RESULTS_PATH}`);
    return;
  }

  // First, while nothing else runs: it measures one function, and the load rows would only add noise.
  progress(`redactor alone, in this process: ${REDACTOR_SCRUBS} scrubs`);
  const redactor = benchRedactor(REDACTOR_SCRUBS);
  const longValue = benchLongValue(LONG_VALUE_SCRUBS);
  progress(`policy alone, in this process: ${POLICY_DECISIONS} decisions over the 50-rule bench set`);
  const policyDecide = benchGatewayDecide(POLICY_DECISIONS);
  const auditOff = await startGateway({ ...gatewayOptions, vars: { ...stdioVars, AUDIT_ENABLED: "false" } });
  progress("starting a third workerd with the floor Workers (fetch(), and a Durable Object by RPC)");
  const floors = await startFloors(cleanup, fixture.url);
  const meter = new CpuMeter(database.pid);
  // The same fixture again, with a secret the vault injects and the redactor then scrubs from every result.
  await register(vaultServerId, { Authorization: "Bearer {{secret:BENCH_TOKEN}}" });
  await admin(2101, { serverId: vaultServerId, name: "BENCH_TOKEN", value: randomBytes(30).toString("base64url") });
  const stdioServerId = `bench-stdio-${suffix}`;
  await admin(2010, stdioFixtureServer(stdioServerId, FIXTURE_NAME));
  undoOnSharedDatabase(`unregistering server ${stdioServerId}`, 2013, { serverId: stdioServerId });
  const user = await createUser(`bench-${suffix}`);
  // The most a user may be allowed: every call still goes through the rate limiter, which never refuses here.
  await admin(1012, { userId: user.userId, rateLimitPerMinute: 1_000_000 });

  const context: BenchContext = {
    fixture: { name: FIXTURE_NAME, url: fixture.url },
    floors,
    gateway: {
      origin: gateway.origin,
      auditOffOrigin: auditOff.origin,
      ownerKey: secrets.OWNER_KEY,
      userApiKey: user.apiKey,
      serverId,
      vaultServerId,
      admin,
    },
    stdio: { serverId: stdioServerId, bridgeUrl: `${supervisor.url}/instances/${stdioServerId}/mcp`, supervisorToken: supervisor.token },
    callTimeoutMs: CALL_TIMEOUT_MS,
  };

  progress("measuring the runtime floor (plain GETs, no MCP)");
  const floor: Floor = {
    notFoundP50: await sequentialGetP50(`${gateway.origin}/bench-not-found`),
    healthP50: await sequentialGetP50(`${gateway.origin}/health`),
  };

  for (const scenario of scenarios) {
    if (cleanup.interrupted) break;
    progress(`warming up (unmeasured): ${scenario.name}, ${WARMUP.calls} calls (at most ${WARMUP.maxSeconds} s)`);
    const warm = await runLoad(scenario, context, WARMUP);
    if (warm.failure) progress(`  failed: ${warm.failure}`);
  }

  const results: LoadResult[] = [];
  // Concurrency first, so rows that are compared with each other run close together in time.
  for (const plan of PLANS) {
    for (const scenario of scenarios) {
      if (cleanup.interrupted) break;
      progress(`${scenario.name}, concurrency ${plan.concurrency}: ${plan.calls} calls (at most ${plan.maxSeconds} s)`);
      const result = await runLoad(scenario, context, plan, meter);
      if (result.failure) progress(`  failed: ${result.failure}`);
      else if (result.errors) progress(`  ${result.errors} errors, first: ${result.errorSamples[0]}`);
      results.push(result);
    }
  }

  progress(`stdio cold start: ${COLD_STARTS} times STOP_SERVER, then one call`);
  const coldStarts = cleanup.interrupted ? undefined : await measureColdStarts(context, COLD_STARTS);

  progress(`approvals: ${APPROVAL_SAMPLES} held calls, each approved with DECIDE_APPROVAL`);
  const approvals = cleanup.interrupted ? undefined : await measureApprovalLatency(context, APPROVAL_SAMPLES);

  const fairness = cleanup.interrupted ? undefined : await fairnessRow();

  // Interrupted: whatever ran last measured processes being stopped; better no figures than wrong ones.
  if (!cleanup.interrupted && coldStarts && approvals && fairness) {
    report(results, { database: database.description, floor, redactor, longValue, policyDecide, coldStarts, approvals, fairness, logs: { "audit on": gateway.logs, "audit off": auditOff.logs, floors: floors.logs } });
  }
}

/** CREATE_USER's `data`, of which the benchmark needs the id (to delete the user) and the API key. */
function isCreatedUser(data: unknown): data is { userId: string; apiKey: string } {
  const { userId, apiKey } = (data ?? {}) as { userId?: unknown; apiKey?: unknown };
  return typeof userId === "string" && typeof apiKey === "string";
}

/** p50 of plain sequential GETs, in ms: what any request pays to enter workerd on this path. */
interface Floor {
  /** A 404: routing only, no database. */
  notFoundP50: number;
  /** /health: the Worker opens a Postgres connection and runs `select 1`. */
  healthP50: number;
}

function report(
  results: LoadResult[],
  run: {
    database: string;
    floor: Floor;
    redactor: RedactorResult;
    longValue: LongValueResult;
    policyDecide: DecideResult;
    coldStarts: ColdStarts;
    approvals: ApprovalLatency;
    fairness: FairnessResult;
    logs: Record<string, GatewayLogs>;
  },
): void {
  const rows = compareRows(results, (name) => scenarios.find((s) => s.name === name)?.baseline, FLOOR_DO);
  const featureCosts = contrastRows(results, contrasts);
  const policyCpu = policyCpuCost(results);
  console.log("");
  console.log(`Gateway runtime: ${RUNTIME_PATH}`);
  console.log(`Database: ${run.database}. Downstream: SDK fixture "echo" on loopback.`);
  console.log(`Node ${process.version}, ${availableParallelism()} CPUs${quick ? ", --quick" : ""}`);
  console.log(
    `Per row: ${PLANS.map((p) => `c=${p.concurrency} ${p.calls} calls`).join(", ")}, each capped at ${PLANS[0]!.maxSeconds} s, after ${WARMUP.calls} unmeasured calls per scenario (capped at ${WARMUP.maxSeconds} s)`,
  );
  console.log(
    `Time caps: ${CAPPED_SECONDS} s of calls at most, so the whole run stays under ~5 min on 2 CPUs; this one took ${(performance.now() / 1000).toFixed(0)} s before cleanup`,
  );
  console.log(
    `Runtime floor, sequential GET: 404 p50 ${run.floor.notFoundP50.toFixed(2)} ms; /health (new Postgres connection + select 1) p50 ${run.floor.healthP50.toFixed(2)} ms`,
  );
  console.log("");
  console.log(formatTable(rows));
  console.log("");
  console.log(TABLE_LEGEND);
  console.log("");
  console.log(formatContrasts(featureCosts));
  console.log("");
  console.log(CONTRAST_LEGEND);
  console.log("");
  const r = run.redactor;
  console.log(
    `Redactor alone (Node, in process): ${r.secrets} secrets, echo result with a ${r.textLength}-character text, ${r.scrubs} scrubs in ${r.totalMs.toFixed(0)} ms: ${r.microsecondsPerScrub.toFixed(2)} µs per scrub`,
  );
  const l = run.longValue;
  console.log(
    `Redactor, worst case (Node, in process): a ${l.valueLength}-character value over a ${(l.replyLength / 1000).toFixed(0)} KB reply matching it at every position: ${l.msPerScrub.toFixed(1)} ms per scrub (mean of ${l.scrubs})`,
  );
  const p = run.policyDecide;
  console.log(
    `Policy alone (Node, in process): decide() over ${p.rules} rules, all matching the call and all evaluated: ${(p.cpuMicrosecondsPerDecision / 1000).toFixed(3)} ms of CPU per decision (${p.microsecondsPerDecision.toFixed(1)} µs wall), mean of ${p.decisions}; target ≤ ${POLICY_TARGET_MS.toFixed(2)} ms`,
  );
  console.log(
    `Policy in the gateway: "${POLICY_RULES}" − "${POLICY_OFF}", workerd CPU per call: ${policyCpu.map(formatPolicyCpu).join("; ")} (target ≤ ${POLICY_TARGET_MS.toFixed(2)} ms)`,
  );
  console.log(
    `stdio cold start (first call after STOP_SERVER, through the gateway and the local bridge): median ${run.coldStarts.medianMs.toFixed(0)} ms of ${run.coldStarts.samplesMs.length} (${run.coldStarts.samplesMs.map((ms) => ms.toFixed(0)).join(", ")} ms)`,
  );
  const a = run.approvals;
  console.log(
    `Approval, decision to result (DECIDE_APPROVAL sent → the held call's result at the client, owner session on /mcp): p50 ${a.p50Ms.toFixed(1)} ms, p99 ${a.p99Ms.toFixed(1)} ms over ${a.samplesMs.length}; the DECIDE_APPROVAL reply alone p50 ${a.decideP50Ms.toFixed(1)} ms`,
  );
  console.log(formatFairness(run.fairness));
  console.log("");
  for (const [instance, logs] of Object.entries(run.logs)) console.log(describeLogs(instance, logs));
  for (const row of rows) {
    if (row.failure) console.log(`${row.scenario} @${row.concurrency} FAILED: ${row.failure}`);
    for (const sample of row.errorSamples) console.log(`${row.scenario} @${row.concurrency} error: ${sample}`);
  }

  writeJson(RESULTS_PATH, {
    startedAt: new Date(performance.timeOrigin).toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    quick,
    runtime: RUNTIME_PATH,
    database: run.database,
    plans: PLANS,
    floorMs: run.floor,
    stdioColdStartMs: run.coldStarts,
    rows,
    featureCosts,
    redactor: run.redactor,
    redactorLongValue: run.longValue,
    policyDecide: run.policyDecide,
    policyCpuMsPerCall: policyCpu,
    fairness: run.fairness,
    gatewayLogs: run.logs,
  });
  console.log(`\nWrote ${RESULTS_PATH}`);
}

interface PolicyCpu {
  concurrency: number;
  offMs: number | null;
  rulesMs: number | null;
  /** rulesMs − offMs: what the 50 rules added per call, noise included. */
  addedMs: number | null;
  /** offMs − the "gateway /mcp" row's: the same configuration measured twice, i.e. the run's drift. */
  driftMs: number | null;
}

function policyCpuCost(results: LoadResult[]): PolicyCpu[] {
  return PLANS.map(({ concurrency }) => {
    const cpu = (scenario: string) => results.find((r) => r.scenario === scenario && r.concurrency === concurrency && !r.failure)?.cpuMsPerCall?.workerdMs ?? null;
    const offMs = cpu(POLICY_OFF);
    const rulesMs = cpu(POLICY_RULES);
    const sameEarlier = cpu(GATEWAY_MCP);
    return {
      concurrency,
      offMs,
      rulesMs,
      addedMs: offMs !== null && rulesMs !== null ? rulesMs - offMs : null,
      driftMs: offMs !== null && sameEarlier !== null ? offMs - sameEarlier : null,
    };
  });
}

function formatPolicyCpu(row: PolicyCpu): string {
  if (row.addedMs === null) return `c=${row.concurrency} -`;
  const signed = (ms: number) => `${ms >= 0 ? "+" : "−"}${Math.abs(ms).toFixed(3)} ms`;
  const drift = row.driftMs === null ? "" : `; drift, "${GATEWAY_MCP}" → "${POLICY_OFF}": ${signed(row.driftMs)}`;
  return `c=${row.concurrency} ${row.offMs!.toFixed(3)} → ${row.rulesMs!.toFixed(3)} ms (${signed(row.addedMs)}, ×${(row.rulesMs! / row.offMs!).toFixed(3)}${drift})`;
}

async function sequentialGetP50(url: string, count = 200, warmup = 20): Promise<number> {
  const latencies: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const sent = performance.now();
    await (await fetch(url)).arrayBuffer();
    if (i >= warmup) latencies.push(performance.now() - sent);
  }
  latencies.sort((a, b) => a - b);
  return latencies[Math.ceil(latencies.length / 2) - 1]!;
}

function describeLogs(instance: string, logs: GatewayLogs): string {
  const counts = Object.entries(logs.counts)
    .map(([level, n]) => `${level} ${n}`)
    .join(", ");
  const samples = logs.samples.map((s) => `\n  ${s}`).join("");
  return `workerd (${instance}) console output during the run: ${counts || "none"}${samples}`;
}
