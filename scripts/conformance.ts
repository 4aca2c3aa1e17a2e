// `npm run conformance`: the MCP conformance server suite (@modelcontextprotocol/conformance), run against
// fixtures directly and through the gateway's `/mcp/<serverId>`, in both protocol eras:
//
// - 2025: `--requirements 2025-11-25` against test/fixtures/conformance-server.ts (SDK v1, sessions), directly and through
//   `/mcp/conformance`;
// - 2026-07-28: `--requirements 2026-07-28` against test/fixtures/conformance-2026-server.ts (SDK v2, stateless
//   only), directly, through `/mcp/conformance-2026` (the gateway speaking 2026 to it), and through
//   `/mcp/conformance` (the bridge: a 2026 client in front of the 2025 fixture), each compared with the direct run.
//
// Anything that passes directly but fails through the gateway is something the gateway breaks. It starts the
// fixtures, an embedded Postgres and the Worker under `wrangler dev` (own port, own secrets, own local state),
// registers the fixtures, and puts a loopback proxy in front of the gateway that only adds
// `Authorization: Bearer <owner key>`: the conformance tool sends no credentials. Extra arguments go to every
// run, e.g. `npm run conformance -- --scenario ping`. KEEP_CONFORMANCE_OUTPUT=1 keeps the work directory
// (checks.json per scenario, the wrangler and fixture logs).
// Exit status: 0 when nothing regresses through the gateway, 1 when something does, 2 on a setup failure.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatDevVars, generateSecrets } from "./lib/dev-vars.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./lib/embedded-postgres.ts";
import { freePort } from "./lib/free-port.ts";
import { LOOPBACK_HOSTS_FLAG } from "./lib/loopback-hosts.ts";
import { runMigrations } from "./lib/migrate.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const wranglerBin = join(root, "node_modules/wrangler/bin/wrangler.js");
const conformanceBin = join(root, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const FIXTURES = {
  legacy: { script: join(root, "test/fixtures/conformance-server.ts"), serverId: "conformance" },
  modern: { script: join(root, "test/fixtures/conformance-2026-server.ts"), serverId: "conformance-2026" },
} as const;
/** Bounds for the slow steps, so a hang ends the run with a message instead of never. */
const STARTUP_LIMIT_MS = 120_000;
const SUITE_LIMIT_MS = 600_000;

type CheckStatus = "SUCCESS" | "FAILURE" | "WARNING" | "SKIPPED" | "INFO";

interface ConformanceCheck {
  id: string;
  name: string;
  description: string;
  status: CheckStatus;
  errorMessage?: string;
}

interface ScenarioResult {
  scenario: string;
  checks: ConformanceCheck[];
  passed: boolean;
}

interface SuiteRun {
  label: string;
  results: Map<string, ScenarioResult>;
  durationMs: number;
}

// ---- processes and cleanup ------------------------------------------------------------------------------

const cleanups: (() => Promise<void> | void)[] = [];
let cleaningUp: Promise<void> | undefined;

/** Runs every cleanup once, newest first; later calls wait for the first. */
function cleanUp(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error(`cleanup: ${message(error)}`);
      }
    }
  })();
  return cleaningUp;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void cleanUp().then(() => process.exit(130)));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));
}

/** SIGTERM, then SIGKILL after a grace period; `group` signals the child's whole process group. */
async function stop(child: ChildProcess, group: boolean): Promise<void> {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(group ? -child.pid! : child.pid!, name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  await Promise.race([exited(child), new Promise((resolve) => setTimeout(resolve, 5_000))]);
  if (child.exitCode === null && child.signalCode === null) signal("SIGKILL");
  await exited(child);
}


// ---- the parts ------------------------------------------------------------------------------------------

/** Starts a fixture and resolves with its URL once it prints `listening <url>`. */
async function startFixture(script: string, logPath: string): Promise<string> {
  const child = spawn(process.execPath, [script, "0"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  cleanups.push(() => stop(child, false));
  const log = createWriteStream(logPath);
  child.stderr!.pipe(log);
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      log.write(chunk);
      const match = /listening (\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`the conformance fixture exited with ${code} before listening (log: ${logPath})`)));
  });
}

