// `npm run dev`: the gateway on http://127.0.0.1:8787 with everything it needs, and nothing to install.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { devOwnerKey, ensureDevVars } from "./lib/dev-vars.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./lib/embedded-postgres.ts";
import { hyperdriveLocalUrl } from "./lib/hyperdrive-local.ts";
import { LOOPBACK_CLIENTS_FLAG, LOOPBACK_HOSTS_FLAG } from "./lib/loopback-hosts.ts";
import { runMigrations } from "./lib/migrate.ts";
import { type StdioSupervisor, startStdioSupervisor } from "./lib/stdio-supervisor.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const wranglerBin = fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url));
const port = process.env.PORT ?? "8787";

let embedded: EmbeddedPostgres | undefined;
let wrangler: ChildProcess | undefined;
let supervisor: StdioSupervisor | undefined;
let stopping = false;

async function shutdown(code: number): Promise<void> {
  // Only the first call stops and exits. Later ones (wrangler's own "exit" event fires while the first
  // call is waiting for it) must return: exiting there would skip closing PGlite and report wrangler's 143.
  if (stopping) return;
  stopping = true;
  // wrangler runs in its own process group; signalling the group reaches workerd too, so nothing is orphaned.
  if (wrangler?.pid && wrangler.exitCode === null) {
    const exited = new Promise((resolve) => wrangler?.once("exit", resolve));
    signalWrangler("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (wrangler.exitCode === null && wrangler.signalCode === null) signalWrangler("SIGKILL");
  }
  await supervisor?.stopAll().catch(() => {});
  await embedded?.stop().catch(() => {});
  process.exit(code);
}

/** The group may be gone already (ESRCH); stopping must go on regardless. */
function signalWrangler(signal: NodeJS.Signals): void {
  if (!wrangler?.pid) return;
  try {
    process.kill(-wrangler.pid, signal);
  } catch {
    // nothing left to signal
  }
}

// SIGHUP is a closed terminal. Without a handler this process would die on it and, since wrangler runs
// in its own process group, leave wrangler and workerd running with the port and no database.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(0));
// Last resort for any other way out (an uncaught error): the group must not outlive this process.
process.on("exit", () => {
  if (wrangler?.exitCode === null && wrangler.signalCode === null) signalWrangler("SIGKILL");
  supervisor?.killAll();
});

try {
  const fresh = await ensureDevVars(`${root}.dev.vars`);
  if (fresh) {
    console.log("Wrote .dev.vars with fresh random secrets. Your owner key (printed only this once):");
    console.log(`\n  ${fresh.OWNER_KEY}\n`);
  }

  let databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    console.log(`Using DATABASE_URL (${new URL(databaseUrl).host})`);
  } else {
    embedded = await startEmbeddedPostgres({ dataDir: `${root}.data/pglite` });
    databaseUrl = embedded.url;
    console.log(`Embedded Postgres (PGlite) at ${new URL(databaseUrl).host}, data in .data/pglite`);
  }
  await runMigrations(databaseUrl);
  // A signal during the steps above has already started stopping: wrangler must not start after it.
  if (stopping) await new Promise<never>(() => {}); // shutdown() is under way and exits the process

  // stdio servers run here, outside workerd, as the same bridge the Container image runs.
  supervisor = await startStdioSupervisor(devOwnerKey(`${root}.dev.vars`));
  const supervisorVars = ["--var", `STDIO_SUPERVISOR_URL:${supervisor.url}`, "--var", `STDIO_SUPERVISOR_NONCE:${supervisor.nonce}`];

  wrangler = spawn(process.execPath, [wranglerBin, "dev", "--ip", "127.0.0.1", "--port", port, LOOPBACK_HOSTS_FLAG, LOOPBACK_CLIENTS_FLAG, ...supervisorVars, ...process.argv.slice(2)], {
    cwd: root,
    stdio: "inherit",
    detached: true,
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: hyperdriveLocalUrl(databaseUrl),
    },
  });
  wrangler.on("exit", (code) => void shutdown(code ?? 0));
} catch (error) {
  console.error(`npm run dev failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
