import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, parse } from "node:path";
import { fileURLToPath } from "node:url";
import type * as MiniflareModule from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import type { DevSecrets } from "./dev-vars.ts";
import type { Cleanup } from "./bench-cleanup.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER_BIN = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const CONFIG_PATH = join(ROOT, "wrangler.toml");
const WORKER_NAME = "peta-core-bench";

// Miniflare as wrangler itself loads it: the options that `unstable_getMiniflareWorkerOptions` returns
// are written for that exact version, whatever copy of miniflare happens to be hoisted beside it.
const { Miniflare, convertV4MiniflareOptions } = createRequire(import.meta.resolve("wrangler"))("miniflare") as typeof MiniflareModule;

export const RUNTIME_PATH =
  "Miniflare (wrangler's own copy), Worker bundled by `wrangler deploy --dry-run`, requests on a direct workerd socket to the Worker";

export interface RunningGateway {
  /** The Worker's own socket: no wrangler proxy and no Miniflare entry worker in front of it. */
  origin: string;
  /** What the Worker wrote to its console, by level, with the first few warnings and errors. */
  logs: GatewayLogs;
}

export interface GatewayLogs {
  counts: Record<string, number>;
  samples: string[];
}

const MAX_LOG_SAMPLES = 8;

/** The Worker as `wrangler deploy` would upload it; bundled once, run by every gateway instance. */
export interface GatewayBundle {
  /** The bundle's entry module. */
  scriptPath: string;
  /** The directory it sits in. */
  modulesRoot: string;
}

/**
 * Bundles the Worker exactly as `wrangler deploy` would (see bundleWorker) into a temporary directory
 * that the cleanup removes.
 */
export async function bundleGateway(cleanup: Cleanup): Promise<GatewayBundle> {
  const outdir = mkdtempSync(join(tmpdir(), "peta-bench-"));
  cleanup.add("bundle directory", () => rmSync(outdir, { recursive: true, force: true }));
  await bundleWorker(outdir);
  const { main } = quietly(() => unstable_getMiniflareWorkerOptions(CONFIG_PATH, undefined, { overrides: { enableContainers: false } }));
  if (!main) throw new Error("wrangler.toml names no `main` module");
  // The dry run names its output after the entry module: worker/index.ts becomes index.js.
  return { scriptPath: join(outdir, `${parse(main).name}.js`), modulesRoot: outdir };
}

/**
 * Runs the gateway in workerd along the leanest local path measured (see scripts/bench.ts): wrangler
 * bundles exactly what `wrangler deploy` would upload, wrangler turns wrangler.toml into Miniflare
 * options (so new bindings need no change here), and the benchmark talks to the Worker's own socket.
 * Each call starts its own workerd (Miniflare instance) with its own Durable Object storage; `vars`
 * override wrangler.toml's [vars], so two instances can differ in one setting and nothing else.
 */