interface Gateway {
  origin: string;
  ownerKey: string;
}

/** The Worker under `wrangler dev`, with its own secrets file and local state, so nothing in the checkout is touched. */
async function startGateway(workDir: string, databaseUrl: string): Promise<Gateway> {
  const secrets = await generateSecrets();
  const secretsFile = join(workDir, "secrets.env");
  writeFileSync(secretsFile, formatDevVars(secrets), { mode: 0o600 });
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const logPath = join(workDir, "wrangler.log");
  const log = createWriteStream(logPath);
  const args = [
    wranglerBin,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    // --env-file replaces .dev.vars, so a developer's own .dev.vars is neither read nor needed.
    "--env-file",
    secretsFile,
    "--persist-to",
    join(workDir, "state"),
    "--show-interactive-dev-session=false",
    LOOPBACK_HOSTS_FLAG,
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    // Its own process group: signalling the group reaches workerd too.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: databaseUrl },
  });
  cleanups.push(() => stop(child, true));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);

  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_LIMIT_MS;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode} (log: ${logPath})`);
    try {
      const response = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(5_000) });
      const body = (await response.json()) as { database?: { ok?: boolean } };
      if (response.ok && body.database?.ok) return { origin, ownerKey: secrets.OWNER_KEY };
      last = `${response.status} ${JSON.stringify(body)}`;
    } catch (error) {
      last = message(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the gateway was not healthy within ${STARTUP_LIMIT_MS} ms (last: ${last}; log: ${logPath})`);
}

async function registerServer(gateway: Gateway, serverId: string, url: string): Promise<void> {
  const response = await fetch(`${gateway.origin}/admin`, {
    method: "POST",
    headers: { authorization: `Bearer ${gateway.ownerKey}`, "content-type": "application/json" },
    body: JSON.stringify({ action: 2010, data: { serverId, transport: "streamable-http", url } }),
    signal: AbortSignal.timeout(15_000),
  });
  if (!response.ok) throw new Error(`registering the fixture failed: ${response.status} ${await response.text()}`);
}

/**
 * A loopback reverse proxy to `target` that adds the owner's credential and changes nothing else: the
 * Host and Origin headers stay as the client sent them, and both bodies stream through unbuffered (the
 * replies are SSE). A client that hangs up ends the upstream request too.
 */
async function startAuthProxy(target: URL, ownerKey: string): Promise<string> {
  const server = createServer((req, res) => {
    const headers: OutgoingHttpHeaders = { ...withoutHopByHop(req.headers), authorization: `Bearer ${ownerKey}` };
    const upstream = request(target, { method: req.method, headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, withoutHopByHop(reply.headers));
      res.flushHeaders();
      reply.pipe(res);
    });
    upstream.on("error", (error) => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { "content-type": "text/plain" }).end(`proxy: ${message(error)}`);
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as net.AddressInfo;
  return `http://127.0.0.1:${port}/mcp`;
}

/** Headers that describe one hop's connection, which a proxy must not pass on. */
function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name)));
}

