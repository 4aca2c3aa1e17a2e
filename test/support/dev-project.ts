// Helpers for driving `npm run dev` end to end from Node: a throwaway copy of the project, a child
// process whose output is kept, and a scan of /proc for anything it left behind.
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, symlinkSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
export { freePort } from "../../scripts/lib/free-port.ts";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** What `npm run dev` needs from the repository; everything else (.dev.vars, .data, .wrangler) is left out. */
const PROJECT_ENTRIES = ["package.json", "wrangler.toml", "tsconfig.json", "worker", "durable-objects", "containers", "scripts", "migrations"];

/** A fresh project directory with no .dev.vars and no .data; node_modules is a symlink to the repository's. */
export function makeDevProject(): string {
  // Resolved, so it matches the working directories that /proc reports.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "peta-dev-")));
  for (const entry of PROJECT_ENTRIES) {
    cpSync(join(REPO_ROOT, entry), join(dir, entry), {
      recursive: true,
      // Tests and local state in the source tree are not part of what a user runs.
      filter: (source) => !source.endsWith(".test.ts") && !source.includes("/.wrangler"),
    });
  }
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}


export interface DevProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code and signal once the process has exited (at once if it already has). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node scripts/dev.ts` in `dir` as a user would from a clean shell: no DATABASE_URL, nothing
 * from the test runner's own environment that a user would not have.
 */
export function startDev(dir: string, port: number, extraEnv: Record<string, string> = {}, args: string[] = []): DevProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name === "DATABASE_URL" || name === "NODE_ENV" || name.startsWith("VITEST") || name.startsWith("CLOUDFLARE_")) delete env[name];
  }
  Object.assign(env, extraEnv);
  env.PORT = String(port);
  env.WRANGLER_SEND_METRICS = "false";
  // The absolute script path puts the project directory into the launcher's command line.
  const child = spawn(process.execPath, [join(dir, "scripts", "dev.ts"), ...args], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

export interface HealthBody {
  status: string;
  database: { ok: boolean };
}

/**
 * Polls GET /health until it answers 200 with a working database. Bounded by `limitMs`; fails early,
 * with the launcher's output, if the launcher exits first.
 */
export async function waitForHealthy(dev: DevProcess, origin: string, limitMs = 90_000): Promise<HealthBody> {
  const deadline = Date.now() + limitMs;
  let exited = false;
  void dev.exited.then(() => (exited = true));
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (exited) throw new Error(`npm run dev exited before /health answered.\n${describeOutput(dev)}`);
    try {
      const response = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(5_000) });
      const text = await response.text();
      last = `${response.status} ${text}`;
      if (response.status === 200) {
        const body = JSON.parse(text) as HealthBody;
        if (body.database.ok) return body;
      }
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`/health did not become healthy within ${limitMs} ms (last: ${last}).\n${describeOutput(dev)}`);
}

/** Stops `npm run dev` as Ctrl-C does (SIGTERM) and waits for it to exit, at most 30 s; nothing if it has exited. */
export async function stopDev(dev: DevProcess | undefined): Promise<void> {
  if (!dev || dev.child.exitCode !== null) return;
  dev.child.kill("SIGTERM");
  await Promise.race([dev.exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
}

export function describeOutput(dev: DevProcess): string {
  return `--- stdout ---\n${dev.stdout()}\n--- stderr ---\n${dev.stderr()}`;
}

export interface LiveProcess {
  pid: number;
  cmdline: string;
  cwd: string;
}

/**
 * Every live process that belongs to `dir`: its command line names the directory, or it runs inside it.
 * The working directory matters: workerd and wrangler's inner CLI are started through the resolved
 * node_modules path, so only their cwd ties them to the project.
 */
export function processesOf(dir: string): LiveProcess[] {
  const found: LiveProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let cmdline: string;
    let cwd = "";
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim();
    } catch {
      continue; // exited while we looked
    }
    if (cmdline === "") continue; // a zombie or kernel thread
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      // unreadable or gone; the command line alone decides
    }
    if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) found.push({ pid, cmdline, cwd });
  }
  return found;
}

/** Waits (bounded) for every process of `dir` to go; returns those still there at the end. */
export async function waitForNoProcesses(dir: string, limitMs = 10_000): Promise<LiveProcess[]> {
  const deadline = Date.now() + limitMs;
  let left = processesOf(dir);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = processesOf(dir);
  }
  return left;
}

/** True when something accepts TCP connections on the loopback port. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setTimeout(2_000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Parses the `NAME='value'` lines that scripts/lib/dev-vars.ts writes. */
export function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_][A-Z0-9_]*)='(.*)'$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) vars[match[1]] = match[2];
  }
  return vars;
}

export function countOccurrences(haystack: string, needle: string): number {
  return needle === "" ? 0 : haystack.split(needle).length - 1;
}

/** `DBState` from PostgreSQL's pg_control: what the cluster was doing when the file was last written. */
export const DB_SHUTDOWNED = 1;
export const DB_IN_PRODUCTION = 6;

/**
 * The cluster state recorded in `<dataDir>/global/pg_control`: `ControlFileData` begins with
 * system_identifier (8 bytes), pg_control_version (4) and catalog_version_no (4), then `state`.
 * A cleanly closed PGlite leaves DB_SHUTDOWNED; one that was simply killed leaves DB_IN_PRODUCTION.
 */
export function pgControlState(dataDir: string): number {
  return readFileSync(join(dataDir, "global", "pg_control")).readInt32LE(16);
}
