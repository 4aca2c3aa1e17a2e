import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Cleanup } from "./bench-cleanup.ts";
import { hyperdriveLocalUrl } from "./hyperdrive-local.ts";

const PGLITE_SERVER = fileURLToPath(new URL("./bench-pglite-server.ts", import.meta.url));

export interface BenchDatabase {
  /** For the migration runner and the admin side: exactly what the user gave, or the PGlite URL. */
  url: string;
  /** For the gateway's Hyperdrive binding; see `hyperdriveOrigin`. */
  hyperdriveUrl: string;
  /** Where the data lives, for the report; never includes credentials. */
  description: string;
  /** True for DATABASE_URL: what the run writes there outlives it, so it must be removed again. */
  persistent: boolean;
  /** The embedded PGlite server's process, whose CPU the report shows; none for DATABASE_URL. */
  pid?: number;
}

/** `DATABASE_URL` when set (as `npm run dev` does), otherwise a throwaway PGlite in a child process. */
export async function startBenchDatabase(cleanup: Cleanup): Promise<BenchDatabase> {
  const given = process.env.DATABASE_URL;
  if (given) {
    return {
      url: given,
      hyperdriveUrl: hyperdriveOrigin(given),
      description: `DATABASE_URL (${new URL(given).host})`,
      persistent: true,
    };
  }
  const child = spawn(process.execPath, [PGLITE_SERVER], { stdio: ["pipe", "pipe", "inherit"] });
  cleanup.addChild("embedded PGlite", child);
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const match = /listening (\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`embedded PGlite exited with ${code} before listening`)));
  });
  return {
    url,
    hyperdriveUrl: hyperdriveOrigin(url),
    description: `embedded PGlite, in memory (${new URL(url).host})`,
    persistent: false,
    ...(child.pid === undefined ? {} : { pid: child.pid }),
  };
}

/**
 * The origin to give Miniflare's Hyperdrive: with a placeholder password if it has none (see
 * hyperdriveLocalUrl) and, on loopback, `sslmode=disable`. Without that, Miniflare sends every
 * connection through a TLS-negotiating proxy inside this Node process, which would put the database
 * traffic on the load generator's event loop; a loopback database needs no TLS, so workerd connects
 * to it directly.
 */
function hyperdriveOrigin(databaseUrl: string): string {
  const url = new URL(hyperdriveLocalUrl(databaseUrl));
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (loopback && !url.searchParams.has("sslmode")) url.searchParams.set("sslmode", "disable");
  return url.toString();
}
