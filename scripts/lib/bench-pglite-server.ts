// Child process of `npm run bench`: a throwaway in-memory PGlite on loopback. It runs apart from the
// benchmark because PGlite executes every query on its host's one event loop, which would otherwise be
// the load generator's and skew the figures. Prints `listening <url>` once ready.
import { startEmbeddedPostgres } from "./embedded-postgres.ts";

// Every MCP session's Durable Object keeps its own connection, and /mcp/<serverId> initialize opens one
// more per request: 32 concurrent sessions need well over PGlite's default of 32.
const database = await startEmbeddedPostgres({ maxConnections: 256 });
console.log(`listening ${database.url}`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await database.stop().catch(() => {});
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
// The parent holds our stdin open; its end means the parent is gone (even after SIGKILL), so stop too.
process.stdin.on("end", () => void stop());
process.stdin.resume();