/** One `conformance server` run with `suiteArgs`; its per-scenario checks.json files are read back from `outputDir`. */
async function runSuite(label: string, url: string, outputDir: string, suiteArgs: string[]): Promise<SuiteRun> {
  const started = Date.now();
  const logPath = `${outputDir}.log`;
  const log = createWriteStream(logPath);
  const child = spawn(process.execPath, [conformanceBin, "server", "--url", url, "-o", outputDir, ...suiteArgs], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push(() => stop(child, false));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const timer = setTimeout(() => void stop(child, false), SUITE_LIMIT_MS);
  await exited(child);
  clearTimeout(timer);
  const results = readResults(outputDir);
  if (results.size === 0) throw new Error(`the ${label} run produced no results (log: ${logPath})`);
  return { label, results, durationMs: Date.now() - started };
}

function readResults(outputDir: string): Map<string, ScenarioResult> {
  const results = new Map<string, ScenarioResult>();
  let entries: string[];
  try {
    entries = readdirSync(outputDir);
  } catch {
    return results;
  }
  for (const entry of entries.sort()) {
    // `server-<scenario>-<ISO timestamp with : and . replaced by ->`
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/.exec(entry)?.[1];
    if (!scenario) continue;
    let checks: ConformanceCheck[];
    try {
      checks = JSON.parse(readFileSync(join(outputDir, entry, "checks.json"), "utf8")) as ConformanceCheck[];
    } catch {
      // A scenario that wrote no checks (it crashed, or needs what the fixture does not offer) did not pass.
      checks = [{ id: "no-checks", name: "NoChecks", description: "the scenario wrote no checks.json", status: "FAILURE", errorMessage: "the scenario wrote no checks.json" }];
    }
    results.set(scenario, { scenario, checks, passed: !checks.some((c) => c.status === "FAILURE") });
  }
  return results;
}

// ---- the report -----------------------------------------------------------------------------------------

function count(run: SuiteRun): { scenarios: number; passed: number; checksPassed: number; checksFailed: number; warnings: number } {
  const all = [...run.results.values()];
  const checks = all.flatMap((r) => r.checks);
  return {
    scenarios: all.length,
    passed: all.filter((r) => r.passed).length,
    checksPassed: checks.filter((c) => c.status === "SUCCESS").length,
    checksFailed: checks.filter((c) => c.status === "FAILURE").length,
    warnings: checks.filter((c) => c.status === "WARNING").length,
  };
}

/** One line per check of `status` in a scenario's result. */
function describeChecks(result: ScenarioResult | undefined, status: CheckStatus = "FAILURE"): string[] {
  if (!result) return ["    (the scenario did not run)"];
  return result.checks.filter((c) => c.status === status).map((c) => `    ${c.id}: ${c.errorMessage ?? c.description}`);
}

/**
 * The gateway's own error log lines (its structured `"level":"error"` events), counted: a failure that a
 * check reports only as "Internal error" usually has its cause here.
 */
function gatewayErrors(logPath: string): Map<string, number> {
  const counts = new Map<string, number>();
  let log: string;
  try {
    log = readFileSync(logPath, "utf8");
  } catch {
    return counts;
  }
  // wrangler colours its log lines; the colour codes go first.
  for (const line of log.replace(/\x1b\[[0-9;]*m/g, "").split("\n")) {
    const json = /\{"level":"error".*\}/.exec(line)?.[0];
    if (!json) continue;
    let event: { event?: string; error?: string };
    try {
      event = JSON.parse(json) as { event?: string; error?: string };
    } catch {
      continue;
    }
    const key = `${event.event ?? "error"}: ${(event.error ?? "").split("\n")[0]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Compares one run through the gateway with the direct run; returns how many scenarios regress. */
function report(direct: SuiteRun, gateway: SuiteRun, command: string): number {
  const line = (run: SuiteRun) => {
    const n = count(run);
    return `${run.label.padEnd(28)} ${n.passed}/${n.scenarios} scenarios pass  (checks: ${n.checksPassed} passed, ${n.checksFailed} failed, ${n.warnings} warnings; ${(run.durationMs / 1000).toFixed(1)} s)`;
  };
  console.log(`\n=== MCP conformance: ${command} ===`);
  console.log(line(direct));
  console.log(line(gateway));

  const regressions = [...direct.results.values()].filter((r) => r.passed && !gateway.results.get(r.scenario)?.passed);
  if (regressions.length === 0) {
    console.log(`\nEvery scenario that passes directly also passes ${gateway.label}.`);
  } else {
    console.log(`\nPass directly, fail ${gateway.label} (${regressions.length}):`);
    for (const r of regressions) console.log(`  ${r.scenario}\n${describeChecks(gateway.results.get(r.scenario)).join("\n")}`);
  }
  const failingDirectly = [...direct.results.values()].filter((r) => !r.passed);
  if (failingDirectly.length > 0) {
    console.log(`\nFail directly, so the fixture (not the gateway) is short of them, or the suite does not score them (${failingDirectly.length}): ${failingDirectly.map((r) => r.scenario).join(", ")}`);
  }
  const newWarnings = [...gateway.results.values()].filter(
    (r) => r.passed && describeChecks(r, "WARNING").length > describeChecks(direct.results.get(r.scenario), "WARNING").length,
  );
  if (newWarnings.length > 0) {
    console.log(`\nMore warnings ${gateway.label} than directly:`);
    for (const r of newWarnings) console.log(`  ${r.scenario}\n${describeChecks(r, "WARNING").join("\n")}`);
  }
  return regressions.length;
}

// ---- main -----------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const started = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), "peta-conformance-"));
  const keep = process.env.KEEP_CONFORMANCE_OUTPUT === "1";
  cleanups.push(() => {
    if (keep) console.log(`Output kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  });
  const extraArgs = process.argv.slice(2);

  const legacyUrl = await startFixture(FIXTURES.legacy.script, join(workDir, "fixture.log"));
  const modernUrl = await startFixture(FIXTURES.modern.script, join(workDir, "fixture-2026.log"));
  console.log(`Fixtures at ${legacyUrl} (2025) and ${modernUrl} (2026-07-28)`);
  const embedded: EmbeddedPostgres = await startEmbeddedPostgres();
  cleanups.push(() => embedded.stop());
  await runMigrations(embedded.url);
  const gateway = await startGateway(workDir, embedded.url);
  console.log(`Gateway at ${gateway.origin}`);
  await registerServer(gateway, FIXTURES.legacy.serverId, legacyUrl);
  await registerServer(gateway, FIXTURES.modern.serverId, modernUrl);
  const throughLegacy = await startAuthProxy(new URL(`${gateway.origin}/mcp/${FIXTURES.legacy.serverId}`), gateway.ownerKey);
  const throughModern = await startAuthProxy(new URL(`${gateway.origin}/mcp/${FIXTURES.modern.serverId}`), gateway.ownerKey);
  console.log(`Authenticating proxies at ${throughLegacy} and ${throughModern}`);

  const sessions = ["--requirements", "2025-11-25", ...extraArgs];
  const stateless = ["--requirements", "2026-07-28", ...extraArgs];
  console.log("2025: the suite directly against the fixture, then through the gateway…");
  const direct = await runSuite("direct", legacyUrl, join(workDir, "direct"), sessions);
  const through = await runSuite("through the gateway", throughLegacy, join(workDir, "gateway"), sessions);
  console.log("2026-07-28: directly against the 2026 fixture, through the gateway to it, and through the bridge to the 2025 fixture…");
  const modernDirect = await runSuite("direct (2026 fixture)", modernUrl, join(workDir, "direct-2026"), stateless);
  const modernThrough = await runSuite("through the gateway", throughModern, join(workDir, "gateway-2026"), stateless);
  const bridged = await runSuite("through the bridge", throughLegacy, join(workDir, "bridge-2026"), stateless);

  let regressions = report(direct, through, ["conformance server", ...sessions].join(" "));
  regressions += report(modernDirect, modernThrough, ["conformance server", ...stateless, `(fixture: ${FIXTURES.modern.serverId})`].join(" "));
  regressions += report(modernDirect, bridged, ["conformance server", ...stateless, "(the 2025 fixture behind the bridge, against the 2026 fixture's results)"].join(" "));
  const errors = gatewayErrors(join(workDir, "wrangler.log"));
  if (errors.size > 0) {
    console.log("\nErrors the gateway logged during the runs:");
    for (const [line, n] of errors) console.log(`  ${n}× ${line}`);
  }
  console.log(`\nTotal time ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return regressions > 0 ? 1 : 0;
}

let code: number;
try {
  code = await main();
} catch (error) {
  console.error(`npm run conformance failed: ${message(error)}`);
  code = 2;
}
await cleanUp();
process.exit(code);