export async function startGateway(options: {
  cleanup: Cleanup;
  bundle: GatewayBundle;
  hyperdriveUrl: string;
  secrets: DevSecrets;
  vars?: Record<string, string>;
  /** Opens workerd's DevTools inspector on this port (npm run profile). */
  inspectorPort?: number;
}): Promise<RunningGateway> {
  const { workerOptions } = quietly(() =>
    unstable_getMiniflareWorkerOptions(CONFIG_PATH, undefined, { overrides: { enableContainers: false } }),
  );
  // wrangler types these as `Omit<V4WorkerOptions, …>`, and Omit over an index signature loses the named
  // keys (they come out `unknown`); they are V4WorkerOptions' own fields, so restore exactly those types.
  const configured = workerOptions as Pick<MiniflareModule.V4WorkerOptions, "bindings" | "hyperdrives">;
  // Module rules describe how to find modules beside an unbundled entry; the bundle is one module, and
  // Miniflare 5 refuses v4 options that carry rules.
  const { modulesRules: _rules, ...bundledOptions } = workerOptions;

  const { miniflare, logs } = await startWorkerd(options.cleanup, options.inspectorPort, {
    ...bundledOptions,
    name: WORKER_NAME,
    scriptPath: options.bundle.scriptPath,
    modules: true,
    modulesRoot: options.bundle.modulesRoot,
    hyperdrives: { ...configured.hyperdrives, HYPERDRIVE: options.hyperdriveUrl },
    bindings: { ...configured.bindings, ...options.vars, ...options.secrets },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  const origin = (await miniflare.unsafeGetDirectURL(WORKER_NAME)).origin;
  await expectHealthy(origin);
  return { origin, logs };
}

export interface RunningFloors {
  /** The Worker that forwards each request to the fixture with one fetch(). */
  fetchOrigin: string;
  /** The Worker that forwards each request through a Durable Object (one per MCP session) by RPC. */
  durableObjectOrigin: string;
  logs: GatewayLogs;
}

const FLOORS_NAME = "peta-bench-floors";
const FLOORS_SCRIPT = join(ROOT, "scripts/bench-floors/floors.js");

/**
 * The two floor Workers (scripts/bench-floors/floors.js) in a workerd of their own, on direct sockets
 * like the gateway's, with the gateway's compatibility date and flags: what any Worker pays to forward.
 */
export async function startFloors(cleanup: Cleanup, fixtureUrl: string): Promise<RunningFloors> {
  const { workerOptions } = quietly(() => unstable_getMiniflareWorkerOptions(CONFIG_PATH, undefined, { overrides: { enableContainers: false } }));
  const { compatibilityDate, compatibilityFlags } = workerOptions as Pick<MiniflareModule.V4WorkerOptions, "compatibilityDate" | "compatibilityFlags">;
  const { miniflare, logs } = await startWorkerd(cleanup, undefined, {
    name: FLOORS_NAME,
    scriptPath: FLOORS_SCRIPT,
    modules: true,
    compatibilityDate,
    compatibilityFlags,
    bindings: { FIXTURE_ORIGIN: new URL(fixtureUrl).origin },
    durableObjects: { FORWARDER: "Forwarder" },
    unsafeDirectSockets: [
      { host: "127.0.0.1", port: 0 },
      { host: "127.0.0.1", port: 0, entrypoint: "ViaDurableObject" },
    ],
  });
  return {
    fetchOrigin: (await miniflare.unsafeGetDirectURL(FLOORS_NAME)).origin,
    durableObjectOrigin: (await miniflare.unsafeGetDirectURL(FLOORS_NAME, "ViaDurableObject")).origin,
    logs,
  };
}

/** One Miniflare (one workerd process) running `worker`, stopped by the cleanup; its console goes to `logs`. */
async function startWorkerd(
  cleanup: Cleanup,
  inspectorPort: number | undefined,
  worker: MiniflareModule.V4WorkerOptions,
): Promise<{ miniflare: MiniflareModule.Miniflare; logs: GatewayLogs }> {
  const logs: GatewayLogs = { counts: {}, samples: [] };
  const signalsBefore = signalListeners();
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      ...(inspectorPort === undefined ? {} : { inspectorPort }),
      // Workerd's output arrives here instead of on our stdout, where it would interleave with the table.
      handleStructuredLogs: ({ level, message }) => {
        logs.counts[level] = (logs.counts[level] ?? 0) + 1;
        if ((level === "warn" || level === "error") && logs.samples.length < MAX_LOG_SAMPLES) {
          logs.samples.push(`${level}: ${message.slice(0, 300)}`);
        }
      },
      workers: [worker],
    }),
  );
  // Miniflare's exit hook answers Ctrl-C by killing workerd and exiting at once, which would cut short the
  // cleanup that stops the fixture and the database and unregisters the bench server. Its signal handlers
  // go; the cleanup disposes of Miniflare itself, and Miniflare's own "exit" hook stays as a last resort.
  for (const [signal, listener] of signalListeners()) {
    if (!signalsBefore.some(([s, l]) => s === signal && l === listener)) process.removeListener(signal, listener);
  }
  cleanup.add("workerd (Miniflare)", () => miniflare.dispose());
  await miniflare.ready;
  return { miniflare, logs };
}

/** `wrangler deploy --dry-run`: the same bundle a deploy uploads, built without an account or network. */
async function bundleWorker(outdir: string): Promise<void> {
  const child = spawn(
    process.execPath,
    // --containers-rollout=none: a config that declares containers would otherwise need Docker to bundle.
    [WRANGLER_BIN, "deploy", "--dry-run", "--containers-rollout=none", "--outdir", outdir, "--config", CONFIG_PATH],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`wrangler deploy --dry-run failed (exit ${code}):\n${output}`);
}

/**
 * wrangler warns about the secrets it cannot find (this benchmark supplies its own) and notes where it
 * found variables; none of that helps a benchmark reader. Errors still show.
 */
function quietly<T>(run: () => T): T {
  const previous = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = "error";
  try {
    return run();
  } finally {
    if (previous === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = previous;
  }
}

async function expectHealthy(origin: string): Promise<void> {
  const response = await fetch(`${origin}/health`);
  const body = await response.text();
  if (!response.ok) throw new Error(`the gateway's /health answered ${response.status}: ${body}`);
}

type SignalListener = (signal: NodeJS.Signals) => void;

function signalListeners(): [NodeJS.Signals, SignalListener][] {
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  return signals.flatMap((signal) => process.listeners(signal).map((listener): [NodeJS.Signals, SignalListener] => [signal, listener]));
}
